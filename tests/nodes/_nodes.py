"""Helpers for the multi-node tests: a home on SQLite or PostgreSQL, and ``piguard serve`` nodes on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live import LiveServers, free_port, http_ok
from tests.pg import fresh_database

PIGUARD = [sys.executable, "-m", "piguard.cli.main"]


@contextmanager
def shared_home(backend: str, tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    """A fresh home (data on a SQLite file in it, or on a fresh PostgreSQL database), its
    environment and its bootstrap token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIGUARD_")}
    env.update(PIGUARD_HOME=str(tmp_path / "home"), PIGUARD_LOG_LEVEL="warning", PIGUARD_RATE_LIMIT="0")

    def init() -> str:
        out = subprocess.run(
            [*PIGUARD, "init", "--json"], env=env, capture_output=True, text=True, check=True
        )
        return str(json.loads(out.stdout)["bootstrap_token"])

    if backend == "sqlite":
        yield env, init()
        return
    with fresh_database() as url:
        env["PIGUARD_DATABASE_URL"] = url
        yield env, init()


def start_node(
    live_server: LiveServers,
    env: dict[str, str],
    log: Path,
    *,
    workers: int = 1,
    extra: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """One ``piguard serve`` node on a free port; returns the process and its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = live_server.process(
        [*PIGUARD, "serve", "--port", str(port), "--workers", str(workers)],
        env={**env, **(extra or {})},
        log=log,
        ready=http_ok(f"{base}/healthz"),
    )
    return proc, base
