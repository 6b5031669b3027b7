"""The audit routes: queries, verification, a customer's own history, alerts."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
import yaml
from fastapi import FastAPI, Header

from piguard import errors
from piguard.access import BOOTSTRAP_ROLE
from piguard.api import problems
from piguard.api.audit_routes import build_router
from piguard.api.deps import current_actor
from piguard.catalog import profile_path
from piguard.clock import FixedClock
from piguard.gate import RequestContext
from piguard.installation import Installation, init_home
from piguard.vault.model import Actor
from tests.audit.conftest import START, event

with warnings.catch_warnings():
    # starlette's TestClient warns about its httpx backend at import; not our concern here.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

#: A customer principal's role: its own data and access history only (row scope ``own``).
DATA_SUBJECT = {
    "description": "A customer: their own access history only.",
    "actions": ["read"],
    "scope": "own",
    "access": [{"selector": "*", "level": "deny"}],
}


@dataclass
class Trail:
    client: TestClient
    inst: Installation
    c1: str
    c2: str


def _catalog(tmp_path: Path) -> Path:
    """The default catalog with a customer principal's role (the privacy centre's caller)."""
    raw = yaml.safe_load(profile_path("default").read_text(encoding="utf-8"))
    raw["roles"].setdefault("data_subject", DATA_SUBJECT)
    out = tmp_path / "catalog.yaml"
    out.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Trail]:
    for name in ("PIGUARD_DATABASE_URL", "PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    init_home(tmp_path / "home", catalog_file=_catalog(tmp_path), expected_customers=10_000)
    clock = FixedClock(START)
    inst = Installation(tmp_path / "home", clock=clock)
    setup = RequestContext(Actor("setup", BOOTSTRAP_ROLE, "staff"), "service", client="test")
    c1 = inst.gate.create(setup, "customer", {"name": "张三"}).customer_id
    c2 = inst.gate.create(setup, "customer", {"name": "李四"}).customer_id
    audit = inst.audit
    for i, cid in enumerate((c1, c2, c2)):
        audit.record(event(clock, i, customer_id=cid, record_id=cid))
    audit.record(event(clock, 2, actor_id="gone", result="denied", rule="account disabled"))
    actors = {
        "auditor": Actor("aud-1", "auditor", "staff"),
        "cs": Actor("cs-1", "customer_service", "staff"),
        "customer": Actor(f"customer:{c1}", "data_subject", "customer"),
    }

    def who(x_test_actor: Annotated[str, Header()] = "") -> Actor:
        if x_test_actor not in actors:
            raise errors.AuthenticationFailed("missing bearer token")
        return actors[x_test_actor]

    app = FastAPI()
    app.add_exception_handler(errors.Error, problems.piguard_error)
    app.include_router(build_router(inst))
    app.dependency_overrides[current_actor] = who
    yield Trail(TestClient(app), inst, c1, c2)
    inst.close()


def get(c: TestClient, url: str, who: str, **params: str) -> tuple[int, dict[str, Any]]:
    r = c.get(url, headers={"X-Test-Actor": who}, params=params)
    return r.status_code, r.json()


def test_entries_by_customer_and_actor(client: Trail) -> None:
    c, audit = client.client, client.inst.audit
    status, body = get(c, "/v1/audit/entries", "auditor", customer_id=client.c1, action="read")
    assert status == 200
    entries = body["entries"]
    assert isinstance(entries, list)
    assert [e["customer_ref"] for e in entries] == [audit.customer_ref(client.c1)]
    status, body = get(c, "/v1/audit/entries", "auditor", actor="gone")
    assert [e["result"] for e in body["entries"]] == ["denied"]
    assert get(c, "/v1/audit/entries", "cs")[0] == 403
    assert get(c, "/v1/audit/entries", "nobody")[0] == 401
    assert get(c, "/v1/audit/entries", "auditor", since="2025-03-03T00:00:00")[0] == 422  # no zone


def test_verify_and_public_key(client: Trail) -> None:
    c, audit = client.client, client.inst.audit
    status, body = get(c, "/v1/audit/verify", "auditor")
    assert status == 200 and body["ok"] is True
    assert get(c, "/v1/audit/public-key", "auditor")[1]["key_id"] == audit.key_id


def test_customer_sees_own_history_by_role_and_purpose(client: Trail) -> None:
    c = client.client
    status, body = get(c, f"/v1/audit/customers/{client.c1}/history", "customer")
    assert status == 200
    # The record's creation by the set-up administrator, then the read: by role, never by name.
    assert [h["by_role"] for h in body["history"]] == [BOOTSTRAP_ROLE, "customer_service"]
    assert body["history"][1:] == [
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
    assert not any("actor_id" in h or "aud-1" in str(h) for h in body["history"])
    assert get(c, f"/v1/audit/customers/{client.c2}/history", "customer")[0] == 403  # not their own
    assert get(c, f"/v1/audit/customers/{client.c2}/history", "auditor")[0] == 200
    assert get(c, f"/v1/audit/customers/{client.c1}/history", "cs")[0] == 403


def test_alerts_list_and_ack(client: Trail) -> None:
    c = client.client
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
