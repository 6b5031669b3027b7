"""Fixtures of the compliance tests: a world over the production wiring (its own audit trail)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from piguard.access.credentials import totp_now
from piguard.compliance import Compliance
from piguard.gate import RequestContext
from tests.access.conftest import World, environ, make_world

__all__ = ["environ"]


@pytest.fixture
def world(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    w = make_world(tmp_path, environ, audited=True)
    yield w
    w.inst.close()


def compliance(world: World) -> Compliance:
    return world.inst.capability(Compliance)


def as_role(world: World, role: str) -> RequestContext:
    return RequestContext(world.step_up(world.staff_of(role)), "", client="test")


def statuses(world: World) -> dict[str, str]:
    """Requirement ID -> status, from a fresh report (JSON only)."""
    done = compliance(world).report(as_role(world, "auditor"), formats=("json",))
    return {r["id"]: r["status"] for r in done["requirements"]}


def move(world: World, by: timedelta) -> None:
    """Move the clock and sign every staff member in again (sessions expire as time passes)."""
    world.clock.set(world.clock.now() + by)
    for staff in world.staff.values():
        login = world.access.login(staff.name, staff.password, totp_now(staff.totp_secret, world.clock.now()))
        staff.token = login.token
        staff.actor = world.access.authenticate(login.token)
