"""Throwaway PostgreSQL databases for tests (a real server; see scripts/pg-test-server)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, exc, text
from sqlalchemy.engine import make_url


def pg_url_or_skip() -> str:
    url = os.environ.get("PIGUARD_TEST_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("PIGUARD_TEST_PG_URL is not set under CI: scripts/pg-test-server did not run")
        pytest.skip("PIGUARD_TEST_PG_URL not set (run scripts/pg-test-server start)")
    return url


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create an empty database on the test server; yield its URL; drop it afterwards."""
    base = make_url(pg_url_or_skip())
    name = "pgt_" + secrets.token_hex(6)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin: Engine, name: str) -> None:
    # FORCE ends our own leftover sessions, but not an autovacuum worker (a superuser process),
    # which a bulk load may have started on the new database: wait for it to finish.
    for attempt in range(40):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except exc.ProgrammingError:
            if attempt == 39:
                raise
            time.sleep(0.25)
