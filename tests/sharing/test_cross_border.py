"""Cross-border transfers (R-SHR-6, R-SHR-7, R-STO-6): distinct persons per calendar year,
sensitive apart, against the 2024 thresholds; localisation; no foreign authorities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from piguard.consent import ConsentKind
from piguard.errors import AccessDenied
from piguard.gate import RequestContext
from piguard.sharing import crossborder
from piguard.sharing.tables import transfer_persons
from tests.access.conftest import TODAY, World
from tests.sharing.conftest import adult, agreement, consented, officer, partner, sharer, sharing

KINDS: tuple[ConsentKind, ...] = ("general", "provision", "cross_border")
#: The recipient abroad the customers' cross-border consent names.
ABROAD = "Lion Analytics Pte Ltd"


@pytest.mark.req("R-SHR-6")
@pytest.mark.parametrize(
    ("count", "sensitive", "ciio", "needed"),
    [
        (99_999, False, False, "exemption"),
        (100_000, False, False, "standard_contract"),
        (999_999, False, False, "standard_contract"),
        (1_000_000, False, False, "security_assessment"),
        (9_999, True, False, "standard_contract"),
        (10_000, True, False, "security_assessment"),
        (1, False, True, "security_assessment"),
    ],
)
def test_the_2024_thresholds(count: int, sensitive: bool, ciio: bool, needed: str) -> None:
    """R-SHR-6: the weakest mechanism that covers a year's count, at each threshold."""
    assert crossborder.needed(count, sensitive=sensitive, ciio=ciio) == needed
    assert crossborder.judge(count, needed, sensitive=sensitive, ciio=ciio).covered
    weaker = {"standard_contract": "exemption", "security_assessment": "certification"}.get(needed)
    if weaker:
        assert not crossborder.judge(count, weaker, sensitive=sensitive, ciio=ciio).covered


def _seed(world: World, n: int, year: int, *, sensitive: bool = False) -> None:
    """``n`` persons already sent abroad in ``year`` by an earlier transfer (random ids)."""
    rows = [
        {
            "tenant": world.inst.settings.tenant,
            "transfer_id": f"trf_old{year}",
            "customer_id": f"Cold{year}_{i}",
            "year": year,
            "cross_border": True,
            "sensitive": sensitive,
        }
        for i in range(n)
    ]
    with world.inst.db.transaction() as conn:
        conn.execute(insert(transfer_persons), rows)


def _abroad(world: World, mechanism: str) -> str:
    p = partner(
        world,
        uscc_code=None,
        country="SG",
        name="Lion Analytics Pte Ltd",
        assessment_expires=TODAY + timedelta(days=700),
    )
    return agreement(
        world,
        p.id,
        type="cross_border",
        purpose="cross_border_transfer",
        mechanism=mechanism,
        destination="SG",
        fields={"mobile": "pseudonymise", "birth_date": {"rule": "generalise", "params": {"to": "year"}}},
    ).id


@pytest.mark.req("R-SHR-6")
def test_counts_warn_near_and_refuse_past_a_threshold_and_restart_on_1_january(world: World) -> None:
    """R-SHR-6: distinct persons per calendar year: a warning near 100,000 under an exemption, a
    refusal once the count would reach it, and last year's persons do not count."""
    exempt = _abroad(world, "exemption")
    _seed(world, 99_000, TODAY.year - 1)  # last year: does not count
    _seed(world, 89_998, TODAY.year)
    first = consented(world, "cross_border_transfer", adult(1), KINDS, ABROAD)
    done = sharing(world).share(sharer(world), exempt, fields=["mobile"], customers=[first])
    assert done.persons == 1 and done.warnings == []
    second = consented(world, "cross_border_transfer", adult(2), KINDS, ABROAD)
    warned = sharing(world).share(sharer(world), exempt, fields=["mobile"], customers=[second, first])
    assert warned.warnings and "100000" in warned.warnings[0]  # 90,000 persons now
    assert sharing(world).cross_border_counts(TODAY.year) == {"non_sensitive": 90_000, "sensitive": 0}
    _seed(world, 9_999, TODAY.year + 100)  # another year entirely: irrelevant
    with world.inst.db.transaction() as conn:
        conn.execute(
            insert(transfer_persons),
            [
                {
                    "tenant": world.inst.settings.tenant,
                    "transfer_id": "trf_more",
                    "customer_id": f"Cmore_{i}",
                    "year": TODAY.year,
                    "cross_border": True,
                    "sensitive": False,
                }
                for i in range(9_999)
            ],
        )
    third = consented(world, "cross_border_transfer", adult(3), KINDS, ABROAD)
    with pytest.raises(AccessDenied, match="need standard_contract"):
        sharing(world).share(sharer(world), exempt, fields=["mobile"], customers=[third])
    # A standard contract covers the 100,000th person.
    contract = _abroad(world, "standard_contract")
    assert sharing(world).share(sharer(world), contract, fields=["mobile"], customers=[third]).persons == 1
    # The next year starts from zero on 1 January, Beijing time.
    fourth = consented(world, "cross_border_transfer", adult(4), KINDS, ABROAD)
    world.clock.set(datetime(TODAY.year, 12, 31, 15, 30, tzinfo=UTC))  # 23:30 on 31 December
    late = RequestContext(world.step_up(world.user("sharing_officer")), "", client="test")
    with pytest.raises(AccessDenied, match="need standard_contract"):
        sharing(world).share(late, exempt, fields=["mobile"], customers=[fourth])
    world.clock.set(datetime(TODAY.year, 12, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 January
    late = RequestContext(world.reauth(world.staff[late.actor.name or ""]), "", client="test")
    assert sharing(world).share(late, exempt, fields=["mobile"], customers=[fourth]).persons == 1
    assert sharing(world).cross_border_counts(TODAY.year + 1) == {"non_sensitive": 1, "sensitive": 0}


@pytest.mark.req("R-SHR-6")
def test_sensitive_persons_are_counted_apart(world: World) -> None:
    """R-SHR-6: a share with a sensitive field counts against the 10,000 sensitive threshold."""
    p = partner(world, uscc_code=None, country="SG", name="Lion Analytics Pte Ltd")
    a = agreement(
        world,
        p.id,
        type="cross_border",
        purpose="cross_border_transfer",
        mechanism="standard_contract",
        destination="SG",
        fields={"passport": "pseudonymise"},
    )
    _seed(world, 9_999, TODAY.year, sensitive=True)
    cid = consented(
        world, "cross_border_transfer", adult(1, passport="E12345678"), (*KINDS, "sensitive"), ABROAD
    )
    with pytest.raises(AccessDenied, match="10000 sensitive persons"):
        sharing(world).share(sharer(world), a.id, fields=["passport"], customers=[cid])
    assert sharing(world).cross_border_counts(TODAY.year) == {"non_sensitive": 0, "sensitive": 9_999}


@pytest.mark.req("R-SHR-7", "R-STO-6")
def test_localisation_and_foreign_authorities_refuse_every_cross_border_transfer(world: World) -> None:
    """R-SHR-7: never to a foreign judicial or law-enforcement body; R-STO-6: a localisation
    setting refuses every cross-border transfer."""
    cid = consented(world, "cross_border_transfer", adult(1), KINDS, ABROAD)
    court = partner(world, uscc_code=None, country="US", name="District Court", authority=True)
    a = agreement(
        world,
        court.id,
        type="cross_border",
        purpose="cross_border_transfer",
        mechanism="security_assessment",
        destination="US",
        fields={"mobile": "pseudonymise"},
    )
    with pytest.raises(AccessDenied, match="R-SHR-7"):
        sharing(world).share(sharer(world), a.id, fields=["mobile"], customers=[cid])
    ok = _abroad(world, "security_assessment")
    sharing(world).localise = True
    with pytest.raises(AccessDenied, match="localisation"):
        sharing(world).share(sharer(world), ok, fields=["mobile"], customers=[cid])
    assert sharing(world).transfers(officer(world)) == []
