"""Retention executes (R-STO-5, R-DST-1, R-DST-3): what has expired is destroyed or stripped,
customer by customer with its destruction record; held customers are kept; a rerun does nothing
twice; a run killed half-way is completed by the next, and the audit chain verifies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from piguard.clock import FixedClock
from piguard.errors import AccessDenied
from piguard.gate import RequestContext
from piguard.installation import Installation
from piguard.lifecycle import Lifecycle
from piguard.lifecycle.tables import destructions, statistics
from tests.access.conftest import ADULT, SETUP, World
from tests.cli.test_cli import home
from tests.rights.test_cases import Api, move
from tests.rights.test_fulfilments import ACCOUNT

__all__ = ["home"]

pytestmark = pytest.mark.req("R-STO-5", "R-DST-1", "R-DST-3")

NOTE = {"text": "客户来电咨询账单", "channel": "phone"}


def _person(world: World, mobile: str) -> str:
    cid = world.customer(dict(ADULT, mobile=mobile))
    world.service.create(RequestContext(SETUP, "aml_kyc"), "bank_account", ACCOUNT, customer_id=cid)
    world.service.create(RequestContext(SETUP, "customer_support"), "service_note", NOTE, customer_id=cid)
    return cid


def test_a_run_destroys_and_strips_what_expired_and_keeps_the_held(world: World, api: Api) -> None:
    live, closed, held = (_person(world, f"1370013700{i}") for i in range(3))
    for cid in (closed, held):
        api("customer_service", "POST", f"/v1/customers/{cid}/close", json={"reason": "销户"})
    api("officer", "POST", "/v1/holds", expect=201, json={"customer_id": held, "reason": "诉讼"})
    assert api("admin", "POST", "/v1/retention/run")["stripped"] == 0  # nothing is due yet

    move(world, datetime(2029, 3, 3, 2, tzinfo=UTC))  # three years and a day later
    done = api("admin", "POST", "/v1/retention/run")
    assert (done["customers"], done["held"], done["stripped"], done["destroyed"], done["failed"]) == (
        3,
        1,
        1,
        0,
        0,
    )
    # The service notes' rule asks a person (an open complaint may need them): queued, still there.
    assert done["queued"] == 2
    for cid in (live, closed):
        assert len(world.inst.vault.customer_records(cid, "service_note")) == 1
    waiting = api("auditor", "GET", "/v1/retention/reviews")["reviews"]
    assert sorted(r["customer_id"] for r in waiting) == sorted([live, closed])
    for review in waiting:
        decided = {"decision": "destroy", "reason": "no complaint open"}
        api("officer", "POST", f"/v1/retention/reviews/{review['id']}/decide", json=decided)
    second = api("admin", "POST", "/v1/retention/run")
    assert (second["stripped"], second["destroyed"], second["queued"], second["failed"]) == (2, 0, 0, 0)
    vault = world.inst.vault
    for cid in (live, closed):  # the three-year service notes are gone
        assert vault.customer_records(cid, "service_note") == []
    assert len(vault.customer_records(held, "service_note")) == 1  # the hold kept everything
    # The closed customer lost what relationship_3y kept; AML's ten years keep the rest.
    profile = vault.read("customer", closed).values
    assert "email" not in profile and "bank_card" not in profile
    assert profile["resident_id"] == ADULT["resident_id"]
    assert vault.read("customer", live).values["email"] == ADULT["email"]
    # R-DST-2: what is left of the closed customer is kept only for AML: every other purpose is refused.
    for role in ("customer_service", "finance"):  # three years on, staff have had their yearly training
        world.access.record_training(
            SETUP, world.staff_of(role).name, kind="course", course="PIPL basics",
            completed_on=world.inst.gate.today(), score=90,
        )  # fmt: skip
    with pytest.raises(AccessDenied, match="storage and protection only"):
        world.service.read(
            world.ctx(world.step_up(world.staff_of("customer_service"))), "customer", closed, ["name"]
        )
    finance = RequestContext(world.step_up(world.staff_of("finance")), "aml_kyc")
    [account] = vault.customer_records(closed, "bank_account")
    assert world.service.read(finance, "bank_account", account.record_id, ["account_no"])["account_no"].value
    assert world.service.read(
        world.ctx(world.step_up(world.staff_of("customer_service"))), "customer", live, ["name"]
    )
    assert len(done["records"]) == 1 and len(second["records"]) == 2
    records: dict[str, list[dict[str, Any]]] = {}
    for r in world.inst.capability(Lifecycle).destructions(
        RequestContext(world.step_up(world.staff_of("auditor")), "")
    ):
        records.setdefault(r["customer_id"], []).append(r)
    stripped, dropped = sorted(records[closed], key=lambda r: r["at"])
    assert stripped["method"] == "partial" and stripped["operation"] == "retention_apply"
    assert "email" in stripped["fields"]["customer"] and dropped["deleted"] == {"service_note": 1}
    assert all(r["verification"]["unreadable"] for rs in records.values() for r in rs)

    again = api("admin", "POST", "/v1/retention/run")  # nothing is done twice
    assert (again["stripped"], again["destroyed"], again["records"]) == (0, 0, [])

    move(world, datetime(2036, 3, 3, 2, tzinfo=UTC))  # AML's ten years are over too
    final = api("admin", "POST", "/v1/retention/run")
    assert final["destroyed"] == 1 and final["held"] == 1
    assert not vault.exists(closed) and vault.exists(held) and vault.exists(live)
    assert world.inst.audit.verify().ok
    entries = [e.action for e in world.inst.audit.query(action="retention_run", limit=10)]
    assert len(entries) == 5


def test_only_the_administrator_runs_retention(world: World, api: Api) -> None:
    api("officer", "POST", "/v1/retention/run", expect=403)
    api("customer_service", "POST", "/v1/retention/run", expect=403)


RUNNER = """
import sys
from piguard.cli.main import app
sys.argv = ["piguard", "retention", "run", "--json"]
app()
"""


def test_a_run_killed_half_way_is_finished_by_the_next(home: Path, tmp_path: Path) -> None:
    """SIGKILL in the middle of a run (a subprocess): the rerun finishes, nothing is destroyed twice,
    every destroyed customer has exactly one destruction record, and the audit chain verifies."""
    count = 200
    with Installation(home, clock=FixedClock(datetime(2020, 1, 6, 2, tzinfo=UTC))) as inst:
        setup = RequestContext(SETUP, "service")
        for i in range(count):  # orders: their rule (anonymise) needs no one's decision
            cid = inst.gate.create(setup, "customer", dict(ADULT, mobile=f"139{i:08d}")).customer_id
            inst.gate.create(setup, "order", {"order_no": f"SO{i:08d}", "amount": "12.50"}, customer_id=cid)
    env = {**os.environ, "PIGUARD_HOME": str(home)}
    env.pop("PIGUARD_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # One installation polls (opening one per poll would let a fast run finish unseen).
        with Installation(home) as watcher:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                with watcher.db.read() as conn:
                    if conn.execute(select(func.count()).select_from(destructions)).scalar_one() >= 10:
                        break
                time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    before = _destructions(home)
    # Killed mid-run in practice (at 10 to 40 of 200 here); on a fast machine the run may have done
    # its last customer before the signal landed: what is checked below holds either way.
    assert 0 < before <= count, (proc.returncode, before)
    done = subprocess.run(
        [sys.executable, "-c", RUNNER], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["failed"] == 0 and result["stripped"] == count - before
    with Installation(home) as inst:
        with inst.db.read() as conn:
            rows = conn.execute(select(destructions)).mappings().all()
        customers = {r["customer_id"] for r in rows}
        assert len(rows) == count == len(customers)  # one record each, none twice
        for cid in customers:
            assert inst.vault.customer_records(cid, "order") == []
            assert inst.vault.read("customer", cid, ["mobile"]).values["mobile"].startswith("139")
        # Anonymisation counted each order once, in the transaction that destroyed it.
        with inst.db.read() as conn:
            counted = conn.execute(select(statistics.c.month, statistics.c.records)).all()
        assert counted == [("2020-01", count)]
        inst.capability(Lifecycle).check(_system())  # signs what the kill left unsigned
        with inst.db.read() as conn:
            unsigned = conn.execute(select(destructions.c.id).where(destructions.c.signature.is_(None))).all()
        assert unsigned == []
        assert inst.audit.verify().ok


def _destructions(home: Path) -> int:
    with Installation(home) as inst, inst.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(destructions)).scalar_one())


def _system() -> RequestContext:
    from piguard.gate.principals import system_context

    return system_context("destruction_check", purpose="")
