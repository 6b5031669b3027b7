"""``POST /v1/customers/{id}/match`` (issue 11, item 17): yes or no only, a refusal for what the
caller may not process, 429 once the probe budget is spent, and no trace of the stated value
in the database files or the logs."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from piguard.api.app import create_app
from tests.access.conftest import ADULT, World, make_world

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

MOBILE = "13912344865"


@pytest.fixture
def audited(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    w = make_world(tmp_path, environ, audited=True)
    yield w
    w.inst.close()


def _client(world: World) -> TestClient:
    return TestClient(create_app(world.inst))


@pytest.mark.req("R-USE-4")
@pytest.mark.req("R-USE-3")
def test_match_over_http(audited: World) -> None:
    world = audited
    cid = world.customer({**ADULT, "mobile": MOBILE})
    agent = world.user("customer_service", probes_per_hour=4)
    client = _client(world)
    auth = {"Authorization": f"Bearer {agent.token}"}
    url = f"/v1/customers/{cid}/match"

    def ask(value: str, field: str = "mobile") -> tuple[int, dict[str, object]]:
        r = client.post(url, json={"purpose": "service", "field": field, "value": value}, headers=auth)
        return r.status_code, r.json()

    assert ask("+86 139 1234 4865") == (200, {"match": True})
    assert ask("13912344866") == (200, {"match": False})
    status, problem = ask("6222021234567890128", "bank_card")
    assert status == 403  # may not read bank cards at all: a refusal, never "no"
    status, problem = ask("12")
    assert status == 422 and "mobile" in str(problem)
    assert ask(MOBILE) == (200, {"match": True})
    assert ask("13900000000") == (200, {"match": False})
    status, problem = ask(MOBILE)  # the fifth probe of customer.mobile this hour
    assert status == 429 and "customer.mobile" in str(problem["detail"])
    # Another customer id the caller cannot reach: 404 before anything is compared.
    r = client.post(
        "/v1/customers/Cnosuchcustomer00/match",
        json={"purpose": "service", "field": "mobile", "value": MOBILE},
        headers=auth,
    )
    assert r.status_code in (404, 422)


@pytest.mark.req("R-USE-4")
def test_no_stated_value_in_the_database_files_or_logs(
    audited: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Canary: values stated in match checks and exact searches, right and wrong, are nowhere in
    the raw bytes of the home (databases, WAL, key store) nor in the log records."""
    world = audited
    cid = world.customer({**ADULT, "mobile": MOBILE})
    agent = world.user("customer_service")
    client = _client(world)
    auth = {"Authorization": f"Bearer {agent.token}"}
    stated = ["13987654321", "13911112222", "110101199001011237"]
    caplog.set_level(logging.DEBUG)
    for value in stated[:2]:
        body = {"purpose": "service", "field": "mobile", "value": value}
        assert client.post(f"/v1/customers/{cid}/match", json=body, headers=auth).status_code == 200
        body = {"purpose": "service", "field": "mobile", "value": value}
        assert client.post("/v1/search", json=body, headers=auth).status_code == 200
    body = {"purpose": "service", "field": "resident_id", "value": stated[2]}
    assert client.post(f"/v1/customers/{cid}/match", json=body, headers=auth).json() == {"match": False}
    world.inst.audit.checkpoint()
    world.inst.close()
    blobs = b"".join(p.read_bytes() for p in Path(world.inst.settings.home).rglob("*") if p.is_file())
    logs = "\n".join(r.getMessage() for r in caplog.records)
    for value in stated:
        assert value.encode() not in blobs, value
        assert value not in logs, value
