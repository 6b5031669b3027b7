"""The compliance checks read the sharing register (R-SHR-1, R-SHR-3, R-SHR-4, R-SHR-6): a partner
with an active agreement but no current impact assessment fails; with one, the check passes and the
ROPA lists the partner as a recipient of the agreement's purpose."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from piguard.compliance import verify
from piguard.compliance.model import CheckResult
from tests.access.conftest import World
from tests.compliance.conftest import as_role, compliance
from tests.sharing.conftest import adult, agreement, assessment, consented, partner, sharer, sharing, world

__all__ = ["world"]


def _check(w: World, name: str) -> CheckResult:
    [found] = [c for c in compliance(w).check(as_role(w, "auditor")) if c.check == name]
    return found


@pytest.mark.req("R-SHR-1", "R-SHR-3", "R-SHR-4", "R-SHR-6")
def test_the_sharing_checks_read_the_register(world: World) -> None:
    assert _check(world, "sharing.agreements").status == "pass"  # no partner yet: nothing lacking
    made = partner(world)
    deal = agreement(world, made.id, assess=False)
    failing = _check(world, "sharing.agreements")
    assert failing.status == "fail" and made.id in str(failing.evidence)
    assessment(world, deal.id)
    assert _check(world, "sharing.agreements").status == "pass"
    assert _check(world, "sharing.provision_log").status == "record"
    assert _check(world, "sharing.cross_border").status == "pass"
    ropa = compliance(world).ropa(as_role(world, "auditor"))
    provision = next(a for a in ropa["activities"] if a["purpose"] == "partner_provision")
    assert [p["id"] for p in provision["recipients"]] == [made.id]


@pytest.mark.req("R-SHR-1", "R-SHR-3", "R-SHR-4")
def test_the_bundle_carries_the_sharing_records_and_the_checks_count_the_log(
    world: World, tmp_path: Path
) -> None:
    """R-SHR-4: the evidence bundle holds the register's agreements, assessments and transfer log
    (metadata, no customer); the checks read the log's size by one count query, not the log."""
    made = partner(world)
    deal = agreement(world, made.id)
    people = [consented(world, values=adult(i)) for i in range(2)]
    done = sharing(world).share(sharer(world), deal.id, fields=["mobile", "gender"], customers=people)
    sharing(world).share(sharer(world), deal.id, fields=["mobile"], customers=people[:1])
    check = _check(world, "sharing.provision_log")
    assert check.evidence["provisions"] == 2
    counted = [e for e in world.inst.audit.query(action="transfer_list", limit=100)]
    assert counted and all(e.detail["count"] == 2 for e in counted)
    out = tmp_path / "evidence.zip"
    result = compliance(world).bundle(as_role(world, "auditor"), out)
    assert "sharing_records.json" in result["files"]
    with zipfile.ZipFile(out) as archive:
        records = json.loads(archive.read("sharing_records.json"))
        raw = b"".join(archive.read(n) for n in archive.namelist())
    assert [a["id"] for a in records["agreements"]] == [deal.id]
    assert [a["agreement_id"] for a in records["assessments"]] == [deal.id]
    assert {t["id"] for t in records["transfers"]} >= {done.transfer_id}
    assert sorted(t["persons"] for t in records["transfers"]) == [1, 2]
    assert verify(out, compliance(world).public_key)["ok"]
    for i in range(2):  # canary: no customer's mobile, email or id in the bundle
        for value in (adult(i)["mobile"], adult(i)["email"], *people):
            assert value.encode() not in raw
