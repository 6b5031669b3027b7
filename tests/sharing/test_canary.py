"""Canary (issue 15): a shared customer's values reach no file of the home, neither the database
(transfer log, the customers a transfer carried, the audit trail) nor anything else; only the
desensitised content handed back to the caller leaves."""

from __future__ import annotations

from pathlib import Path

import pytest

from piguard.gate import RequestContext
from tests.access.conftest import World
from tests.sharing.conftest import (
    adult,
    agreement,
    consented,
    grant,
    officer,
    partner,
    purpose_assessment,
    sharer,
    sharing,
)

MOBILE, EMAIL, STREET = "13977712345", "canary.finch@example.org", "金丝雀路77号"


@pytest.mark.req("R-SHR-4", "R-STO-4")
def test_no_shared_value_is_in_any_file_of_the_home(world: World, tmp_path: Path) -> None:
    """R-SHR-4/R-STO-4: the transfer log keeps fields, rules, counts and a hash, never a value; a
    pseudonymised field's plaintext is neither in the output nor in any stored byte."""
    cid = consented(world, values=adult(5, mobile=MOBILE, email=EMAIL, address=f"北京市朝阳区{STREET}"))
    a = agreement(world, partner(world).id)
    result = sharing(world).share(
        sharer(world), a.id, fields=["mobile", "address", "name"], customers=[cid], output="jsonl"
    )
    assert result.persons == 1
    content = result.content.decode()
    assert MOBILE not in content and STREET not in content and "北京市" in content
    sharing(world).transfers(officer(world), customer_id=cid)
    world.inst.audit.checkpoint()
    found = []
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}:{c}" for c in (MOBILE, EMAIL, STREET) if c.encode() in data]
    assert found == []


@pytest.mark.req("R-SHR-8", "R-SHR-4")
def test_disclosures_requests_and_deletion_notices_leave_no_value_in_the_home(
    world: World, tmp_path: Path
) -> None:
    """R-SHR-8/R-SHR-4: a public disclosure, a share request's download and the deletion notice queued
    to the partner (and its outbox message) keep ids, names of fields and rules, counts and hashes in the
    home, never a customer value; the name disclosed appears only masked in the content."""
    name = "诸葛金雀"
    values = adult(6, mobile=MOBILE, email=EMAIL, address=f"北京市朝阳区{STREET}", name=name)
    cid = consented(world, values=values)
    grant(world, cid, "public_disclosure", ("general", "public_disclosure"))
    purpose_assessment(world, "public_disclosure")
    disclosed = sharing(world).disclose(
        sharer(world),
        purpose="public_disclosure",
        fields={"name": "mask", "address": {"rule": "generalise", "params": {"to": "city"}}},
        medium="官网公示",
        customers=[cid],
    )
    assert disclosed.persons == 1 and name not in disclosed.content.decode()
    a = agreement(world, partner(world).id)
    asked = sharing(world).request_share(sharer(world), a.id, fields=["mobile", "address"], customers=[cid])
    sharing(world).decide_share(officer(world), asked["id"])
    assert sharing(world).download(sharer(world), asked["id"]).persons == 1
    world.inst.gate.erase(
        RequestContext(world.step_up(world.staff_of("officer")), "service"), cid, reason="request"
    )
    assert [n["delivery"] for n in sharing(world).notices(officer(world))] == ["pending"]
    world.inst.audit.checkpoint()
    found = []
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}:{c}" for c in (MOBILE, EMAIL, STREET, name) if c.encode() in data]
    assert found == []
