"""The privacy centre's rate-limit windows: one atomic statement per charge (R-RGT-2)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from piguard.privacy.capability import charge_window
from piguard.privacy.tables import limits, privacy_metadata
from tests.pg import pg_url_or_skip

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'data.db'}", connect_args={"timeout": 30})
        privacy_metadata.create_all(eng)
        yield eng
        eng.dispose()
        return
    url = pg_url_or_skip()
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_engine(make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}), pool_size=20)
    try:
        privacy_metadata.create_all(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.req("R-RGT-2")
def test_a_window_counts_up_caps_and_starts_again_when_it_ends(engine: Engine) -> None:
    """R-RGT-2: the first charge starts a window at one; each next one adds one, never past
    limit + 1 (refused); once the window has ended the count starts at one again."""
    with engine.begin() as conn:
        got = [charge_window(conn, "t", "k", 3, NOW + timedelta(minutes=i))[0] for i in range(6)]
    assert got == [1, 2, 3, 4, 4, 4]
    with engine.begin() as conn:
        count, end = charge_window(conn, "t", "k", 3, NOW + timedelta(hours=1))
        assert charge_window(conn, "t", "other", 3, NOW)[0] == 1
        assert charge_window(conn, "u", "k", 3, NOW)[0] == 1  # tenants apart
    assert (count, end) == (1, NOW + timedelta(hours=2))


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
@pytest.mark.req("R-RGT-2")
def test_concurrent_charges_lose_no_count(engine: Engine) -> None:
    """R-RGT-2: threads charging the same key at the same moment, each in its own transaction on
    its own connection: exactly ``limit`` are let through, none fails, none is lost. (The old
    select-then-insert let two first charges both insert, one failing on the key, and two later
    ones both read the same count, so more than ``limit`` got through.)"""
    threads, limit, rounds = 12, 8, 5
    counts: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    for r in range(rounds):
        key = f"in:race{r}"
        barrier = threading.Barrier(threads)
        counts.clear()

        def charge(key: str = key, barrier: threading.Barrier = barrier) -> None:
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))  # connected before the start line
                    conn.commit()
                    barrier.wait()
                    with conn.begin():
                        count, _ = charge_window(conn, "t", key, limit, NOW)
                with lock:
                    counts.append(count)
            except BaseException as exc:
                with lock:
                    errors.append(exc)

        workers = [threading.Thread(target=charge) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert errors == []
        assert sorted(counts) == [*range(1, limit + 1), *([limit + 1] * (threads - limit))]
        with engine.connect() as conn:
            stored = conn.execute(select(limits.c.count).where(limits.c.key == key)).scalar_one()
        assert stored == limit + 1
