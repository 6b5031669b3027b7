"""The compliance checks read the sharing register (R-SHR-1, R-SHR-3, R-SHR-4, R-SHR-6): a partner
with an active agreement but no current impact assessment fails; with one, the check passes and the
ROPA lists the partner as a recipient of the agreement's purpose."""

from __future__ import annotations

import pytest

from piguard.compliance.model import CheckResult
from tests.access.conftest import World
from tests.compliance.conftest import as_role, compliance
from tests.sharing.conftest import agreement, assessment, partner, world

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
