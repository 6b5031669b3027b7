"""The account routes over HTTP: login, whoami, step-up, users, grants, lockout status codes."""

from __future__ import annotations

import warnings

import pytest
from fastapi import FastAPI

from piguard import errors
from piguard.access.authentication import LOGIN_FAILURE
from piguard.access.credentials import totp_now
from piguard.api import deps, problems
from piguard.api.access_routes import build_router
from tests.access.conftest import SETUP, World

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _client(world: World) -> TestClient:
    app = FastAPI()
    app.add_exception_handler(errors.Error, problems.piguard_error)
    app.include_router(build_router(world.access))
    # The one authentication dependency of every router, over this world's account service.
    deps.bind(app, world.access)
    return TestClient(app)


def test_login_whoami_step_up_logout(sqlite_world: World) -> None:
    world = sqlite_world
    user = world.access.add_user(SETUP, "ann", "customer_service")
    client = _client(world)
    body = {
        "name": "ann",
        "password": user["password"],
        "totp": totp_now(user["totp_secret"], world.clock.now()),
    }
    token = client.post("/v1/auth/login", json=body).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    me = client.get("/v1/whoami", headers=auth).json()
    assert me["role"] == "customer_service" and me["training"]["ok"] is False
    replay = client.post("/v1/auth/step-up", json={"totp": body["totp"]}, headers=auth)
    assert replay.status_code == 401
    assert client.get("/v1/users", headers=auth).status_code == 403
    assert client.post("/v1/auth/logout", headers=auth).status_code == 200
    assert client.get("/v1/whoami", headers=auth).status_code == 401


def test_back_off_over_http_names_no_account(sqlite_world: World) -> None:
    """Five bad logins: the sixth answer is the same 401 as for a name that does not exist."""
    world = sqlite_world
    world.access.add_user(SETUP, "bob", "customer_service")
    client = _client(world)
    answers = [
        client.post("/v1/auth/login", json={"name": name, "password": "wrong password", "totp": "123456"})
        for name in ("bob",) * 6 + ("nobody",) * 6
    ]
    assert {r.status_code for r in answers} == {401}
    assert {r.json()["detail"] for r in answers} == {LOGIN_FAILURE}
    assert world.access.principal("bob")["locked"] is True


def test_grant_flow_over_http(sqlite_world: World) -> None:
    world = sqlite_world
    desk = world.user("front_desk")
    officer = world.user("officer")
    client = _client(world)
    g = client.post(
        "/v1/grants",
        json={"purpose": "service", "reason": "check-in", "customer_id": "c_1"},
        headers={"Authorization": f"Bearer {desk.token}"},
    )
    assert g.status_code == 201
    gid = g.json()["id"]
    own = client.post(
        f"/v1/grants/{gid}/decide", json={"approve": True}, headers={"Authorization": f"Bearer {desk.token}"}
    )
    assert own.status_code == 403 and "self-approval" in own.json()["detail"]
    ok = client.post(
        f"/v1/grants/{gid}/decide",
        json={"approve": True},
        headers={"Authorization": f"Bearer {officer.token}"},
    )
    assert ok.json()["status"] == "approved"


@pytest.mark.req("R-USE-1")
def test_admin_resets_a_user_over_http_and_the_old_token_stops_at_once_r_use_1(sqlite_world: World) -> None:
    world = sqlite_world
    admin = world.user("admin", name="alice")
    bob = world.user("customer_service", name="bob")
    client = _client(world)
    as_admin = {"Authorization": f"Bearer {admin.token}"}
    as_bob = {"Authorization": f"Bearer {bob.token}"}
    assert client.post("/v1/users/alice/reset", headers=as_bob).status_code == 403  # not an administrator
    own = client.post("/v1/users/alice/reset", headers=as_admin)
    assert own.status_code == 403 and "your own credentials" in own.json()["detail"]
    r = client.post("/v1/users/bob/reset", headers=as_admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "reset" and body["one_time_password"]
    assert client.get("/v1/whoami", headers=as_bob).status_code == 401
    # The one-time password is no bearer token and no login password.
    assert (
        client.get("/v1/whoami", headers={"Authorization": f"Bearer {body['one_time_password']}"}).status_code
        == 401
    )
    login = client.post("/v1/auth/login", json={"name": "bob", "password": body["one_time_password"]})
    assert login.status_code == 401
    assert client.post("/v1/users/nobody/reset", headers=as_admin).status_code == 404


@pytest.mark.req("R-USE-2")
def test_officer_created_over_http_is_pending_until_a_second_admin_approves_r_use_2(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    first, second = world.user("admin"), world.user("admin")
    client = _client(world)
    made = client.post(
        "/v1/users",
        json={"name": "new.officer", "role": "officer"},
        headers={"Authorization": f"Bearer {first.token}"},
    )
    assert made.status_code == 201 and made.json()["status"] == "pending"
    own = client.post("/v1/users/new.officer/approve", headers={"Authorization": f"Bearer {first.token}"})
    assert own.status_code == 403 and "separation of duties" in own.json()["detail"]
    ok = client.post("/v1/users/new.officer/approve", headers={"Authorization": f"Bearer {second.token}"})
    assert ok.status_code == 200 and ok.json()["status"] == "active"
