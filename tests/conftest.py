"""Fixtures shared by the test packages: a migrated data database on SQLite and PostgreSQL, live servers.

Conventions for every test:

- a test of a numbered requirement says so with ``@pytest.mark.req("R-USE-4")`` (or a module's
  ``pytestmark``); IDs are checked against requirements.md and mapped to the tests that check
  them in ``test-artifacts/requirements-map.json`` (tests/_req.py);
- randomness comes from the run's printed seed: ``PIGUARD_TEST_SEED`` repeats a run, the ``rng``
  fixture gives a per-test ``random.Random`` (tests/_seed.py);
- a server is started only through the ``live_server`` fixture (tests/live.py);
- an ``xfail`` that passes fails the run; mypy strict covers this directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from piguard.store import Database
from tests.live import LiveServers
from tests.pg import fresh_database

#: The ``req`` marker's validation and the requirement -> tests map (tests/_req.py), the run's
#: printed seed (tests/_seed.py), and pytester for the tests of those plugins.
pytest_plugins = ["tests._req", "tests._seed", "pytester"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty data database: a SQLite file, or a fresh database on the PostgreSQL test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data.db'}"
    else:
        with fresh_database() as url:
            yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """That database, migrated (every package's tables)."""
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def live_server() -> Iterator[LiveServers]:
    """Servers for this test (tests/live.py): ready within a deadline or the test fails, always stopped."""
    servers = LiveServers()
    try:
        yield servers
    finally:
        servers.stop_all()
