"""Affected customers from the audit trail: exact, split, verified first (R-INC-1, R-INC-2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from piguard.errors import AccessDenied, ValidationError
from piguard.gate import RequestContext
from tests.access.conftest import ADULT, World
from tests.incidents.conftest import MINOR, incidents, officer

FIELDS = ["name", "membership_level", "mobile"]


def _insider_reads(world: World) -> dict[str, Any]:
    """An insider (customer service) reads K customers, two of them minors, one adult's resident ID
    too; a colleague reads other customers and one of the same in the same window."""
    adults = [world.customer(dict(ADULT, mobile=f"1380013{i:04d}")) for i in range(3)]
    minors = [world.customer(dict(MINOR, mobile=f"1390013{i:04d}")) for i in range(2)]
    others = [world.customer() for _ in range(3)]
    insider = world.user("customer_service", name="cs_insider")
    colleague = world.user("customer_service", name="cs_colleague")
    world.clock.advance(timedelta(minutes=5))
    since = world.clock.now()
    seen: dict[str, dict[str, str]] = {}
    ictx = world.ctx(world.step_up(insider), "service")
    for cid in adults + minors:
        fields = FIELDS + (["resident_id"] if cid == adults[0] else [])
        views = world.service.read(ictx, "customer", cid, fields)
        seen[cid] = {n: v.level for n, v in views.items() if v.level != "deny"}
    cctx = world.ctx(world.step_up(colleague), "service")
    for cid in [*others, adults[1]]:
        world.service.read(cctx, "customer", cid, FIELDS)
    world.clock.advance(timedelta(minutes=1))
    return {
        "adults": adults,
        "minors": minors,
        "others": others,
        "insider": insider,
        "since": since,
        "until": world.clock.now(),
        "seen": seen,
    }


@pytest.mark.req("R-INC-1", "R-INC-2")
def test_scope_returns_exactly_the_insiders_customers_split_and_leveled(world: World) -> None:
    s = _insider_reads(world)
    octx = officer(world)
    opened = incidents(world).open(octx, title="insider reads", discovered=s["until"])
    result = incidents(world).scope(
        octx, opened["id"], actors=[s["insider"].actor.id], since=s["since"], until=s["until"]
    )
    assert result["chain_verified"] is True and result["findings"] == []
    assert result["persons"] == 5
    assert result["minors"] == 2
    # Sensitive: the adult whose resident ID was shown, and both children (all their PI is sensitive).
    assert result["sensitive"] == 3
    expected: dict[str, dict[str, int]] = {}
    for levels in s["seen"].values():
        for name, level in levels.items():
            expected.setdefault(f"customer.{name}", {}).setdefault(level, 0)
            expected[f"customer.{name}"][level] += 1
    assert result["by_field"] == expected
    assert any("clear" in v for v in expected.values()) and any("masked" in v for v in expected.values())
    # Stored as references: the trail's keyed refs of exactly those customers, no ids.
    with world.inst.db.read() as conn:
        refs = {r[0] for r in conn.execute(text("SELECT customer_ref FROM incident_affected"))}
    trail = world.inst.audit
    assert refs == {trail.customer_ref(c) for c in s["adults"] + s["minors"]}
    assert not refs & {trail.customer_ref(c) for c in s["others"]}
    assert not any(c in r for r in refs for c in s["adults"] + s["minors"])
    shown = incidents(world).show(octx, opened["id"])
    assert (shown["persons"], shown["persons_source"], shown["minors"]) == (5, "computed", 2)
    assert shown["by_field"] == expected


@pytest.mark.req("R-INC-1")
def test_scope_window_and_actions_bound_the_set(world: World) -> None:
    s = _insider_reads(world)
    octx = officer(world)
    opened = incidents(world).open(octx, title="window", discovered=s["until"])
    before = incidents(world).scope(
        octx,
        opened["id"],
        actors=[s["insider"].actor.id],
        until=s["since"],
        since=s["since"] - timedelta(days=1),
    )
    assert before["persons"] == 0
    exports = incidents(world).scope(
        octx,
        opened["id"],
        actors=[s["insider"].actor.id],
        since=s["since"],
        until=s["until"],
        actions=["export"],
    )
    assert exports["persons"] == 0
    with pytest.raises(ValidationError):
        incidents(world).scope(octx, opened["id"], since=s["since"])  # nobody named
    with pytest.raises(ValidationError):
        incidents(world).scope(octx, opened["id"], actors=["x"], actions=["erase"])


@pytest.mark.req("R-INC-1", "R-AUD-1")
def test_a_tampered_chain_inside_the_window_is_reported(world: World) -> None:
    s = _insider_reads(world)
    octx = officer(world)
    opened = incidents(world).open(octx, title="tamper", discovered=s["until"])
    [victim] = world.inst.audit.query(actor=s["insider"].actor.id, action="read", limit=1)
    with world.inst.db.transaction() as conn:
        conn.execute(
            text(
                "UPDATE audit_entries SET body = replace(body, 'membership_level', 'membership_levex') "
                "WHERE seq = :s"
            ),
            {"s": victim.seq},
        )
    result = incidents(world).scope(
        octx, opened["id"], actors=[s["insider"].actor.id], since=s["since"], until=s["until"]
    )
    assert result["chain_verified"] is False
    assert {f["kind"] for f in result["findings"]} >= {"modification"}
    assert any(f["seq"] == victim.seq for f in result["findings"])
    [entry] = world.inst.audit.query(action="incident_scope", limit=10)
    assert entry.detail["verified"] is False
    timeline = incidents(world).show(octx, opened["id"])["timeline"]
    assert timeline[-1]["facts"]["chain_verified"] is False


@pytest.mark.req("R-INC-1")
def test_only_the_officer_scopes(world: World) -> None:
    s = _insider_reads(world)
    octx = officer(world)
    opened = incidents(world).open(octx, title="who", discovered=s["until"])
    auditor = RequestContext(world.step_up(world.staff_of("auditor")), "", client="test")
    with pytest.raises(AccessDenied):
        incidents(world).scope(auditor, opened["id"], actors=[s["insider"].actor.id])
