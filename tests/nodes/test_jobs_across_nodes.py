"""Scheduled jobs across node processes (real clocks, real processes, one database): a due job
runs once while two nodes tick; when the node running it is SIGKILLed, the other takes it over
once the lease has expired, not before (R-MIN-4: the birthday re-evaluation is such a job and
must neither be skipped nor doubled). Issue 12 item 4."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import select

from piguard.jobs.tables import job_leases
from piguard.store import Database

pytestmark = [pytest.mark.req("R-MIN-4"), pytest.mark.slow]

#: A node: ticks a JobRunner every 50 ms and prints a JSON line when its job starts and ends.
NODE = textwrap.dedent("""
    import json, sys, time
    from datetime import timedelta
    from piguard.jobs import Job, JobRunner
    from piguard.store import Database

    url, name, seconds, lease = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    db = Database(url)
    db.migrate()
    runner = JobRunner(db, "t1", node=name)

    def work(now):
        print(json.dumps({"event": "start", "node": name, "at": time.time()}), flush=True)
        time.sleep(seconds)
        print(json.dumps({"event": "end", "node": name, "at": time.time()}), flush=True)
        return 1

    runner.register(Job("sweep", timedelta(hours=1), work, lease=timedelta(seconds=lease)))
    print(json.dumps({"event": "up", "node": name}), flush=True)
    while True:
        runner.tick()
        time.sleep(0.05)
""")


def _node(url: str, name: str, seconds: float, lease: float) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path.cwd() / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-c", NODE, url, name, str(seconds), str(lease)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )


def _next(stream: IO[str] | None, deadline: float) -> dict[str, object]:
    """The node's next JSON line (the read is bounded by the test's overall timeout)."""
    assert stream is not None
    line = stream.readline()
    assert line, "node exited"
    assert time.monotonic() < deadline, "timed out waiting for the node"
    event: dict[str, object] = json.loads(line)
    return event


def _lease(url: str) -> dict[str, object]:
    db = Database(url)
    try:
        with db.read() as conn:
            row = conn.execute(select(job_leases).where(job_leases.c.name == "sweep")).mappings().one()
            return dict(row)
    finally:
        db.dispose()


def _stop(*procs: subprocess.Popen[str]) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=10)


def test_a_due_job_runs_once_while_two_nodes_tick(db_url: str) -> None:
    a = _node(db_url, "node-a", 0.2, 30)
    b = _node(db_url, "node-b", 0.2, 30)
    try:
        deadline = time.monotonic() + 60
        assert _next(a.stdout, deadline)["event"] == "up"
        assert _next(b.stdout, deadline)["event"] == "up"
        time.sleep(2.0)  # some 40 ticks each: the job is due once (every hour)
    finally:
        _stop(a, b)
    lease = _lease(db_url)
    assert lease["runs"] == 1 and lease["owner"] is None and lease["last_outcome"] == "ok"


def test_a_killed_nodes_job_is_taken_over_after_its_lease(db_url: str) -> None:
    lease_s = 3.0
    a = _node(db_url, "node-a", 60, lease_s)  # runs far longer than its lease: it will be killed
    b: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 90
        assert _next(a.stdout, deadline)["event"] == "up"
        started = _next(a.stdout, deadline)
        assert started["event"] == "start" and started["node"] == "node-a"
        held = _lease(db_url)
        assert held["owner"] == "node-a"
        until = held["lease_until"]
        assert isinstance(until, datetime)
        b = _node(db_url, "node-b", 0.1, 30)
        assert _next(b.stdout, deadline)["event"] == "up"
        a.send_signal(signal.SIGKILL)
        a.wait(timeout=10)
        took = _next(b.stdout, deadline)
        assert took["event"] == "start" and took["node"] == "node-b"
        taken_at = datetime.fromtimestamp(float(str(took["at"])), UTC)
        assert taken_at >= until  # not before node A's lease expired
        assert _next(b.stdout, deadline)["event"] == "end"
        time.sleep(0.3)  # node B records the run's end
    finally:
        _stop(a, *([b] if b else []))
    lease = _lease(db_url)
    assert lease["runs"] == 1 and lease["owner"] is None and lease["last_outcome"] == "ok"
