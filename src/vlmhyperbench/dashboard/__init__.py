"""`vlmhb dashboard`: a web application over RUNS_DIR, backed by an index database.

Run folders stay the source of truth: `open_index` opens (or creates) the index of one
RUNS_DIR and `Index.refresh` brings it up to date, incrementally; `create_app` builds the
FastAPI application. Needs the ``dashboard`` extra (``pip install 'vlmhyperbench[dashboard]'``).
"""

from __future__ import annotations

from .db import Index, IndexUnavailable, open_index

__all__ = ["Index", "IndexUnavailable", "open_index"]
