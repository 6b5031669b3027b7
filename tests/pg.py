"""Throwaway PostgreSQL databases for tests (a real server; see scripts/pg-test-server)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
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
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
