"""Issue 11 item 18: an administrator resets a staff user's password and TOTP (R-USE-1, R-AUD-1).

Over the production wiring (the installation's own accounts and audit trail), SQLite and
PostgreSQL: the reset ends every session at once, the old password and authenticator stop
working, the one-time password opens only the reset flow and only once, and every step is
recorded without the secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from piguard.access.credentials import totp_now
from piguard.access.tables import principals
from piguard.errors import AccessDenied, AuthenticationFailed, NotFound, ValidationError
from tests.access.conftest import SETUP, Staff, World, make_world

NEW_PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def audited(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    """A world whose access events go to the installation's own audit trail."""
    w = make_world(tmp_path, environ, audited=True)
    yield w
    w.inst.close()


def _admin_and_user(world: World) -> tuple[Staff, Staff]:
    return world.user("admin", name="alice_admin"), world.user("customer_service", name="bob_cs")


def _enrol(world: World, name: str, one_time: str) -> dict[str, str]:
    """Use the one-time password and set the new credentials; returns the new TOTP secret."""
    enrolment = world.access.begin_reset(name, one_time)
    code = totp_now(enrolment.totp_secret, world.clock.now())
    world.access.complete_reset(enrolment.ticket, NEW_PASSWORD, code)
    return {"totp_secret": enrolment.totp_secret, "code": code}


@pytest.mark.req("R-USE-1")
def test_reset_revokes_sessions_and_refuses_old_password_and_old_totp_r_use_1(world: World) -> None:
    admin, bob = _admin_and_user(world)
    out = world.access.reset_credentials(admin.actor, bob.name)
    assert out["status"] == "reset" and len(out["one_time_password"]) >= 20
    # The old session (and so the console session holding it) stops working at once.
    with pytest.raises(AuthenticationFailed, match="account reset"):
        world.access.authenticate(bob.token)
    world.clock.advance(timedelta(seconds=31))
    old_code = totp_now(bob.totp_secret, world.clock.now())
    with pytest.raises(AuthenticationFailed):
        world.access.login(bob.name, bob.password, old_code)
    assert world.access.principal(bob.name)["status"] == "reset"
    assert world.access.principal(bob.name)["totp"] is False

    new = _enrol(world, bob.name, out["one_time_password"])
    world.clock.advance(timedelta(seconds=31))
    # The old password and the old authenticator stay refused after re-enrolment.
    with pytest.raises(AuthenticationFailed):
        world.access.login(bob.name, bob.password, totp_now(new["totp_secret"], world.clock.now()))
    with pytest.raises(AuthenticationFailed):
        world.access.login(bob.name, NEW_PASSWORD, totp_now(bob.totp_secret, world.clock.now()))
    login = world.access.login(bob.name, NEW_PASSWORD, totp_now(new["totp_secret"], world.clock.now()))
    assert world.access.authenticate(login.token).name == bob.name
    assert world.access.principal(bob.name)["status"] == "active"


@pytest.mark.req("R-USE-1")
def test_one_time_password_opens_only_the_reset_flow_and_only_once_r_use_1(world: World) -> None:
    admin, bob = _admin_and_user(world)
    one_time = world.access.reset_credentials(admin.actor, bob.name)["one_time_password"]
    # Neither a login password nor a bearer token.
    with pytest.raises(AuthenticationFailed):
        world.access.login(bob.name, one_time, None)
    with pytest.raises(AuthenticationFailed, match="invalid token"):
        world.access.authenticate(one_time)
    # Another user's name with it fails, and does not use it up.
    with pytest.raises(AuthenticationFailed, match="one-time password"):
        world.access.begin_reset(admin.name, one_time)
    enrolment = world.access.begin_reset(bob.name, one_time)
    # The enrolment ticket is no bearer token either.
    with pytest.raises(AuthenticationFailed, match="invalid token"):
        world.access.authenticate(enrolment.ticket)
    with pytest.raises(AuthenticationFailed, match="one-time password"):
        world.access.begin_reset(bob.name, one_time)
    code = totp_now(enrolment.totp_secret, world.clock.now())
    world.access.complete_reset(enrolment.ticket, NEW_PASSWORD, code)
    # The ticket is used up too, and the enrolment code cannot log in a second time.
    with pytest.raises(AuthenticationFailed, match="expired or was used"):
        world.access.complete_reset(enrolment.ticket, NEW_PASSWORD, code)
    with pytest.raises(AuthenticationFailed):
        world.access.login(bob.name, NEW_PASSWORD, code)


@pytest.mark.req("R-USE-1")
def test_reset_enrolment_checks_password_policy_and_the_new_code_and_keeps_the_ticket(world: World) -> None:
    admin, bob = _admin_and_user(world)
    one_time = world.access.reset_credentials(admin.actor, bob.name)["one_time_password"]
    enrolment = world.access.begin_reset(bob.name, one_time)
    code = totp_now(enrolment.totp_secret, world.clock.now())
    with pytest.raises(ValidationError) as weak:
        world.access.complete_reset(enrolment.ticket, "short", code)
    assert weak.value.field == "password"
    with pytest.raises(AuthenticationFailed, match="new secret"):
        world.access.complete_reset(
            enrolment.ticket, NEW_PASSWORD, totp_now(bob.totp_secret, world.clock.now())
        )
    assert world.access.principal(bob.name)["status"] == "reset"
    # The same ticket shows the same pending secret again, and completes.
    assert world.access.resets.enrolment(enrolment.ticket).totp_secret == enrolment.totp_secret
    world.access.complete_reset(enrolment.ticket, NEW_PASSWORD, code)
    assert world.access.principal(bob.name)["status"] == "active"


@pytest.mark.req("R-USE-1")
def test_reset_tokens_expire(world: World) -> None:
    admin, bob = _admin_and_user(world)
    one_time = world.access.reset_credentials(admin.actor, bob.name)["one_time_password"]
    world.clock.advance(world.access.resets.one_time_ttl + timedelta(seconds=1))
    with pytest.raises(AuthenticationFailed):
        world.access.begin_reset(bob.name, one_time)
    one_time = world.access.reset_credentials(admin.actor, bob.name)["one_time_password"]
    enrolment = world.access.begin_reset(bob.name, one_time)
    world.clock.advance(world.access.resets.enrolment_ttl + timedelta(seconds=1))
    with pytest.raises(AuthenticationFailed, match="expired"):
        world.access.complete_reset(
            enrolment.ticket, NEW_PASSWORD, totp_now(enrolment.totp_secret, world.clock.now())
        )


@pytest.mark.req("R-USE-1")
def test_a_second_reset_voids_the_first_one_time_password(world: World) -> None:
    admin, bob = _admin_and_user(world)
    first = world.access.reset_credentials(admin.actor, bob.name)["one_time_password"]
    second = world.access.reset_credentials(admin.actor, bob.name)["one_time_password"]
    with pytest.raises(AuthenticationFailed):
        world.access.begin_reset(bob.name, first)
    _enrol(world, bob.name, second)


@pytest.mark.req("R-USE-1")
def test_self_reset_is_refused_r_use_1(world: World) -> None:
    admin, _ = _admin_and_user(world)
    with pytest.raises(AccessDenied) as refused:
        world.access.reset_credentials(admin.actor, admin.name)
    assert refused.value.key == "self_reset"
    assert world.access.authenticate(admin.token).name == admin.name


@pytest.mark.req("R-USE-1")
def test_non_admin_cannot_reset_r_use_1(world: World) -> None:
    # Approvers first: the set-up credential may stop minting them once an administrator exists.
    officer = world.user("officer", name="olga_officer")
    _, bob = _admin_and_user(world)
    carol = world.user("customer_service", name="carol_cs")
    for who in (carol, officer):
        with pytest.raises(AccessDenied):
            world.access.reset_credentials(who.actor, bob.name)
    assert world.access.authenticate(bob.token).name == bob.name


@pytest.mark.req("R-USE-1")
def test_reset_refuses_bootstrap_and_the_roles_that_oversee_administrators_r_use_1(world: World) -> None:
    # Overseers first: the set-up credential may stop minting approvers once an administrator exists.
    overseers = {role: world.user(role, name=f"{role}_x") for role in ("officer", "auditor")}
    admin, bob = _admin_and_user(world)
    with pytest.raises(AccessDenied) as by_bootstrap:
        world.access.reset_credentials(SETUP, bob.name)
    assert by_bootstrap.value.key == "reset_bootstrap"
    with pytest.raises(AccessDenied) as of_bootstrap:
        world.access.reset_credentials(admin.actor, "bootstrap")
    assert of_bootstrap.value.key == "reset_bootstrap"
    # Whoever holds the one-time password becomes the account: an administrator must not
    # become the officer (approve) or the auditor (audit) who check administrators.
    for role, target in overseers.items():
        with pytest.raises(AccessDenied) as refused:
            world.access.reset_credentials(admin.actor, target.name)
        assert refused.value.key == "reset_oversight" and refused.value.params == {"role": role}
        assert world.access.authenticate(target.token).name == target.name
    # Another administrator's account can be reset.
    other = world.user("admin", name="zed_admin")
    assert world.access.reset_credentials(admin.actor, other.name)["status"] == "reset"


@pytest.mark.req("R-USE-1")
def test_reset_does_not_lift_a_freeze_or_a_disable(world: World) -> None:
    admin, bob = _admin_and_user(world)
    world.access.freeze_principal(world.access.principal(bob.name)["id"], "suspected harvesting")
    with pytest.raises(ValidationError, match="frozen"):
        world.access.reset_credentials(admin.actor, bob.name)
    world.access.disable(admin.actor, bob.name)
    with pytest.raises(ValidationError, match="disabled"):
        world.access.reset_credentials(admin.actor, bob.name)
    with pytest.raises(NotFound):
        world.access.reset_credentials(admin.actor, "nobody")


@pytest.mark.req("R-USE-1")
def test_reset_clears_a_lockout(world: World) -> None:
    admin, bob = _admin_and_user(world)
    for _ in range(world.access.max_failures):
        with pytest.raises(AuthenticationFailed):
            world.access.login(bob.name, "wrong password here", None)
    assert world.access.principal(bob.name)["locked"] is True
    one_time = world.access.reset_credentials(admin.actor, bob.name)["one_time_password"]
    new = _enrol(world, bob.name, one_time)
    world.clock.advance(timedelta(seconds=31))
    world.access.login(bob.name, NEW_PASSWORD, totp_now(new["totp_secret"], world.clock.now()))


@pytest.mark.req("R-AUD-1")
def test_every_reset_step_is_audited_and_no_secret_is_stored_in_clear_r_aud_1(
    audited: World, tmp_path: Path
) -> None:
    world = audited
    admin, bob = _admin_and_user(world)
    bob_id = world.access.principal(bob.name)["id"]
    with pytest.raises(AccessDenied):
        world.access.reset_credentials(admin.actor, admin.name)
    out = world.access.reset_credentials(admin.actor, bob.name)
    one_time = out["one_time_password"]
    with pytest.raises(AuthenticationFailed):
        world.access.begin_reset(bob.name, "not-the-one-time-password")
    enrolment = world.access.begin_reset(bob.name, one_time)
    world.access.complete_reset(
        enrolment.ticket, NEW_PASSWORD, totp_now(enrolment.totp_secret, world.clock.now())
    )

    entries = world.inst.audit.query(limit=1000)
    steps = [
        (e.action, e.result, e.actor_id)
        for e in entries
        if e.action in {"user_reset", "reset_begin", "credentials_set"}
    ]
    admin_id = admin.actor.id
    assert ("user_reset", "denied", admin_id) in steps  # self-reset refused, recorded
    assert ("user_reset", "ok", admin_id) in steps  # who reset ...
    reset = next(e for e in entries if e.action == "user_reset" and e.result == "ok")
    assert reset.detail["principal_id"] == bob_id  # ... whom
    assert any(a == "reset_begin" and r == "denied" for a, r, _ in steps)  # a wrong one-time password
    assert ("reset_begin", "ok", bob_id) in steps
    assert ("credentials_set", "ok", bob_id) in steps

    # No secret in clear in any file of the home (databases, WAL, audit segments).
    secrets = [one_time, NEW_PASSWORD, enrolment.ticket, enrolment.totp_secret]
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in raw, f"{secret[:4]}… in {path.name}"
    with world.inst.db.read() as conn:
        row = conn.execute(select(principals).where(principals.c.id == bob_id)).one()
    assert row.password_hash.startswith("$argon2id$") and enrolment.totp_secret not in row.totp_secret
