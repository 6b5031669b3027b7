"""Free text where it cannot be erased (issue 11, item 9): a mobile and a resident ID typed into
every free-text place that lives long or is immutable are masked on write.

Through the real API (the composition root's app): consent evidence, the purpose of a refused
request (and the refusal's reason), a grant reason, an alert acknowledgement and an account's
disable reason. Then the raw bytes of the data database (and its WAL), the key store and an
audit export are searched for the canaries: none may appear.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from tests.access.conftest import World, make_world

from piguard.audit.rules import AlertDraft
from piguard.crypto.keyring import generate_master_secret
from piguard.demo import resident_id
from piguard.server import create_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    w = make_world(tmp_path, {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}, audited=True)
    yield w
    w.inst.close()


def _forms(value: str) -> list[bytes]:
    digits = "".join(ch for ch in value if ch.isdigit())
    return [value.encode("utf-8"), digits.encode(), digits[-8:].encode()]


@pytest.mark.req("R-COL-2")
def test_pi_typed_into_free_text_is_not_stored_in_clear(
    world: World, tmp_path: Path, rng: random.Random
) -> None:
    mobile = f"139{rng.randrange(10**8):08d}"
    rid = resident_id(rng, date(1985, 4, 9), True)
    agent = world.user("customer_service")
    officer = world.user("officer")
    admin = world.user("admin")
    leaver = world.user("marketing")
    cid = world.customer()
    world.consent(cid, "service")
    client = TestClient(create_server(world.inst, console=False))

    def as_(staff: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {staff.token}"}  # type: ignore[attr-defined]

    # 1. Consent evidence (consent records are immutable).
    r = client.post(
        f"/v1/customers/{cid}/consent",
        json={"purposes": ["marketing"], "channel": "phone", "evidence_ref": f"call with {mobile}"},
        headers=as_(agent),
    )
    assert r.status_code == 201, r.text
    # 2. A refused request whose purpose is what the caller typed (the trail is immutable).
    r = client.get(f"/v1/records/customer/{cid}", params={"purpose": f"回电 {mobile}"}, headers=as_(agent))
    assert r.status_code in (400, 403), r.text
    # 3. A grant reason.
    r = client.post(
        "/v1/grants",
        json={
            "purpose": "service",
            "reason": f"customer {rid} asked",
            "customer_id": cid,
            # A field the role sees in clear (a grant for one it never does is refused at request).
            "fields": ["customer.membership_level"],
        },
        headers=as_(agent),
    )
    assert r.status_code == 201, r.text
    # 4. An alert acknowledgement (the alert raised as a rule would).
    alert = world.inst.audit._raise_alert(
        AlertDraft("mass_access", "high", agent.actor.id, "many customers", 1, 1)
    )
    r = client.post(
        f"/v1/alerts/{alert.id}/ack",
        json={"comment": f"called the agent back on {mobile}, ID {rid}"},
        headers=as_(officer),
    )
    assert r.status_code == 200, r.text
    # 5. A disable reason.
    r = client.post(
        f"/v1/users/{leaver.name}/disable", json={"reason": f"left; reach at {mobile}"}, headers=as_(admin)
    )
    assert r.status_code == 200, r.text

    export = tmp_path / "trail.jsonl"
    world.inst.audit.export(export)
    home = tmp_path / "home"
    files = [p for p in home.iterdir() if p.name.startswith(("data.db", "keys.db"))] + [export]
    assert any(p.name == "data.db" for p in files)
    for path in files:
        raw = path.read_bytes()
        for form in [*_forms(mobile), *_forms(rid)]:
            assert form not in raw, f"{form!r} found in {path.name}"
    # The masked forms are what was kept: the officer still sees what the text was about.
    masked = mobile[:3] + "****" + mobile[-4:]
    assert masked.encode() in (home / "data.db").read_bytes() + (
        (home / "data.db-wal").read_bytes() if (home / "data.db-wal").exists() else b""
    )
