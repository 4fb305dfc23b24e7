"""The vlmhb command-line interface (Typer + Rich)."""
