"""Placeholder: filled in by the metric-suite work (issue 3)."""
