"""Grants that change nothing are refused when requested (issue 11, item 14).

A grant lifts step-up and approval on what the catalog already lets a role see in clear; it never
widens a role. A request for a field the role sees at most masked is refused at once, with the
reason and the roles that do see it in clear, and the refusal is recorded.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from piguard.access.decision import Policy
from piguard.catalog import load_catalog
from piguard.errors import AccessDenied
from tests.access.conftest import SETUP, World

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.req("R-USE-1", "R-USE-2")
@pytest.mark.parametrize("field", ["bank_account.account_no", "customer.name", "customer.mobile"])
def test_grant_for_a_field_the_role_never_sees_in_clear_is_refused_at_request(
    world: World, field: str
) -> None:
    cid = world.customer()
    cs = world.user("customer_service")
    with pytest.raises(AccessDenied, match="a grant cannot unmask it") as caught:
        world.access.request_grant(
            cs.actor, kind="clear", purpose="service", reason="caller asked", customer_id=cid, fields=[field]
        )
    assert "at most masked" in caught.value.reason or "not at all" in caught.value.reason
    # Whom to ask: the roles that see it in clear, or that none does.
    assert re.search(r"roles that see it in clear: \w|no role sees it in clear", caught.value.reason)
    if field.startswith("bank_account."):
        assert "finance" in caught.value.reason  # whom to ask
    assert world.access.grants.list(requester_id=cs.actor.id) == []  # nothing pending, nothing half-written
    denial = world.denials()[-1]
    assert (denial.action, denial.actor_id) == ("grant_request", cs.actor.id)
    assert f"no clear access to {field}" in denial.rule


def test_wildcard_grant_that_reaches_no_field_is_refused(world: World) -> None:
    cs = world.user("customer_service")
    with pytest.raises(AccessDenied, match="sees no field of bank_account in clear"):
        world.access.request_grant(
            cs.actor,
            kind="clear",
            purpose="service",
            reason="r",
            customer_id="C1",
            fields=["bank_account.*"],
        )


@pytest.mark.req("R-USE-2")
def test_grant_for_a_field_the_role_may_see_in_clear_changes_what_it_sees(world: World) -> None:
    """The README's example, as it now reads: finance asks for the account number, an officer
    approves, and after a step-up the number is in clear."""
    cid = world.customer()
    account = world.service.create(
        world.ctx(SETUP, "aml_kyc"),
        "bank_account",
        {"account_no": "6222020000001111", "balance": "1024.00"},
        customer_id=cid,
    ).record_id
    fin = world.user("finance")
    officer = world.user("officer")
    world.clock.advance(timedelta(minutes=11))  # the login's step-up has gone stale
    fin_actor = world.step_up(fin)
    before = world.service.read(world.ctx(fin_actor), "bank_account", account, ["account_no"])
    assert before["account_no"].level == "masked"
    grant = world.access.request_grant(
        fin.actor,
        kind="clear",
        purpose="service",
        reason="KYC ticket 42",
        customer_id=cid,
        fields=["bank_account.account_no"],
    )
    world.access.decide_grant(world.step_up(officer), grant["id"], approve=True, minutes=30)
    after = world.service.read(world.ctx(fin), "bank_account", account, ["account_no"])
    assert (after["account_no"].level, after["account_no"].value) == ("clear", "6222020000001111")


def test_readme_sdk_grant_example_can_change_something() -> None:
    """The README's SDK example names the requester's role and the fields it asks for: each must
    be one a grant can unmask for that role (the example once asked customer service for an
    account number, which stays masked whatever is approved)."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## Python SDK", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    role = re.search(r"\(role: (\w+)\) sees", block)
    assert role is not None, "the SDK example says which role the requester has"
    call = re.search(r"request_grant\((.*?)\)\n", block, re.S)
    assert call is not None
    fields = re.findall(r'"(\w+\.\w+)"', call.group(1))
    purpose = re.search(r'purpose="(\w+)"', call.group(1))
    assert fields and purpose is not None
    catalog = load_catalog(Path(__file__).resolve().parents[2] / "catalogs" / "default.yaml")
    policy = Policy(catalog)
    for name in fields:
        rt, fname = name.split(".")
        assert (
            policy.never_clear(role.group(1), rt, catalog.record_types[rt].fields[fname], purpose.group(1))
            is None
        )
