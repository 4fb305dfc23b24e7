"""Placeholder: presets are added here (see _base.Benchmark)."""
