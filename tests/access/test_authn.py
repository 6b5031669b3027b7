"""Authentication: passwords, TOTP, lockout, tokens, disabling (R-USE-1; seed 001)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from piguard.access.authentication import LOGIN_FAILURE, STEP_UP_FAILURE
from piguard.access.credentials import totp_now
from piguard.errors import (
    AccessDenied,
    AuthenticationFailed,
    Conflict,
    NotFound,
    TooManyAttempts,
    ValidationError,
)
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
    assert str(wrong.value) == str(unknown.value) == LOGIN_FAILURE


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


def _fail_logins(world: World, name: str, times: int, address: str | None) -> list[str]:
    messages = []
    for _ in range(times):
        with pytest.raises(AuthenticationFailed) as refused:
            world.access.login(name, "wrong password!!", "000000", address=address)
        messages.append(str(refused.value))
    return messages


def test_five_bad_logins_back_off_only_their_address_and_admin_unlock(world: World) -> None:
    """Five bad logins from one address make that address wait; the owner elsewhere logs in."""
    staff = world.user("customer_service")
    world.access.backoff_base = timedelta(minutes=5)
    _fail_logins(world, staff.name, 5, "203.0.113.9")
    world.clock.advance(timedelta(seconds=31))
    good = totp_now(staff.totp_secret, world.clock.now())
    with pytest.raises(AuthenticationFailed, match="invalid user name"):
        # Even the right password is not checked while the pair backs off.
        world.access.login(staff.name, staff.password, good, address="203.0.113.9")
    assert world.access.principal(staff.name)["locked"] is True
    # The attacker's address does not lock the owner out.
    assert world.access.login(staff.name, staff.password, good, address="198.51.100.7").token
    admin = world.user("admin")
    world.access.unlock(admin.actor, staff.name)
    assert world.access.principal(staff.name)["locked"] is False
    world.clock.advance(timedelta(seconds=31))
    again = totp_now(staff.totp_secret, world.clock.now())
    assert world.access.login(staff.name, staff.password, again, address="203.0.113.9").token


def test_back_off_grows_exponentially_and_expires(world: World) -> None:
    staff = world.user("customer_service")
    where = "203.0.113.10"
    _fail_logins(world, staff.name, 5, where)
    # 30 s after the fifth failure, then 60 s after the sixth, 120 s after the seventh.
    for wait in (30, 60, 120):
        world.clock.advance(timedelta(seconds=wait - 1))
        assert world.access.authentication.context.throttle.failures(staff.name, where).blocked
        world.clock.advance(timedelta(seconds=1))
        assert not world.access.authentication.context.throttle.failures(staff.name, where).blocked
        _fail_logins(world, staff.name, 1, where)
    world.clock.advance(timedelta(seconds=240))
    code = totp_now(staff.totp_secret, world.clock.now())
    assert world.access.login(staff.name, staff.password, code, address=where).token


def test_locked_unknown_and_wrong_password_get_one_message(world: World) -> None:
    """No account enumeration: an unknown name, a wrong password and a backed-off pair all read alike."""
    staff = world.user("customer_service")
    where = "203.0.113.11"
    known = _fail_logins(world, staff.name, 6, where)
    unknown = _fail_logins(world, "nobody-here", 6, where)
    assert set(known) == set(unknown) == {LOGIN_FAILURE}
    assert staff.name not in LOGIN_FAILURE
    # The unknown name backs off exactly like the known one.
    throttle = world.access.authentication.context.throttle
    assert throttle.failures("nobody-here", where).blocked and throttle.failures(staff.name, where).blocked


@pytest.mark.req("R-AUD-1")
def test_failed_logins_are_audited_without_the_password_r_aud_1(world: World) -> None:
    staff = world.user("customer_service")
    with pytest.raises(AuthenticationFailed):
        world.access.login(staff.name, "Secret-Guess-42", "654321", address="203.0.113.12")
    denied = [e for e in world.recorder.events if e.action == "login" and e.result == "denied"]
    assert denied and denied[-1].actor_id == staff.actor.id and denied[-1].address == "203.0.113.12"
    assert denied[-1].detail["failures"] == 1
    text = repr(denied[-1])
    assert "Secret-Guess-42" not in text and "654321" not in text


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


@pytest.mark.req("R-AUD-1")
def test_wrong_step_up_code_is_audited_and_counts_towards_the_login_back_off_r_aud_1(
    world: World,
) -> None:
    staff = world.user("customer_service")
    world.access.backoff_base = timedelta(minutes=5)
    where = "203.0.113.20"
    for n in range(1, 6):
        with pytest.raises(AuthenticationFailed) as wrong:
            world.access.step_up(staff.actor, "000000", address=where)
        assert str(wrong.value) == STEP_UP_FAILURE
        entry = [e for e in world.recorder.events if e.action == "step_up"][-1]
        assert entry.result == "denied" and entry.detail["failures"] == n and entry.address == where
        assert "000000" not in repr(entry)
    # Failed step-ups and failed logins share one back-off per (login name, address).
    world.clock.advance(timedelta(seconds=31))
    code = totp_now(staff.totp_secret, world.clock.now())
    with pytest.raises(AuthenticationFailed, match="invalid user name"):
        world.access.login(staff.name, staff.password, code, address=where)
    with pytest.raises(AuthenticationFailed, match="wrong or already used"):
        world.access.step_up(staff.actor, code, address=where)
    assert world.access.principal(staff.name)["locked"] is True
    # From another address the right code still works, and clears only that address.
    world.access.step_up(staff.actor, code, address="198.51.100.20")
    assert world.reauth(staff).step_up_at == world.clock.now()


def test_random_tokens_budget_is_counted_per_address_and_minute_in_the_database(world: World) -> None:
    """Issue 11 item 10(a), on SQLite and PostgreSQL: the counter behind the per-address 429."""
    for _ in range(3):
        world.access.charge_unauthenticated("203.0.113.30", 3)
    with pytest.raises(TooManyAttempts) as limited:
        world.access.charge_unauthenticated("203.0.113.30", 3)
    assert 1 <= limited.value.retry_after <= 60
    world.access.charge_unauthenticated("203.0.113.31", 3)  # another address has its own budget
    world.clock.advance(timedelta(minutes=1))
    world.access.charge_unauthenticated("203.0.113.30", 3)  # a new minute, a new budget


def test_failure_counters_of_names_tried_once_do_not_pile_up(world: World) -> None:
    """A guesser trying many names leaves one row each; windows no rule reads are pruned."""
    from sqlalchemy import func, select

    from piguard.access.tables import auth_counters

    _fail_logins(world, "guessed-once", 1, "203.0.113.40")
    world.clock.advance(timedelta(hours=49))  # past this and the previous 24 h window
    _fail_logins(world, "guessed-later", 1, "203.0.113.41")
    with world.inst.db.read() as conn:
        accounts = set(conn.execute(select(auth_counters.c.account)).scalars())
        rows = conn.execute(select(func.count()).select_from(auth_counters)).scalar_one()
    assert accounts == {"guessed-later"} and rows == 1
