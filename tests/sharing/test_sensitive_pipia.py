"""Impact assessment before sensitive PI (R-AUD-3, PIPL 55(1)): with ``sensitive_needs_pipia`` on,
an operation naming a sensitive field under a purpose without a current PIPIA of that purpose is
refused with that reason, for every capability (a guard in the kernel); fields that are not
sensitive are not held up; a PIPIA recorded on one node opens it on the next request, an expired
or unacceptable one does not; the compliance check says which purposes lack one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from piguard.compliance.model import CheckResult
from piguard.config import SETTINGS_FILE
from piguard.crypto.keyring import generate_master_secret
from piguard.errors import AccessDenied
from piguard.installation import Installation
from tests.access.conftest import ADULT, CHEAP, World, make_world
from tests.compliance.conftest import as_role, compliance
from tests.sharing.conftest import purpose_assessment

pytestmark = pytest.mark.req("R-AUD-3")


@pytest.fixture
def enforced(tmp_path: Path) -> Iterator[World]:
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    (tmp_path / "master.key").write_text(generate_master_secret())
    first = make_world(tmp_path, env, audited=True)
    first.inst.close()
    settings = tmp_path / "home" / SETTINGS_FILE
    settings.write_text(json.dumps({**json.loads(settings.read_text()), "sensitive_needs_pipia": True}))
    inst = Installation(tmp_path / "home", environ=env, clock=first.clock, passwords=CHEAP)
    w = World(inst, first.clock, inst.access, inst.gate, first.recorder)
    yield w
    inst.close()


def _read(world: World, cid: str, fields: list[str]) -> dict[str, object]:
    agent = (
        world.staff_of("customer_service")
        if "customer_service" in world.staff
        else world.user("customer_service")
    )
    return dict(world.service.read(world.ctx(agent), "customer", cid, fields))


def test_sensitive_fields_need_a_current_pipia_of_the_purpose(enforced: World) -> None:
    world = enforced
    cid = world.customer(dict(ADULT))
    assert _read(world, cid, ["name"])  # not sensitive: not held up
    with pytest.raises(AccessDenied, match=r"PIPIA.*'service'.*customer\.resident_id") as refused:
        _read(world, cid, ["name", "resident_id"])
    assert refused.value.rule == "R-AUD-3"
    purpose_assessment(world, "service", conclusion="not_acceptable")
    with pytest.raises(AccessDenied, match="PIPIA"):
        _read(world, cid, ["resident_id"])  # an unacceptable conclusion opens nothing
    purpose_assessment(world, "service")
    assert "resident_id" in _read(world, cid, ["name", "resident_id"])
    # Once it expires the purpose is refused again (the check reads the date on every access).
    world.clock.advance(timedelta(days=361))
    with pytest.raises(AccessDenied, match="PIPIA"):
        _read(world, cid, ["resident_id"])


def test_off_by_default_and_the_compliance_check_names_the_purposes_lacking_one(tmp_path: Path) -> None:
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    (tmp_path / "master.key").write_text(generate_master_secret())
    world = make_world(tmp_path, env, audited=True)
    try:
        cid = world.customer(dict(ADULT))
        assert "resident_id" in _read(world, cid, ["resident_id"])  # not enforced: served as before
        [check] = _check(world)
        assert check.status == "fail" and "service" in check.evidence["purposes"]
        for purpose in check.evidence["purposes"]:
            purpose_assessment(world, purpose)
        [check] = _check(world)
        assert check.status == "fail" and "does not enforce" in check.summary  # assessed, not enforced
    finally:
        world.inst.close()


def test_the_check_passes_when_every_purpose_is_assessed_and_enforced(enforced: World) -> None:
    [check] = _check(enforced)
    for purpose in check.evidence["purposes"]:
        purpose_assessment(enforced, purpose)
    [check] = _check(enforced)
    assert check.status == "pass", check.summary


def _check(world: World) -> list[CheckResult]:
    return [
        c for c in compliance(world).check(as_role(world, "auditor")) if c.check == "sharing.sensitive_pipia"
    ]
