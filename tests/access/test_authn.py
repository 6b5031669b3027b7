"""Authentication: passwords, TOTP, lockout, tokens, disabling (R-USE-1; seed 001)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from piguard.access.credentials import totp_now
from piguard.errors import AccessDenied, AuthenticationFailed, Conflict, NotFound, ValidationError
from tests.access.conftest import SETUP, World

pytestmark = pytest.mark.req("R-USE-1")


def test_login_returns_token_that_authenticates_r_use_1(world: World) -> None:
    staff = world.user("customer_service")
    assert staff.token.startswith("pgs_")
    actor = world.access.authenticate(staff.token)
    assert (actor.role, actor.kind, actor.name) == ("customer_service", "staff", staff.name)
    assert actor.step_up_at == world.clock.now()


def test_tokens_are_stored_only_as_hashes(world: World) -> None:
    from sqlalchemy import select

    from piguard.access.tables import principals, tokens

    staff = world.user("customer_service")
    with world.inst.db.read() as conn:
        stored = [r.token_hash for r in conn.execute(select(tokens))]
        hashes = [r.password_hash for r in conn.execute(select(principals))]
    assert staff.token not in stored and all(len(h) == 64 for h in stored)
    assert all(h.startswith("$argon2id$") for h in hashes) and staff.password not in hashes


def test_wrong_password_and_unknown_user_get_one_message(world: World) -> None:
    staff = world.user("customer_service")
    code = totp_now(staff.totp_secret, world.clock.now() + timedelta(seconds=31))
    with pytest.raises(AuthenticationFailed) as wrong:
        world.access.login(staff.name, "not the password at all", code)
    with pytest.raises(AuthenticationFailed) as unknown:
        world.access.login("nobody", "not the password at all", code)
    assert str(wrong.value) == str(unknown.value) == "invalid user name, password or TOTP code"


def test_totp_replay_is_refused_r_use_1(world: World) -> None:
    staff = world.user("customer_service")
    used = totp_now(staff.totp_secret, world.clock.now())
    with pytest.raises(AuthenticationFailed):
        world.access.login(staff.name, staff.password, used)
    with pytest.raises(AuthenticationFailed, match="already used"):
        world.access.step_up(staff.actor, used)


def test_totp_is_required_when_enrolled(world: World) -> None:
    staff = world.user("customer_service")
    world.clock.advance(timedelta(minutes=1))
    with pytest.raises(AuthenticationFailed):
        world.access.login(staff.name, staff.password, None)


def test_lockout_after_five_failures_and_admin_unlock(world: World) -> None:
    staff = world.user("customer_service")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match="invalid"):
            world.access.login(staff.name, "wrong password!!", "000000")
    with pytest.raises(AuthenticationFailed, match=r"locked after 5 failed logins.*piguard users unlock"):
        world.access.login(staff.name, "wrong password!!", "000000")
    world.clock.advance(timedelta(minutes=1))
    good = totp_now(staff.totp_secret, world.clock.now())
    with pytest.raises(AuthenticationFailed, match="locked"):
        world.access.login(staff.name, staff.password, good)
    assert world.access.principal(staff.name)["locked"] is True
    admin = world.user("admin")
    world.access.unlock(admin.actor, staff.name)
    assert world.access.login(staff.name, staff.password, good).token


def test_only_administrators_unlock(world: World) -> None:
    cs = world.user("customer_service")
    with pytest.raises(AccessDenied, match="may not administer"):
        world.access.unlock(cs.actor, cs.name)


def test_expired_token_refused(world: World) -> None:
    staff = world.user("customer_service")
    world.clock.advance(timedelta(hours=8, seconds=1))
    with pytest.raises(AuthenticationFailed, match="expired"):
        world.access.authenticate(staff.token)


def test_logout_revokes(world: World) -> None:
    staff = world.user("customer_service")
    world.access.logout(staff.actor)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        world.access.authenticate(staff.token)


def test_disabling_takes_effect_on_the_next_request_seed_001(world: World) -> None:
    staff = world.user("customer_service")
    admin = world.user("admin")
    world.access.authenticate(staff.token)
    world.access.disable(admin.actor, staff.name, "left the company")
    with pytest.raises(AuthenticationFailed):
        world.access.authenticate(staff.token)
    # The refused attempt is recorded, so the audit rule for disabled principals can see it.
    attempt = world.recorder.events[-1]
    assert (attempt.action, attempt.result, attempt.actor_id) == ("authenticate", "denied", staff.actor.id)
    assert "disabled" in attempt.rule
    world.clock.advance(timedelta(minutes=1))
    with pytest.raises(AuthenticationFailed, match="disabled"):
        world.access.login(staff.name, staff.password, totp_now(staff.totp_secret, world.clock.now()))


def test_api_client_key_and_revocation(world: World) -> None:
    admin = world.user("admin")
    client = world.access.add_client(admin.actor, "crm-sync", "marketing", days=30)
    # A marketing client is privileged (it sees tags in clear): a second person activates it.
    world.access.approve_account(world.root_admin(), client["id"])
    actor = world.access.authenticate(client["api_key"])
    assert (actor.kind, actor.role) == ("client", "marketing")
    world.access.revoke_client(admin.actor, "crm-sync")
    with pytest.raises(AuthenticationFailed):
        world.access.authenticate(client["api_key"])
    world.clock.advance(timedelta(days=31))
    other = world.access.add_client(admin.actor, "crm-2", "marketing", days=1)
    world.access.approve_account(world.root_admin(), other["id"])
    world.clock.advance(timedelta(days=2))
    with pytest.raises(AuthenticationFailed, match="expired"):
        world.access.authenticate(other["api_key"])


def test_freeze_principal_revokes_at_once(world: World) -> None:
    staff = world.user("customer_service")
    world.access.freeze_principal(staff.actor.id, "harvesting suspected")
    with pytest.raises(AuthenticationFailed, match="frozen"):
        world.access.authenticate(staff.token)
    with pytest.raises(NotFound):
        world.access.freeze_principal("usr_nobody", "x")


def test_unknown_and_bootstrap_tokens(world: World) -> None:
    with pytest.raises(AuthenticationFailed):
        world.access.authenticate("pgs_forged")
    with pytest.raises(AuthenticationFailed):
        world.access.authenticate("")


def test_user_admin_validation(world: World) -> None:
    world.access.add_user(SETUP, "dup", "customer_service")
    with pytest.raises(Conflict):
        world.access.add_user(SETUP, "dup", "customer_service")
    with pytest.raises(ValidationError):
        world.access.add_user(SETUP, "x", "no_such_role")
    with pytest.raises(ValidationError, match="requires TOTP"):
        world.access.add_user(SETUP, "y", "officer", totp=False)
    with pytest.raises(ValidationError, match="12 characters"):
        world.access.add_user(SETUP, "z", "marketing", password="short")
    listed = world.access.list_principals(SETUP)
    assert [p["name"] for p in listed] == ["dup"]
    assert "password" not in repr(listed) and "totp_secret" not in repr(listed)


def test_administrative_actions_are_recorded(world: World) -> None:
    world.access.add_user(SETUP, "someone", "customer_service")
    assert any(e.action == "user_add" for e in world.recorder.events)


def test_totp_seeds_are_sealed_in_the_database(world: World) -> None:
    """A copy of the database does not yield the TOTP seeds that would let anyone mint codes."""
    from sqlalchemy import text

    staff = world.user("customer_service")
    with world.inst.db.engine.connect() as conn:
        stored = conn.execute(
            text("select totp_secret from access_principals where name = :n"), {"n": staff.name}
        ).scalar_one()
    assert staff.totp_secret not in stored and stored.startswith("sb1:")
