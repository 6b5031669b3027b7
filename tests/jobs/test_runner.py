"""The job runner: leases in the database, one run per due job across nodes (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from piguard.clock import FixedClock
from piguard.jobs import Job, JobRunner
from piguard.jobs.tables import jobs_metadata
from piguard.store import Database
from tests.pg import fresh_database

START = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data.db'}"
    else:
        with fresh_database() as pg:
            yield pg


def _node(url: str, clock: FixedClock, name: str) -> tuple[Database, JobRunner]:
    db = Database(url)
    db.migrate()
    return db, JobRunner(db, "t1", clock=clock, node=name)


def test_job_table_matches_its_migration(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'd.db'}")
    db.migrate()
    inspector = inspect(db.engine)
    for table in jobs_metadata.sorted_tables:
        columns = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name: c.nullable for c in table.columns}, table.name
    db.dispose()


def test_a_due_job_runs_once_whichever_of_many_nodes_ticks(url: str) -> None:
    """Eight nodes (own engines, own connections) tick at the same instant: one run, not eight."""
    clock = FixedClock(START)
    ran: list[str] = []
    lock = threading.Lock()
    nodes = [_node(url, clock, f"node{i}") for i in range(8)]

    def work(node: str) -> int:
        with lock:
            ran.append(node)
        return 1

    for _, runner in nodes:

        def sweep(now: datetime, r: JobRunner = runner) -> int:
            return work(r.node)

        runner.register(Job("sweep", every=timedelta(hours=1), run=sweep))
    barrier = threading.Barrier(len(nodes))
    errors: list[BaseException] = []

    def tick(runner: JobRunner) -> None:
        barrier.wait()
        try:
            runner.tick()
        except BaseException as exc:  # reported below: a tick must never fail on contention
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(r,)) for _, r in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(ran) == 1
    # Not due again until its period has passed, on any node.
    assert all(r.tick() == [] for _, r in nodes)
    clock.advance(timedelta(hours=1))
    assert [run.name for run in nodes[3][1].tick()] == ["sweep"]
    assert len(ran) == 2
    for db, _ in nodes:
        db.dispose()


def test_a_lease_held_by_a_dead_node_expires_and_another_takes_over(url: str) -> None:
    clock = FixedClock(START)
    (db_a, a), (db_b, b) = _node(url, clock, "a"), _node(url, clock, "b")
    started = threading.Event()
    release = threading.Event()
    runs: list[str] = []

    def slow(now: datetime) -> int:
        runs.append("a")
        started.set()
        release.wait(30)  # node a "hangs" mid-run
        return 0

    a.register(Job("sweep", every=timedelta(hours=1), run=slow, lease=timedelta(minutes=5)))
    def quick(now: datetime) -> int:
        runs.append("b")
        return 1

    b.register(Job("sweep", every=timedelta(hours=1), run=quick))
    hung = threading.Thread(target=a.tick)
    hung.start()
    assert started.wait(30)
    assert b.tick() == []  # the lease is held
    assert b.tick(force=True) == []  # even an operator's forced run waits for the lease
    [row] = b.status()
    assert row["owner"] == "a"
    clock.advance(timedelta(minutes=6))  # a's lease lapses: a is presumed dead
    assert [r.name for r in b.tick()] == ["sweep"]
    assert runs == ["a", "b"]
    release.set()
    hung.join(30)
    # a's late finish does not overwrite b's record: it no longer holds the lease.
    [row] = b.status()
    assert (row["owner"], row["runs"]) == (None, 1)
    db_a.dispose()
    db_b.dispose()


def test_a_failing_job_records_its_error_class_releases_its_lease_others_run(tmp_path: Path) -> None:
    clock = FixedClock(START)
    db, runner = _node(f"sqlite:///{tmp_path / 'd.db'}", clock, "n")

    def broken(now: datetime) -> int:
        raise ValueError("customer 13912345678 is bad")  # a message that must not be stored

    runner.register(Job("broken", every=timedelta(minutes=10), run=broken))
    runner.register(Job("fine", every=timedelta(minutes=10), run=lambda now: 3))
    results = {r.name: (r.outcome, r.count) for r in runner.tick()}
    assert results == {"broken": ("ValueError", 0), "fine": ("ok", 3)}
    rows = {row["name"]: row for row in runner.status()}
    assert rows["broken"]["owner"] is None and rows["broken"]["last_outcome"] == "ValueError"
    assert rows["broken"]["next_due"] == START + timedelta(minutes=10)
    db.dispose()
    assert b"13912345678" not in (tmp_path / "d.db").read_bytes()


def test_forced_run_ignores_the_schedule_but_not_the_lease(tmp_path: Path) -> None:
    clock = FixedClock(START)
    db, runner = _node(f"sqlite:///{tmp_path / 'd.db'}", clock, "n")
    count = iter(range(100))
    runner.register(Job("j", every=timedelta(days=1), run=lambda now: next(count)))
    assert len(runner.tick()) == 1
    assert runner.tick() == []
    assert [r.count for r in runner.tick(only="j", force=True)] == [1]
    with pytest.raises(KeyError):
        runner.tick(only="nope")
    with pytest.raises(ValueError, match="registered already"):
        runner.register(Job("j", every=timedelta(days=1), run=lambda now: 0))
    with pytest.raises(ValueError, match="positive"):
        Job("k", every=timedelta(0), run=lambda now: 0)
    db.dispose()
