"""Index databases for dashboard tests: SQLite always, PostgreSQL when VLMHB_TEST_POSTGRES_URL is set.

``VLMHB_TEST_POSTGRES_URL`` is a ``postgresql+psycopg://user:password@host:port/db`` URL of a
database the tests may create schemas in; each test gets its own schema (dropped after), so
tests running in parallel do not see each other's tables. Without it the PostgreSQL cases skip,
except under CI, where they fail: CI must run them (.ci/run starts Debian's postgresql).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ON_CI

POSTGRES_ENV = "VLMHB_TEST_POSTGRES_URL"

__all__ = ["POSTGRES_ENV", "db_url", "postgres_url"]


def postgres_url() -> Iterator[str]:
    """A URL on a fresh schema of the test PostgreSQL database (dropped when the test ends)."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        message = f"{POSTGRES_ENV} is not set (postgresql+psycopg://user:pw@127.0.0.1:5432/db)"
        if ON_CI:
            pytest.fail(f"{message}: on CI the PostgreSQL tests must run")
        pytest.skip(message)
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The index URL of each database the dashboard supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index' / 'index.sqlite'}"
    else:
        yield from postgres_url()
