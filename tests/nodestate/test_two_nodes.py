"""Two ``piguard serve`` processes on one home (issue 12, item 1): every rule holds across both.

Real servers over real HTTP, on one SQLite home and on one PostgreSQL database: a console
session and an API token created on one node work on the other; a rate limit admits its
requests in total across both; a mass-access alert fires when the reads are split; a freeze on
one node is refused on the next request to the other; a grant approved on one is used on the other.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pyotp
import pytest

from tests.live import LiveServers, free_port, http_ok
from tests.pg import fresh_database

pytestmark = [pytest.mark.slow, pytest.mark.req("R-USE-1")]

PIGUARD = [sys.executable, "-m", "piguard.cli.main"]
#: The bucket size of the nodes' rate limit (it refills at 0.001 request a second: not in a test).
BURST = 120


#: Seconds per request: the machine running the suite is shared and often loaded.
TIMEOUT = 60.0


def _get(url: str, **kw: Any) -> httpx.Response:
    return httpx.get(url, timeout=TIMEOUT, **kw)


def _post(url: str, **kw: Any) -> httpx.Response:
    kw.setdefault("timeout", TIMEOUT)
    return httpx.post(url, **kw)


@dataclass
class Nodes:
    a: str
    b: str
    token: str
    staff: dict[str, dict[str, str]]
    backend: str

    def login(self, role: str, base: str) -> dict[str, str]:
        person = self.staff[role]
        code = pyotp.TOTP(person["totp_secret"]).now() if person.get("totp_secret") else None
        r = _post(
            f"{base}/v1/auth/login",
            json={"name": person["name"], "password": person["password"], "totp": code},
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    @property
    def root(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def nodes(request: pytest.FixtureRequest, tmp_path: Path, live_server: LiveServers) -> Iterator[Nodes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIGUARD_")}
    env.update(
        PIGUARD_HOME=str(tmp_path / "home"),
        PIGUARD_LOG_LEVEL="warning",
        PIGUARD_RATE_LIMIT="0.001",
        PIGUARD_RATE_BURST=str(BURST),
    )
    with fresh_database() if request.param == "postgres" else _nothing() as url:
        if url:
            env["PIGUARD_DATABASE_URL"] = url
        init = subprocess.run(
            [*PIGUARD, "init", "--json"], env=env, capture_output=True, text=True, check=True
        )
        token = json.loads(init.stdout)["bootstrap_token"]
        demo = subprocess.run(
            [*PIGUARD, "demo", "--customers", "0", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        staff = {p["role"]: p for p in json.loads(demo.stdout)["staff"]}
        bases = []
        for name in ("a", "b"):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            live_server.process(
                [*PIGUARD, "serve", "--port", str(port)],
                env=env,
                log=tmp_path / f"node-{name}.log",
                ready=http_ok(f"{base}/healthz"),
                deadline=180,  # two servers start on a shared, loaded 2-core machine
            )
            bases.append(base)
        yield Nodes(bases[0], bases[1], token, staff, request.param)
        live_server.stop_all()


class _nothing:
    def __enter__(self) -> str:
        return ""

    def __exit__(self, *exc: object) -> None:
        return None


def _customers(nodes: Nodes, n: int) -> list[str]:
    body = "\n".join(
        json.dumps({"name": "节点" + chr(0x4E00 + i), "mobile": f"139{i:08d}"}, ensure_ascii=False)
        for i in range(n)
    ).encode()
    r = _post(
        f"{nodes.a}/v1/import/customer",
        params={"purpose": "service", "format": "jsonl"},
        content=body,
        headers=nodes.root,
        timeout=60,
    )
    assert r.status_code == 200 and r.json()["accepted"] == n, r.text
    return list(r.json()["ids"])


def test_session_and_api_key_made_on_one_node_work_on_the_other(nodes: Nodes) -> None:
    """R-USE-1: credentials are database rows; the console session is too (it used to be one process's)."""
    key = _post(f"{nodes.a}/v1/clients", json={"name": "crm", "role": "auditor"}, headers=nodes.root)
    assert key.status_code == 201, key.text
    api_key = key.json()["api_key"]
    assert _get(f"{nodes.b}/v1/whoami", headers={"X-API-Key": api_key}).status_code == 200
    api = nodes.login("customer_service", nodes.a)
    assert _get(f"{nodes.b}/v1/whoami", headers=api).status_code == 200

    person = nodes.staff["auditor"]  # another user: the API login above used this step's code
    with httpx.Client(base_url=nodes.a, headers={"Origin": nodes.a}, timeout=TIMEOUT) as browser:
        page = browser.get("/console/login")
        prelogin = re.search(r'name="prelogin" value="([^"]+)"', page.text)
        assert prelogin, page.text[:500]
        signed = browser.post(
            "/console/login",
            data={
                "prelogin": prelogin.group(1),
                "name": person["name"],
                "password": person["password"],
                "totp": pyotp.TOTP(person["totp_secret"]).now(),
            },
        )
        assert signed.status_code == 303 and signed.headers["location"].endswith("/console/"), signed.text
        cookie = browser.cookies["pg_session"]
    elsewhere = _get(f"{nodes.b}/console/", cookies={"pg_session": cookie})
    assert elsewhere.status_code == 200 and "/console/login" not in str(elsewhere.url), elsewhere.status_code
    stranger = _get(f"{nodes.b}/console/", cookies={"pg_session": "x" * 43})
    assert stranger.status_code in (303, 307) or "/console/login" in stranger.headers.get("location", "")


def test_rate_limit_admits_its_budget_in_total_across_both_nodes(nodes: Nodes) -> None:
    """R-USE-1: N requests split across nodes count as N (one bucket row, one atomic upsert)."""
    key = _post(f"{nodes.a}/v1/clients", json={"name": "flood", "role": "auditor"}, headers=nodes.root)
    assert key.status_code == 201, key.text
    auth = {"X-API-Key": key.json()["api_key"]}
    codes: list[int] = []
    with httpx.Client(headers=auth, timeout=TIMEOUT) as client:
        for i in range(BURST + 40):
            codes.append(client.get(f"{nodes.a if i % 2 else nodes.b}/v1/whoami").status_code)
    assert set(codes) == {200, 429}
    assert codes.count(200) == BURST, codes.count(200)
    assert all(c == 429 for c in codes[BURST:])


@pytest.mark.req("R-USE-3")
def test_mass_access_fires_when_the_reads_are_split_across_nodes(nodes: Nodes) -> None:
    """R-USE-3: 25 reads on one node and 25 on the other are 50 distinct customers to ``mass_access``."""
    ids = _customers(nodes, 50)
    agent = nodes.login("customer_service", nodes.a)
    for i, cid in enumerate(ids):
        base = nodes.a if i % 2 else nodes.b
        r = _get(f"{base}/v1/records/customer/{cid}", params={"purpose": "service"}, headers=agent)
        assert r.status_code == 200, r.text
        assert r.json()["fields"]["mobile"] != f"139{int(ids.index(cid)):08d}"  # masked
    alerts = _get(f"{nodes.b}/v1/alerts", headers=nodes.login("auditor", nodes.b))
    assert alerts.status_code == 200, alerts.text
    listed: list[dict[str, Any]] = alerts.json()["alerts"]
    mass = [a for a in listed if a["rule"] == "mass_access"]
    assert len(mass) == 1, alerts.json()
    assert mass[0]["principal_id"] == _get(f"{nodes.a}/v1/whoami", headers=agent).json()["id"]


def test_a_status_change_on_one_node_stops_the_next_request_on_the_other(nodes: Nodes) -> None:
    """R-USE-1: a principal's status (disabled, frozen) is a row; every node re-checks it on
    every request, so disabling on node A refuses the very next request on node B."""
    agent = nodes.login("customer_service", nodes.a)
    assert _get(f"{nodes.b}/v1/whoami", headers=agent).status_code == 200
    name = nodes.staff["customer_service"]["name"]
    disabled = _post(f"{nodes.a}/v1/users/{name}/disable", json={"reason": "containment"}, headers=nodes.root)
    assert disabled.status_code == 200, disabled.text
    assert _get(f"{nodes.b}/v1/whoami", headers=agent).status_code == 401


@pytest.mark.req("R-USE-2")
def test_a_grant_approved_on_one_node_is_used_on_the_other(nodes: Nodes) -> None:
    """R-USE-2: the front desk sees no guest outside a checked-in stay; a check-in grant for one
    guest, asked on node B and approved by a second person on node A, checks the guest in on
    node B and opens their profile there; refused before the approval, on either node."""
    (cid,) = _customers(nodes, 1)
    desk = nodes.login("front_desk", nodes.b)
    read: dict[str, Any] = {"params": {"purpose": "service"}, "headers": desk}
    assert _get(f"{nodes.b}/v1/records/customer/{cid}", **read).status_code == 403
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    stay = _post(
        f"{nodes.b}/v1/stays",
        json={
            "purpose": "service",
            "customer_id": cid,
            "values": {
                "room_no": "1208",
                "check_in": today.isoformat(),
                "check_out": (today + timedelta(days=1)).isoformat(),
            },
        },
        headers=desk,
    )
    assert stay.status_code == 201, stay.text
    asked = _post(
        f"{nodes.b}/v1/grants",
        json={"kind": "check_in", "purpose": "service", "reason": "walk-in, ID seen", "customer_id": cid},
        headers=desk,
    )
    assert asked.status_code == 201, asked.text
    gid = asked.json()["id"]
    check_in: dict[str, Any] = {"json": {"purpose": "service", "grant_id": gid}, "headers": desk}
    early = _post(f"{nodes.a}/v1/stays/{stay.json()['stay_id']}/check-in", **check_in)
    assert early.status_code == 403, early.text  # pending: it checks nobody in, on any node
    officer = nodes.login("officer", nodes.a)
    decided = _post(f"{nodes.a}/v1/grants/{gid}/decide", json={"approve": True}, headers=officer)
    assert decided.status_code == 200 and decided.json()["status"] == "approved", decided.text
    done = _post(f"{nodes.b}/v1/stays/{stay.json()['stay_id']}/check-in", **check_in)
    assert done.status_code == 200 and done.json()["method"] == "approval", done.text
    for node in (nodes.b, nodes.a):
        after = _get(f"{node}/v1/records/customer/{cid}", **read)
        assert after.status_code == 200, after.text
