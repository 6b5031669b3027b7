"""Inactive accounts (R-DST-4): after five years without activity the customer is told, through the
outbox; still inactive after the notice period, the relationship ends as of the last activity and
retention decides, in the same run, what goes (a floor keeps the rest, storage only); activity after
the notice keeps the account; a held customer is never told nor cleaned up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from piguard.gate import RequestContext
from piguard.outbox import Outbox
from piguard.outbox.tables import messages
from tests.access.conftest import ADULT, SETUP, World
from tests.rights.test_cases import Api, move

pytestmark = pytest.mark.req("R-DST-4", "R-DST-1")


def _notices(world: World) -> list[str]:
    with world.inst.db.read() as conn:
        return list(
            conn.execute(
                select(messages.c.customer_id).where(messages.c.template == "inactive_notice")
            ).scalars()
        )


def test_an_inactive_account_is_told_then_cleaned_up_unless_used_or_held(world: World, api: Api) -> None:
    idle, used, held = (world.customer(dict(ADULT, mobile=f"1360013600{i}")) for i in range(3))
    api("officer", "POST", "/v1/holds", expect=201, json={"customer_id": held, "reason": "诉讼"})
    first = api("admin", "POST", "/v1/retention/run")
    assert (first["notified"], first["inactive_closed"]) == (0, 0)  # all active today

    move(world, datetime(2031, 3, 3, 2, tzinfo=UTC))  # five years and a day without activity
    told = api("admin", "POST", "/v1/retention/run")
    assert (told["notified"], told["inactive_closed"], told["stripped"]) == (2, 0, 0)
    assert sorted(_notices(world)) == sorted([idle, used])  # not the held one
    assert api("admin", "POST", "/v1/retention/run")["notified"] == 0  # told once
    assert world.inst.capability(Outbox).deliver_due() == 2  # the notices go out

    # The second customer answers: an update of their record is activity.
    world.service.update(RequestContext(SETUP, "service"), "customer", used, {"email": "new@example.com"})
    move(world, datetime(2031, 4, 3, 2, tzinfo=UTC))  # the 30 days are over
    done = api("admin", "POST", "/v1/retention/run")
    assert (done["inactive_closed"], done["notified"]) == (1, 0)
    # The idle account ended at its last activity (2026): relationship_3y is over, AML's floor is not.
    assert done["stripped"] == 1 and done["destroyed"] == 0
    profile = world.inst.vault.read("customer", idle).values
    assert "email" not in profile and profile["resident_id"] == ADULT["resident_id"]
    assert world.inst.vault.read("customer", used).values["email"] == "new@example.com"
    assert world.inst.vault.read("customer", held).values["email"] == ADULT["email"]
    actions = [e.action for e in world.inst.audit.query(customer_id=idle, limit=100)]
    assert {"inactive_notify", "inactive_close", "retention_apply"} <= set(actions)


def test_an_inactive_account_is_not_cleaned_up_before_its_notice_was_delivered(
    world: World, api: Api
) -> None:
    """A notice that never reached the customer (no address to send it to) does not start the
    clean-up: the run sends it again and the notice period starts over."""
    unreachable = world.customer({k: v for k, v in ADULT.items() if k not in ("mobile", "email")})
    reachable = world.customer(dict(ADULT, mobile="13600136009"))
    move(world, datetime(2031, 3, 3, 2, tzinfo=UTC))
    assert api("admin", "POST", "/v1/retention/run")["notified"] == 2
    assert world.inst.capability(Outbox).deliver_due() == 1  # the unreachable customer's fails
    move(world, datetime(2031, 4, 3, 2, tzinfo=UTC))
    done = api("admin", "POST", "/v1/retention/run")
    assert (done["inactive_closed"], done["notified"]) == (1, 1)
    assert world.inst.vault.read("customer", unreachable).values["resident_id"] == ADULT["resident_id"]
    assert done["stripped"] == 1 and "email" not in world.inst.vault.read("customer", reachable).values
    # Still pending (not yet sent): the run waits rather than cleaning up or telling again.
    move(world, datetime(2031, 5, 4, 2, tzinfo=UTC))
    waiting = api("admin", "POST", "/v1/retention/run")
    assert (waiting["inactive_closed"], waiting["notified"]) == (0, 0)
