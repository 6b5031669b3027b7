"""Authentication as an attacker meets it, against the real server (issue 11, items 1 and 10).

The server runs under uvicorn (tests/live.py) over a real installation on SQLite, with its own
audit trail, so locks, audit writes and counters behave as in production.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.live import LiveServers
from tests.web.conftest import Site, build_site

from piguard import errors
from piguard.api.hardening import Limits
from piguard.installation import Installation
from piguard.server import create_server

pytestmark = pytest.mark.req("R-USE-1")

PROBLEM = "application/problem+json"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(tmp_path)
    try:
        yield built
    finally:
        built.inst.close()


def _login(http: httpx.Client, site: Site, role: str) -> dict[str, str]:
    name, password, code = site.creds(role)
    r = http.post("/v1/auth/login", json={"name": name, "password": password, "totp": code})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.mark.req("R-AUD-1")
def test_wrong_step_up_code_does_not_block_other_readers(site: Site, live_server: LiveServers) -> None:
    """A wrong step-up code answers at once with a 401 problem, writes its audit entry, and a
    concurrent reader's request (which writes an entry of its own) is answered meanwhile."""
    base = live_server.app(site.app, log_level="warning")
    with httpx.Client(base_url=base, timeout=30) as http:
        agent = _login(http, site, "officer")
        reader = _login(http, site, "finance")
        read_url = f"/v1/records/bank_account/{site.account_id}?purpose=service"
        assert http.get(read_url, headers=reader).status_code == 200
        results: dict[str, tuple[httpx.Response, float]] = {}
        start = threading.Barrier(2)

        def step_up() -> None:
            start.wait()
            results["step_up"] = _timed(
                lambda: http.post("/v1/auth/step-up", json={"totp": "000000"}, headers=agent)
            )

        def read() -> None:
            start.wait()
            time.sleep(0.05)  # while the step-up is in flight
            results["read"] = _timed(lambda: http.get(read_url, headers=reader))

        threads = [threading.Thread(target=step_up), threading.Thread(target=read)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    wrong, wrong_seconds = results["step_up"]
    assert wrong.status_code == 401 and wrong.headers["content-type"] == PROBLEM
    assert "000000" not in wrong.text
    assert wrong_seconds < 1.0
    read_response, read_seconds = results["read"]
    assert read_response.status_code == 200 and read_seconds < 2.0
    officer = site.inst.access.principal(site.staff["officer"]["name"])["id"]
    denied = [e for e in site.inst.audit.query(actor=officer, action="step_up") if e.result == "denied"]
    assert len(denied) == 1 and denied[0].detail["failures"] == 1


def test_random_bearer_tokens_are_throttled_per_address(
    site: Site, live_server: LiveServers, tmp_path: Path
) -> None:
    """Each random token used to get a fresh rate-limit bucket (0 of 600 throttled). Requests that
    fail to authenticate are now counted per address, in the database: past the budget, 429."""
    app = create_server(
        site.inst, limits=Limits(rate_per_second=50, burst=100, unauthenticated_per_minute=30)
    )
    base = live_server.app(app, log_level="warning")
    codes: list[int] = []
    with httpx.Client(base_url=base, timeout=30) as http:
        valid = _login(http, site, "finance")
        for _ in range(120):
            r = http.get("/v1/whoami", headers={"Authorization": f"Bearer pgs_{secrets.token_urlsafe(32)}"})
            assert r.headers["content-type"] == PROBLEM
            codes.append(r.status_code)
        limited = http.get("/v1/whoami", headers={"X-API-Key": "pgk_nope"})
        # A valid token from the same address is not charged, nor refused.
        assert http.get("/v1/whoami", headers=valid).status_code == 200
    assert codes[:30] == [401] * 30
    assert set(codes[30:]) == {429}
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    # The count lives in the database: a second installation over the same home (another worker)
    # sees the address over its budget.
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    other = Installation(tmp_path / "home", environ=env, clock=site.clock)
    try:
        with pytest.raises(errors.TooManyAttempts, match="too many"):
            other.access.charge_unauthenticated("127.0.0.1", 30)
    finally:
        other.close()


def test_failed_logins_are_throttled_per_address_over_http(site: Site, live_server: LiveServers) -> None:
    app = create_server(site.inst, limits=Limits(rate_per_second=0, unauthenticated_per_minute=10))
    base = live_server.app(app, log_level="warning")
    with httpx.Client(base_url=base, timeout=30) as http:
        codes = [
            http.post(
                "/v1/auth/login", json={"name": f"guess{i}", "password": "password1", "totp": "000000"}
            ).status_code
            for i in range(15)
        ]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
