"""Live servers for tests: started, waited for with a hard deadline, always stopped.

Use the ``live_server`` fixture (tests/conftest.py), never a hand-written start-and-poll loop:

    def test_x(live_server: LiveServers, site: Site) -> None:
        base = live_server.app(site.app)                       # uvicorn in a thread
        ...

    def test_y(live_server: LiveServers, tmp_path: Path) -> None:
        port = free_port()
        live_server.process([*piguard, "serve", "--port", str(port)], env=env,
                            log=tmp_path / "server.log", ready=http_ok(f"http://127.0.0.1:{port}/healthz"))

A server that is not ready within ``deadline`` seconds (30 by default), or that exits or
dies while starting, fails the test with what it wrote (the process's stdout and stderr,
or the thread's exception and uvicorn's log records). Servers stop at the end of the test,
or earlier with ``live_server.stop_all()`` when the test inspects what they left behind.
"""

from __future__ import annotations

import logging
import socket
import ssl
import subprocess
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

#: Seconds a server gets to become ready, and to stop.
DEADLINE = 30.0
STOP_TIMEOUT = 20.0
_POLL = 0.05
_TAIL = 6000


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str, verify: Callable[[], ssl.SSLContext | bool] | None = None) -> Callable[[], bool]:
    """A readiness probe: ``url`` answers 200. ``verify`` is called per attempt (a certificate
    the server writes while starting cannot be loaded before it exists)."""

    def probe() -> bool:
        with httpx.Client(verify=verify() if verify else True, timeout=2.0) as client:
            return client.get(url).status_code == 200

    return probe


def wait_until_ready(
    ready: Callable[[], bool],
    alive: Callable[[], bool],
    describe: Callable[[], str],
    what: str,
    deadline: float = DEADLINE,
) -> None:
    """Poll ``ready`` until it holds; fail the test when ``alive`` stops holding or time runs out.

    ``ready`` raising an ``OSError`` or ``httpx.TransportError`` counts as not ready yet.
    """
    until = time.monotonic() + deadline
    while True:
        if not alive():
            pytest.fail(f"{what} exited while starting\n{describe()}", pytrace=False)
        try:
            if ready():
                return
        except (OSError, httpx.TransportError):
            pass
        if time.monotonic() >= until:
            pytest.fail(f"{what} was not ready within {deadline:g} s\n{describe()}", pytrace=False)
        time.sleep(_POLL)


def _tail(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"(no output: {exc})"
    text = data[-_TAIL:].decode("utf-8", "replace")
    return f"--- {path.name}, last {len(text)} characters ---\n{text}"


@contextmanager
def serve_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log: Path,
    ready: Callable[[], bool],
    deadline: float = DEADLINE,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` with stdout and stderr in ``log`` until ready; terminate (then kill) it after."""
    with log.open("wb") as out:
        proc = subprocess.Popen(list(argv), env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_ready(
                ready,
                alive=lambda: proc.poll() is None,
                describe=lambda: f"exit status {proc.poll()}\n{_tail(log)}",
                what=f"server {' '.join(argv[-4:])!r}",
                deadline=deadline,
            )
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


@contextmanager
def serve_app(app: Any, *, deadline: float = DEADLINE, **config: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread on a free loopback port; yield its base URL.

    ``config`` goes to ``uvicorn.Config`` (``log_level``, ``log_config``, ``access_log``, ...).
    """
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **config))
    failure: list[str] = []
    records = _Records()
    logger = logging.getLogger("uvicorn.error")

    def run() -> None:
        try:
            server.run()
        except BaseException:
            failure.append(traceback.format_exc())

    logger.addHandler(records)
    thread = threading.Thread(target=run, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    try:
        try:
            wait_until_ready(
                lambda: server.started,
                alive=thread.is_alive,
                describe=lambda: "\n".join([*records.lines, *failure]) or "(no output)",
                what=f"uvicorn on port {port}",
                deadline=deadline,
            )
        finally:
            logger.removeHandler(records)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=STOP_TIMEOUT)
        if thread.is_alive():
            pytest.fail(f"uvicorn on port {port} did not stop within {2 * STOP_TIMEOUT:g} s", pytrace=False)


class LiveServers:
    """The ``live_server`` fixture: starts servers for one test and stops them all after it."""

    def __init__(self) -> None:
        self._stack = ExitStack()

    def app(self, app: Any, *, deadline: float = DEADLINE, **config: Any) -> str:
        """``app`` under uvicorn in a thread (see ``serve_app``); returns its base URL."""
        return self._stack.enter_context(serve_app(app, deadline=deadline, **config))

    def process(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log: Path,
        ready: Callable[[], bool],
        deadline: float = DEADLINE,
    ) -> subprocess.Popen[bytes]:
        """``argv`` as a server process (see ``serve_process``)."""
        server = serve_process(argv, env=env, log=log, ready=ready, deadline=deadline)
        return self._stack.enter_context(server)

    def stop_all(self) -> None:
        """Stop every server started so far, newest first."""
        self._stack.close()
