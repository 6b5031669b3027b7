"""The live-server helpers (tests/live.py): a deadline, the server's output on failure, always stopped."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.live import LiveServers, free_port, http_ok, serve_app, serve_process


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_process_that_exits_fails_with_its_output(tmp_path: Path) -> None:
    with (
        pytest.raises(pytest.fail.Exception, match=r"(?s)exited while starting.*exit status 3.*no such home"),
        serve_process(
            _python("import sys; print('no such home', file=sys.stderr); sys.exit(3)"),
            env={},
            log=tmp_path / "server.log",
            ready=lambda: False,
        ),
    ):
        pass


def test_a_process_never_ready_fails_at_the_deadline_and_is_stopped(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    argv = _python("import os, time; print('starting', os.getpid(), flush=True); time.sleep(60)")
    with (
        pytest.raises(pytest.fail.Exception, match=r"(?s)not ready within 1 s.*starting"),
        serve_process(argv, env={}, log=log, ready=lambda: False, deadline=1),
    ):
        pass
    pid = int(log.read_text().split()[1])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # terminated and reaped


def test_a_ready_process_is_yielded_and_terminated(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    servers = LiveServers()
    proc = servers.process(
        argv, env={"PATH": ""}, log=tmp_path / "server.log", ready=http_ok(f"http://127.0.0.1:{port}/")
    )
    assert proc.poll() is None
    servers.stop_all()
    assert proc.returncode is not None


def test_an_app_is_served_and_stopped(live_server: LiveServers) -> None:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    base = live_server.app(app, log_level="warning")
    assert httpx.get(f"{base}/ping").json() == "pong"
    live_server.stop_all()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/ping")


def test_an_app_that_fails_to_start_fails_with_its_log() -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("keyring locked")
        yield

    with (
        pytest.raises(pytest.fail.Exception, match=r"(?s)exited while starting.*keyring locked"),
        serve_app(FastAPI(lifespan=lifespan), log_level="warning"),
    ):
        pass
