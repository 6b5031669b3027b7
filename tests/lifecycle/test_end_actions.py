"""What happens when a retention period ends is the rule's action (R-STO-5, R-DST-1): ``review``
queues the record for a person (kept until they decide; destroyed by the next run after a
decision to destroy; asked again once a keep-until day is reached), ``anonymise`` keeps only
anonymous counts; contract ends and purposes fulfilled are recorded through the gate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from piguard.gate import RequestContext
from piguard.lifecycle import Lifecycle
from piguard.lifecycle.destruction import verify
from piguard.lifecycle.tables import reviews
from tests.access.conftest import ADULT, SETUP, World, environ, make_world
from tests.rights.test_cases import Api, move

__all__ = ["environ"]

pytestmark = pytest.mark.req("R-STO-5", "R-DST-1")

NOTE = {"text": "客户来电投诉账单错误", "channel": "phone"}
ORDER = {"order_no": "SO2026010512345", "amount": "88.00", "items": "两本书"}


@pytest.fixture
def world(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    """The rights tests' world, on SQLite and on PostgreSQL (the statistics' upsert differs)."""
    w = make_world(tmp_path, environ, audited=True)
    yield w
    w.inst.close()


@pytest.fixture
def api(world: World) -> Api:
    return Api(world)


def _noted(world: World, mobile: str) -> str:
    cid = world.customer(dict(ADULT, mobile=mobile))
    world.service.create(RequestContext(SETUP, "customer_support"), "service_note", NOTE, customer_id=cid)
    return cid


def test_a_review_keeps_the_record_until_a_person_decides(world: World, api: Api) -> None:
    cid = _noted(world, "13700137101")
    move(world, datetime(2029, 3, 10, 2, tzinfo=UTC))  # the note's three years are over
    vault = world.inst.vault
    first = api("admin", "POST", "/v1/retention/run")
    assert (first["queued"], first["stripped"], first["destroyed"]) == (1, 0, 0)
    assert api("admin", "POST", "/v1/retention/run")["queued"] == 0  # one open review, not two
    [review] = api("auditor", "GET", "/v1/retention/reviews")["reviews"]
    assert (review["customer_id"], review["record_type"], review["rule"], review["status"]) == (
        cid, "service_note", "service_notes_3y", "open",
    )  # fmt: skip
    assert review["due"] == "2029-03-02" and len(vault.customer_records(cid, "service_note")) == 1
    plan = api("auditor", "GET", "/v1/retention/plan")["actions"]
    assert {"record_type": "service_note", "rule": "service_notes_3y", "action": "review", "count": 1} in plan

    url = f"/v1/retention/reviews/{review['id']}/decide"
    # Only a role that approves decides; keep needs a day ahead; a decision is made once.
    api("customer_service", "POST", url, expect=403, json={"decision": "destroy", "reason": "x"})
    api("officer", "POST", url, expect=422, json={"decision": "keep", "reason": "complaint open"})
    keep = {"decision": "keep", "reason": "complaint open", "keep_until": "2029-06-30"}
    assert api("officer", "POST", url, json=keep)["status"] == "keep"
    assert "already" in api("officer", "POST", url, expect=409, json=keep)["detail"]
    assert api("admin", "POST", "/v1/retention/run")["queued"] == 0  # kept: nothing to ask
    assert len(vault.customer_records(cid, "service_note")) == 1

    move(world, datetime(2029, 7, 1, 2, tzinfo=UTC))  # the keep-until day is reached: asked again
    assert api("admin", "POST", "/v1/retention/run")["queued"] == 1
    [again] = api("auditor", "GET", "/v1/retention/reviews")["reviews"]
    assert again["id"] != review["id"]
    destroy = {"decision": "destroy", "reason": "complaint closed"}
    api("officer", "POST", f"/v1/retention/reviews/{again['id']}/decide", json=destroy)
    done = api("admin", "POST", "/v1/retention/run")
    assert (done["stripped"], done["queued"]) == (1, 0)
    assert vault.customer_records(cid, "service_note") == []
    assert vault.read("customer", cid, ["name"]).values["name"] == ADULT["name"]  # the rest stays
    history = api("auditor", "GET", "/v1/retention/reviews", params={"status": ""})["reviews"]
    assert sorted(r["status"] for r in history) == ["destroy", "keep"]
    # The reason is sealed in the table; no route shows it.
    with world.inst.db.read() as conn:
        sealed = conn.execute(select(reviews.c.reason)).scalars().all()
    assert all(r and "complaint" not in r for r in sealed) and "complaint" not in str(history)
    assert world.inst.audit.verify().ok


def test_anonymise_keeps_only_counts(world: World, api: Api, tmp_path: Path) -> None:
    cid = world.customer(dict(ADULT, mobile="13700137102"))
    world.service.create(RequestContext(SETUP, "service"), "order", ORDER, customer_id=cid)
    move(world, datetime(2029, 3, 10, 2, tzinfo=UTC))
    assert api("auditor", "GET", "/v1/retention/statistics")["statistics"] == []
    done = api("admin", "POST", "/v1/retention/run")
    assert (done["stripped"], done["anonymised"]) == (1, 1)
    assert world.inst.vault.customer_records(cid, "order") == []
    counted = api("auditor", "GET", "/v1/retention/statistics")["statistics"]
    assert counted == [{"record_type": "order", "rule": "ecommerce_3y", "month": "2026-03", "records": 1}]
    api("customer_service", "GET", "/v1/retention/statistics", expect=403)
    # The destruction record says how many records were anonymised before they went; it verifies.
    [record] = done["records"]
    document = api("auditor", "GET", f"/v1/destructions/{record}")
    assert document["anonymised"] == {"order": 1} and document["deleted"] == {"order": 1}
    assert verify(document, world.inst.capability(Lifecycle).public_key) == []
    # Canary: nothing of the order is left in the database file, only the count.
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            for value in (ORDER["order_no"], ORDER["items"]):
                assert value.encode() not in raw, path


def test_contract_ends_and_purposes_fulfilled_are_recorded_once(world: World, api: Api) -> None:
    cid = world.customer(dict(ADULT, mobile="13700137103"))
    url = f"/v1/customers/{cid}/lifecycle-events"
    done = api(
        "customer_service", "POST", url, expect=201, json={"event": "contract_end", "reason": "合同到期"}
    )
    assert done["on_date"] == world.inst.gate.today().isoformat()
    api("customer_service", "POST", url, expect=409, json={"event": "contract_end", "reason": "again"})
    fulfilled = {"event": "purpose_fulfilled", "purpose": "marketing", "reason": "campaign over"}
    assert api("customer_service", "POST", url, expect=201, json=fulfilled)["purpose"] == "marketing"
    for bad in (
        {"event": "purpose_fulfilled", "purpose": "no_such", "reason": "x"},
        {"event": "purpose_fulfilled", "reason": "x"},
        {"event": "contract_end", "purpose": "marketing", "reason": "x"},
        {"event": "birthday", "reason": "x"},
        {"event": "contract_end", "reason": "x", "on_date": (date.today() + timedelta(days=400)).isoformat()},
    ):
        api("customer_service", "POST", url, expect=422, json=bad)
    # A back-dated event can make the next run destroy at once: a role that approves decides.
    other = world.customer(dict(ADULT, mobile="13700137104"))
    earlier = {"event": "contract_end", "reason": "x", "on_date": "2025-01-01"}
    api("customer_service", "POST", f"/v1/customers/{other}/lifecycle-events", expect=403, json=earlier)
    api("officer", "POST", f"/v1/customers/{other}/lifecycle-events", expect=201, json=earlier)
