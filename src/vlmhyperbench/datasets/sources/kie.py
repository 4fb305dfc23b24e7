"""Placeholder: readers are added here (see _base.SourceReader)."""
