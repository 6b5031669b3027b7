"""Fixtures for the store tests: every conformance test runs on SQLite and PostgreSQL.

PostgreSQL needs ``PIGUARD_TEST_PG_URL`` (``eval "$(scripts/pg-test-server start)"``).
Without it those tests skip, except under CI, where they fail. Each PostgreSQL test gets
two fresh schemas on the test server (one for the data, via ``search_path``, and one
for the key store), dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.pg import pg_url_or_skip

from piguard.clock import FixedClock
from piguard.store import Database, KeyStore

#: The start of every test's clock.
T0 = datetime(2024, 5, 1, 8, 30, 0, 123456, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Backend:
    """Where one test's two databases live."""

    name: str
    data_url: str
    key_url: str
    key_schema: str | None
    #: The data database's PostgreSQL schema (None on SQLite).
    data_schema: str | None = None
    data_file: Path | None = None
    key_file: Path | None = None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        data_file, key_file = tmp_path / "data.db", tmp_path / "keys.db"
        yield Backend(
            "sqlite", f"sqlite:///{data_file}", f"sqlite:///{key_file}", None, None, data_file, key_file
        )
        return
    url = pg_url_or_skip()
    data_schema = "t_" + secrets.token_hex(6)
    key_schema = data_schema + "_keys"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{data_schema}"'))
    # libpq's "options" puts the data tables (and Alembic's version table) in the schema.
    data_url = make_url(url).update_query_dict({"options": f"-csearch_path={data_schema}"})
    try:
        yield Backend(
            "postgres",
            data_url.render_as_string(hide_password=False),
            url,
            key_schema,
            data_schema=data_schema,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{data_schema}" CASCADE'))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{key_schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def db(backend: Backend) -> Iterator[Database]:
    database = Database(backend.data_url)
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def keys(backend: Backend, clock: FixedClock) -> Iterator[KeyStore]:
    store = KeyStore(backend.key_url, backend.key_schema, clock=clock)
    store.migrate()
    try:
        yield store
    finally:
        store.dispose()
