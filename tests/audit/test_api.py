"""The audit routes: queries, verification, a customer's own history, alerts."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Header

from piguard import errors
from piguard.api import problems
from piguard.api.audit_routes import build_router
from piguard.audit import AuditLog, DisabledPrincipal
from piguard.clock import FixedClock
from piguard.installation import Installation, init_home
from piguard.vault.model import Actor
from tests.audit.conftest import START, event

with warnings.catch_warnings():
    # starlette's TestClient warns about its httpx backend at import; not our concern here.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ACTORS = {
    "auditor": Actor("aud-1", "auditor", "staff"),
    "cs": Actor("cs-1", "customer_service", "staff"),
    "customer": Actor("C1", "customer", "customer"),
}


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, AuditLog]]:
    for name in ("PIGUARD_DATABASE_URL", "PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    init_home(tmp_path / "home", expected_customers=10_000)
    inst = Installation(tmp_path / "home")
    clock = FixedClock(START)
    audit = AuditLog(inst.db, inst.keyring, clock=clock, rules=[DisabledPrincipal()])
    for i in range(3):
        audit.record(event(clock, i))
    audit.record(event(clock, 2, actor_id="gone", result="denied", rule="account disabled"))

    def who(x_test_actor: Annotated[str, Header()] = "") -> Actor:
        if x_test_actor not in ACTORS:
            raise errors.AuthenticationFailed("missing bearer token")
        return ACTORS[x_test_actor]

    app = FastAPI()
    app.add_exception_handler(errors.Error, problems.piguard_error)
    app.include_router(build_router(inst, who, audit))
    yield TestClient(app), audit
    audit.close()
    inst.close()


def get(c: TestClient, url: str, who: str, **params: str) -> tuple[int, dict[str, Any]]:
    r = c.get(url, headers={"X-Test-Actor": who}, params=params)
    return r.status_code, r.json()


def test_entries_by_customer_and_actor(client: tuple[TestClient, AuditLog]) -> None:
    c, audit = client
    status, body = get(c, "/v1/audit/entries", "auditor", customer_id="C1")
    assert status == 200
    entries = body["entries"]
    assert isinstance(entries, list) and [e["customer_ref"] for e in entries] == [audit.customer_ref("C1")]
    status, body = get(c, "/v1/audit/entries", "auditor", actor="gone")
    assert [e["result"] for e in body["entries"]] == ["denied"]
    assert get(c, "/v1/audit/entries", "cs")[0] == 403
    assert get(c, "/v1/audit/entries", "nobody")[0] == 401
    assert get(c, "/v1/audit/entries", "auditor", since="2025-03-03T00:00:00")[0] == 422  # no zone


def test_verify_and_public_key(client: tuple[TestClient, AuditLog]) -> None:
    c, audit = client
    status, body = get(c, "/v1/audit/verify", "auditor")
    assert status == 200 and body["ok"] is True
    assert get(c, "/v1/audit/public-key", "auditor")[1]["key_id"] == audit.key_id


def test_customer_sees_own_history_by_role_and_purpose(client: tuple[TestClient, AuditLog]) -> None:
    c, _ = client
    status, body = get(c, "/v1/audit/customers/C1/history", "customer")
    assert status == 200
    assert body["history"] == [
        {
            "time": "2025-03-03T02:00:00.000000Z",
            "action": "read",
            "by_role": "customer_service",
            "purpose": "service",
            "record_type": "customer",
            "fields": ["name", "mobile"],
            "decision": "allow",
            "result": "ok",
        }
    ]
    assert get(c, "/v1/audit/customers/C2/history", "customer")[0] == 403  # not their own
    assert get(c, "/v1/audit/customers/C2/history", "auditor")[0] == 200


def test_alerts_list_and_ack(client: tuple[TestClient, AuditLog]) -> None:
    c, _ = client
    _, body = get(c, "/v1/alerts", "auditor", status="open")
    [alert] = body["alerts"]
    assert alert["rule"] == "disabled_principal"
    r = c.post(
        f"/v1/alerts/{alert['id']}/ack", headers={"X-Test-Actor": "auditor"}, json={"comment": "known"}
    )
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    r = c.post(f"/v1/alerts/{alert['id']}/ack", headers={"X-Test-Actor": "auditor"}, json={"comment": "x"})
    assert r.status_code == 409
    assert get(c, "/v1/alerts", "cs")[0] == 403
