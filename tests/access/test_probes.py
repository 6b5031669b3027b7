"""Exact-match oracles on masked values (issue 11, items 2 and 17).

Customer service sees a mobile as ``139****4865``. An exact search (or a yes/no match check) by
each of the 10^4 candidates for the hidden digits would recover it; the distinct-customer quota
never trips, because the same customer keeps coming back. Every such question on a field the
caller does not see in clear is a probe of that field: budgeted per caller and field in the
database (hits and misses), alerted early (``masked_probing``) and frozen on a clear enumeration
(``masked_enumeration``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from piguard.audit.entry import AuditEntry
from piguard.errors import AccessDenied, AuthenticationFailed, QuotaExceeded, ValidationError
from piguard.gate import RequestContext
from piguard.installation import Installation
from tests.access.conftest import ADULT, CHEAP, SETUP, World, make_world

#: The mobile behind ``139****4865``; an attacker trying 0000, 0001 ... reaches its hidden digits
#: at the 1,235th search.
MOBILE = "13912344865"
HIDDEN = "1234"
#: How many candidates the attacker tries (thousands, past the hidden digits; the rest of the
#: 10^4 space would only repeat the refusals).
TRIES = 2_000


@pytest.fixture
def audited(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    """A world whose installation records into its own trail, so the monitoring rules run."""
    w = make_world(tmp_path, environ, audited=True)
    yield w
    w.inst.close()


def alert_rules(world: World) -> set[tuple[str, str]]:
    return {(a.rule, a.action) for a in world.inst.audit.alerts()}


def entries(world: World, action: str) -> list[AuditEntry]:
    return [e for e in world.inst.audit.query(limit=100_000) if e.action == action]


@pytest.mark.req("R-USE-4")
@pytest.mark.req("R-USE-3")
def test_enumerating_a_masked_mobile_by_exact_search_stops_alerts_and_freezes(audited: World) -> None:
    """The attack of issue 11 item 2, through the real gate on a SQLite file (and PostgreSQL):
    candidates of the 10^4 space tried in order, as the API would (authenticate, then search)."""
    world = audited
    cid = world.customer({**ADULT, "mobile": MOBILE})
    agent = world.user("customer_service")
    limits = world.access.probes.limits(agent.actor)
    answered: list[str] = []
    recovered: str | None = None
    refusals: dict[str, int] = {}
    for n in range(TRIES):
        guess = f"139{n:04d}4865"
        try:
            actor = world.access.authenticate(agent.token)  # a frozen account stops here
            refs = world.service.search(RequestContext(actor, "service"), "customer", "mobile", guess)
        except (QuotaExceeded, AuthenticationFailed) as exc:
            refusals[type(exc).__name__] = refusals.get(type(exc).__name__, 0) + 1
            continue
        answered.append(guess)
        if refs:
            recovered = guess
    assert recovered is None, "the masked mobile was recovered"
    # Stopped well before recovery: no more answers than the freeze threshold of misses.
    assert len(answered) == limits.probe_freeze_misses < int(HIDDEN)
    assert refusals == {"AuthenticationFailed": TRIES - len(answered)}
    # Alerted early, then frozen by the enumeration rule (the existing freeze mechanism).
    assert ("masked_probing", "none") in alert_rules(world)
    assert ("masked_enumeration", "freeze") in alert_rules(world)
    probing = [a for a in world.inst.audit.alerts() if a.rule in ("masked_probing", "masked_enumeration")]
    assert sorted(a.rule for a in probing) == ["masked_enumeration", "masked_probing"]  # one incident each
    assert all(a.principal_id == agent.actor.id for a in probing)
    assert world.access.principal(agent.name)["status"] == "frozen"
    with pytest.raises(AuthenticationFailed, match="frozen"):
        world.access.authenticate(agent.token)
    # A session already authenticated (a long-lived process) is refused by the gate itself.
    with pytest.raises(QuotaExceeded, match=r"customer\.mobile"):
        world.service.search(world.ctx(agent), "customer", "mobile", MOBILE)
    # The trail says probe, hit/miss and the running misses, never the value.
    details = [e.detail for e in entries(world, "search") if e.result == "ok"]
    assert len(details) == limits.probe_freeze_misses
    assert all(d["probe"] is True and d["misses"] == 1 and d["matches"] == 0 for d in details)
    assert max(d["probe_misses"] for d in details) == limits.probe_freeze_misses
    assert MOBILE not in repr(world.inst.audit.query(limit=100_000))
    assert cid  # the customer was there all along


@pytest.mark.req("R-USE-3")
def test_the_probe_budget_counts_hits_and_refuses_naming_the_field(world: World) -> None:
    """Hits count too (the same customer coming back is no excuse), and the refusal names the field."""
    world.customer({**ADULT, "mobile": MOBILE})
    agent = world.user("customer_service", probes_per_hour=5)  # tighter per principal
    ctx = world.ctx(agent)
    for _ in range(5):
        assert world.service.search(ctx, "customer", "mobile", MOBILE)
    with pytest.raises(QuotaExceeded, match=r"customer\.mobile") as refused:
        world.service.search(ctx, "customer", "mobile", MOBILE)
    assert refused.value.rule == "roles.customer_service.quotas.probes_per_hour"
    # Another field has its own budget.
    assert world.service.search(ctx, "customer", "email", ADULT["email"])
    # The budget is the principal's: another agent is not affected.
    other = world.user("customer_service")
    assert world.service.search(world.ctx(other), "customer", "mobile", MOBILE)


@pytest.mark.req("R-USE-3")
def test_searching_a_field_seen_in_clear_is_not_a_probe(world: World) -> None:
    """Customer service sees order numbers in clear: looking one up is an ordinary search."""
    cid = world.customer()
    world.service.create(
        RequestContext(SETUP, "service"),
        "order",
        {"order_no": "SO202603020001"},
        customer_id=cid,
    )
    agent = world.user("customer_service", probes_per_hour=1)
    ctx = world.ctx(agent)
    for _ in range(3):
        assert world.service.search(ctx, "order", "order_no", "SO202603020001")
    assert world.access.probes.used(agent.actor.id, "order.order_no") == 0
    searches = [e for e in world.recorder.events if e.action == "search" and e.actor_id == agent.actor.id]
    assert [e.detail["probe"] for e in searches] == [False] * 3


@pytest.mark.req("R-USE-3")
def test_the_budget_holds_across_two_installations_on_one_home(world: World, environ: dict[str, str]) -> None:
    """Two processes (two ``Installation``s on the same home) enforce one budget."""
    world.customer({**ADULT, "mobile": MOBILE})
    agent = world.user("customer_service", probes_per_hour=6)
    second = Installation(world.inst.settings.home, environ=environ, clock=world.clock, passwords=CHEAP)
    try:
        actor2 = second.access.authenticate(agent.token)
        answered = 0
        for i in range(10):
            gate, actor = (world.service, agent.actor) if i % 2 else (second.gate, actor2)
            try:
                gate.search(RequestContext(actor, "service"), "customer", "mobile", MOBILE)
                answered += 1
            except QuotaExceeded:
                pass
        assert answered == 6
    finally:
        second.close()


# ---------------------------------------------------------------------------- match (item 17)


@pytest.mark.req("R-USE-4")
def test_match_answers_yes_or_no_after_the_fields_own_normaliser(world: World) -> None:
    cid = world.customer({**ADULT, "mobile": MOBILE})
    ctx = world.ctx(world.staff_of("customer_service"))
    assert world.service.match(ctx, cid, "mobile", MOBILE) is True
    assert world.service.match(ctx, cid, "mobile", "+86 139 1234 4865") is True
    assert world.service.match(ctx, cid, "mobile", "139-1234-4865") is True
    assert world.service.match(ctx, cid, "mobile", "13912344866") is False
    assert world.service.match(ctx, cid, "resident_id", ADULT["resident_id"].lower()) is True
    with pytest.raises(ValidationError) as bad:
        world.service.match(ctx, cid, "mobile", "not a number")
    assert bad.value.field == "mobile"
    matches = [e for e in world.recorder.events if e.action == "match" and e.decision == "allow"]
    assert [e.detail["matches"] for e in matches] == [1, 1, 1, 0, 1]
    assert all(e.detail["probe"] is True for e in matches)
    assert {e.fields for e in matches} == {("mobile",), ("resident_id",)}


@pytest.mark.req("R-USE-1")
def test_match_on_a_field_or_customer_the_caller_may_not_read_is_a_refusal(world: World) -> None:
    cid = world.customer()
    cs = world.ctx(world.staff_of("customer_service"))
    # Customer service may not read bank cards at all: a refusal, not "no".
    with pytest.raises(AccessDenied):
        world.service.match(cs, cid, "bank_card", ADULT["bank_card"])
    # The front desk sees a guest only during an active stay (row scope): refused, not "no".
    desk = world.ctx(world.staff_of("front_desk"))
    with pytest.raises(AccessDenied):
        world.service.match(desk, cid, "mobile", ADULT["mobile"])
    refused = [e for e in world.recorder.events if e.action == "match" and e.decision == "deny"]
    assert len(refused) == 2


@pytest.mark.req("R-USE-3")
def test_a_looped_match_stops_at_the_budget_and_freezes(audited: World) -> None:
    """Match checks are probes too: looped over the hidden digits, they stop like searches."""
    world = audited
    cid = world.customer({**ADULT, "mobile": MOBILE})
    agent = world.user("customer_service")
    limits = world.access.probes.limits(agent.actor)
    answered = 0
    for n in range(200):
        try:
            actor = world.access.authenticate(agent.token)
            world.service.match(RequestContext(actor, "service"), cid, "mobile", f"139{n:04d}4865")
            answered += 1
        except (QuotaExceeded, AuthenticationFailed):
            continue
    assert answered == limits.probe_freeze_misses
    assert ("masked_enumeration", "freeze") in alert_rules(world)
    assert world.access.principal(agent.name)["status"] == "frozen"


def test_customer_view_matches_is_the_same_check(world: World) -> None:
    """Capabilities (identity verification in rights) reach the check through the view."""
    from piguard.gate.record_operations import MATCH

    cid = world.customer({**ADULT, "mobile": MOBILE})
    ctx = world.ctx(world.staff_of("customer_service"))
    seen: list[bool] = []
    world.service.run(
        ctx,
        MATCH,
        lambda call: seen.extend(
            [call.view.matches("mobile", MOBILE), call.view.matches("mobile", "13900000000")]
        ),
        subject=cid,
    )
    assert seen == [True, False]
