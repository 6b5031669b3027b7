"""Separation of duties (issue 11, item 3): nobody holds both sides of an approval.

An administrator (or the bootstrap credential) knows the initial credentials of every account it
creates. It must not be able to make a requester and an approver and approve itself through them.
"""

from __future__ import annotations

from typing import Any

import pytest

from piguard.access.credentials import totp_now
from piguard.errors import AccessDenied, AuthenticationFailed, Conflict
from piguard.principal import Actor
from tests.access.conftest import SETUP, World


def _login(world: World, created: dict[str, Any]) -> Actor:
    login = world.access.login(
        created["name"], created["password"], totp_now(created["totp_secret"], world.clock.now())
    )
    return world.access.authenticate(login.token)


def _bank_grant(world: World, requester: Actor, cid: str) -> str:
    grant = world.access.request_grant(
        requester,
        kind="clear",
        purpose="service",
        reason="KYC ticket 42",
        customer_id=cid,
        fields=["bank_account.account_no"],
    )
    return str(grant["id"])


@pytest.mark.req("R-USE-2")
def test_admin_cannot_create_finance_and_officer_and_approve_its_own_grant_r_use_2(world: World) -> None:
    cid = world.customer()
    admin = world.user("admin").actor
    officer = world.access.add_user(admin, "mallory.officer", "officer")
    finance = world.access.add_user(admin, "mallory.finance", "finance")
    # Two-person rule: accounts of approving roles start pending and cannot sign in.
    assert (officer["status"], finance["status"]) == ("pending", "pending")
    with pytest.raises(AuthenticationFailed, match="pending"):
        _login(world, finance)
    with pytest.raises(AccessDenied, match="second person must approve"):
        world.access.approve_account(admin, officer["id"])
    assert world.denials()[-1].rule == "separation of duties"
    # Another administrator vouches for both; the one who made them still cannot pair them up.
    for made in (officer, finance):
        world.access.approve_account(world.root_admin(), made["id"])
    for made in (officer, finance):
        world.access.record_training(
            SETUP, made["id"], kind="agreement", course="NDA", completed_on=world.clock.now().date()
        )
        world.access.record_training(
            SETUP, made["id"], kind="course", course="PIPL", completed_on=world.clock.now().date(), score=90
        )
    fin, off = _login(world, finance), _login(world, officer)
    gid = _bank_grant(world, fin, cid)
    with pytest.raises(AccessDenied, match="created by the same principal"):
        world.access.decide_grant(off, gid, approve=True)
    denial = world.denials()[-1]
    assert (denial.action, denial.actor_id, denial.rule) == ("grant_decide", off.id, "separation of duties")
    assert world.access.grants.get(gid).status == "pending"
    # An officer of another lineage may approve.
    world.access.decide_grant(world.user("officer").actor, gid, approve=True)
    assert world.access.grants.get(gid).status == "approved"


@pytest.mark.req("R-USE-2")
def test_accounts_made_through_a_puppet_administrator_cannot_approve_each_other(world: World) -> None:
    """A creates A' (a second person approves), A' creates an officer, A a finance user: the
    officer's lineage contains A, so it may not approve the finance user's request, nor A's
    accounts in general."""
    cid = world.customer()
    a = world.user("admin").actor
    puppet = world.access.add_user(a, "puppet.admin", "admin")
    world.access.approve_account(world.root_admin(), puppet["id"])
    puppet_actor = Actor(puppet["id"], "admin", "staff")
    officer = world.access.add_user(puppet_actor, "puppet.officer", "officer")
    with pytest.raises(AccessDenied, match="second person"):
        world.access.approve_account(a, officer["id"])  # the puppet's creator is no second person
    world.access.approve_account(world.root_admin(), officer["id"])
    finance = world.access.add_user(a, "a.finance", "finance")
    world.access.approve_account(world.root_admin(), finance["id"])
    for made in (officer, finance):
        world.access.record_training(
            SETUP, made["id"], kind="agreement", course="NDA", completed_on=world.clock.now().date()
        )
        world.access.record_training(
            SETUP, made["id"], kind="course", course="PIPL", completed_on=world.clock.now().date(), score=90
        )
    gid = _bank_grant(world, _login(world, finance), cid)
    with pytest.raises(AccessDenied, match="separation of duties"):
        world.access.decide_grant(_login(world, officer), gid, approve=True)


@pytest.mark.req("R-USE-2")
def test_bootstrap_cannot_mint_approvers_once_an_administrator_exists(world: World) -> None:
    before = world.access.add_user(SETUP, "first.officer", "officer")
    assert before["status"] == "active"  # setting up: no administrator yet
    world.root_admin()
    after = world.access.add_user(SETUP, "late.officer", "officer")
    assert after["status"] == "pending"
    with pytest.raises(AuthenticationFailed, match="pending"):
        _login(world, after)
    with pytest.raises(AccessDenied, match="bootstrap credential cannot approve"):
        world.access.approve_account(SETUP, after["id"])
    # Nor can it sneak the account in by enabling it.
    with pytest.raises(Conflict, match="awaits approval"):
        world.access.enable(SETUP, after["id"])
    assert world.access.principal(after["id"])["created_by"] == "bootstrap"
    # Accounts the bootstrap credential made share a creator: they cannot approve each other.
    cid = world.customer()
    fin = world.access.add_user(SETUP, "boot.finance", "finance")
    world.access.approve_account(world.root_admin(), fin["id"])
    for made in (before, fin):
        world.access.record_training(
            SETUP, made["id"], kind="agreement", course="NDA", completed_on=world.clock.now().date()
        )
        world.access.record_training(
            SETUP, made["id"], kind="course", course="PIPL", completed_on=world.clock.now().date(), score=90
        )
    gid = _bank_grant(world, _login(world, fin), cid)
    with pytest.raises(AccessDenied, match="same principal"):
        world.access.decide_grant(_login(world, before), gid, approve=True)


def test_unprivileged_accounts_need_no_second_person(world: World) -> None:
    """An auditor sees everything masked and approves nothing: one administrator suffices."""
    admin = world.user("admin").actor
    assert world.access.add_user(admin, "ann.auditor", "auditor")["status"] == "active"
