"""Deciding grants is a human decision: a trained staff member with a fresh step-up (issue 11, item 4).

Approvals go through one place, :meth:`piguard.access.approvals.Approvals.decide_grant`, which
the API, the CLI and the console all call; these tests reach it through the account service and
over HTTP with the real app.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import pytest

from piguard import errors
from piguard.api import deps, problems
from piguard.api.access_routes import build_router
from piguard.errors import AccessDenied
from tests.access.conftest import SETUP, World

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.req("R-USE-2")


def _pending(world: World) -> str:
    desk = world.user("front_desk")
    grant = world.access.request_grant(
        desk.actor, kind="clear", purpose="service", reason="guest at the desk", customer_id="c_1"
    )
    return str(grant["id"])


def _refusals(world: World) -> list[str]:
    return [e.rule for e in world.recorder.events if e.action == "grant_decide" and e.result == "denied"]


def _robot_officer(world: World) -> str:
    """An officer API client, approved by a second person (the two-person rule for privileged roles)."""
    key = str(world.access.add_client(SETUP, "robot-officer", "officer")["api_key"])
    world.access.approve_account(world.user("admin").actor, "robot-officer")
    return key


def test_api_client_of_an_approving_role_cannot_approve(world: World) -> None:
    """An officer API key (no TOTP, no training, no person) is refused, with the reason, and audited."""
    gid = _pending(world)
    key = _robot_officer(world)
    robot = world.access.authenticate(key)
    with pytest.raises(AccessDenied, match="human decision") as refused:
        world.access.decide_grant(robot, gid, approve=True)
    assert refused.value.rule == "approve.human"
    with pytest.raises(AccessDenied, match="human decision"):
        world.access.decide_grant(robot, gid, approve=False)
    assert _refusals(world) == ["approve.human", "approve.human"]
    assert world.access.grants.get(gid).status == "pending"


def test_api_client_approval_is_refused_over_http_with_a_problem(sqlite_world: World) -> None:
    world = sqlite_world
    gid = _pending(world)
    key = _robot_officer(world)
    app = FastAPI()
    app.add_exception_handler(errors.Error, problems.piguard_error)
    app.include_router(build_router(world.access))
    deps.bind(app, world.access)
    r = TestClient(app).post(f"/v1/grants/{gid}/decide", json={"approve": True}, headers={"X-API-Key": key})
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert "human decision" in r.json()["detail"]
    assert world.access.grants.get(gid).status == "pending"


def test_approver_without_a_fresh_step_up_is_refused_until_stepping_up(world: World) -> None:
    gid = _pending(world)
    officer = world.user("officer")
    world.clock.advance(timedelta(minutes=11))  # the login's step-up has gone stale
    with pytest.raises(AccessDenied, match="step-up within the last 10 minutes") as refused:
        world.access.decide_grant(world.reauth(officer), gid, approve=True)
    assert refused.value.rule == "approve.step_up" and _refusals(world) == ["approve.step_up"]
    world.step_up(officer)
    assert world.access.decide_grant(officer.actor, gid, approve=True)["status"] == "approved"


@pytest.mark.req("R-TRN-1")
def test_untrained_approver_can_neither_approve_nor_reject_r_trn_1(world: World) -> None:
    gid = _pending(world)
    officer = world.user("officer", trained=False)
    for approve in (True, False):
        with pytest.raises(AccessDenied, match="cannot approve") as refused:
            world.access.decide_grant(officer.actor, gid, approve=approve)
        assert refused.value.rule == "training"
    assert world.access.grants.get(gid).status == "pending"


def test_bootstrap_token_cannot_decide(world: World) -> None:
    gid = _pending(world)
    with pytest.raises(AccessDenied, match="human decision"):
        world.access.decide_grant(SETUP, gid, approve=True)
