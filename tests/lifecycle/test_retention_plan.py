"""Retention counted from its anchors (R-STO-5, R-DST-1): the relationship's end, collection, the
last activity, a consent withdrawal; legal floors never shortened; a plan that names no one and
changes nothing; account closure recorded through the gate."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from piguard.catalog import RetentionRule, load_catalog, profile_path
from piguard.gate import RequestContext
from piguard.installation import Installation
from piguard.lifecycle.retention import expiry, plan_records
from tests.access.conftest import ADULT, SETUP, World
from tests.cli.test_cli import home, login_as, run
from tests.rights.test_cases import Api
from tests.rights.test_fulfilments import ACCOUNT

__all__ = ["home"]

CATALOG = load_catalog(profile_path("default"))
T0 = datetime(2026, 1, 5, 2, tzinfo=UTC)


@pytest.mark.req("R-STO-5")
def test_a_legal_floor_is_never_shortened() -> None:
    short = RetentionRule(name="short", duration_years=1, anchor="relationship_end", legal_floor_years=5)
    assert expiry(short, date(2026, 3, 1)) == date(2031, 3, 1)
    leap = RetentionRule(name="leap", duration_days=30, anchor="collected", legal_floor_years=1)
    assert expiry(leap, date(2028, 2, 29)) == date(2029, 2, 28)
    long = RetentionRule(name="long", duration_years=10, anchor="collected", legal_floor_years=3)
    assert expiry(long, date(2026, 3, 1)) == date(2036, 3, 1)


@pytest.mark.req("R-STO-5", "R-DST-1")
def test_each_anchor_starts_its_own_clock() -> None:
    def every(record_type: str) -> frozenset[str]:
        return frozenset(CATALOG.record_types[record_type].fields)

    records = [
        ("customer", "C1", T0, T0, every("customer")),
        ("bank_account", "A1", T0, T0, every("bank_account")),
        ("service_note", "N1", T0, T0, every("service_note")),
        ("order", "O1", T0, T0, every("order")),
    ]

    def plan(
        as_of: date, ended: date | None, withdrawn: dict[str, date] | None = None
    ) -> dict[str, tuple[str, ...]]:
        found = plan_records(CATALOG, records, as_of=as_of, relationship_end=ended, withdrawn=withdrawn or {})
        return {p.record_type: (p.action, *p.rules) for p in found}

    # A live relationship: only what counts from collection or the transaction expires.
    assert plan(date(2029, 1, 4), None) == {}
    assert plan(date(2029, 1, 5), None) == {
        "order": ("destroy", "ecommerce_3y"),
        "service_note": ("review", "service_notes_3y"),  # notes wait for a person's decision
    }
    # Closed on 2026-06-30: three years on, the profile loses what relationship_3y keeps (and the
    # marketing tags, whose consent ended with the relationship); AML keeps the rest for ten.
    ended = date(2026, 6, 30)
    three = plan(date(2029, 6, 30), ended)
    assert three["customer"] == ("strip", "relationship_3y", "until_withdrawal")
    assert "bank_account" not in three
    ten = plan(date(2036, 6, 30), ended)
    assert ten["customer"][0] == "destroy" and ten["bank_account"] == ("destroy", "aml_kyc_10y")
    # A withdrawn consent: the field goes 30 days after the ledger marked it.
    marked = {"customer.marketing_tags": date(2026, 2, 1)}
    assert plan(date(2026, 3, 2), None, marked) == {}
    assert plan(date(2026, 3, 3), None, marked)["customer"] == ("strip", "until_withdrawal")
    # What a record no longer holds is not planned again (a stripped profile keeps AML's fields).
    kept = frozenset(
        n for n, f in CATALOG.record_types["customer"].fields.items() if f.retention == "aml_kyc_10y"
    )
    stripped = [("customer", "C1", T0, T0, kept)]
    assert (
        plan_records(CATALOG, stripped, as_of=date(2029, 6, 30), relationship_end=ended, withdrawn={}) == []
    )
    [gone] = plan_records(CATALOG, stripped, as_of=date(2036, 6, 30), relationship_end=ended, withdrawn={})
    assert gone.action == "destroy"


def _rules(**rules: dict[str, object]) -> str:
    """A catalog text with the default catalog's record types and one rule per name given."""
    return "\n".join(f"  {n}: {{{', '.join(f'{k}: {v}' for k, v in r.items())}}}" for n, r in rules.items())


def _catalog(tweak: dict[str, str], rules: str = "") -> object:
    import yaml

    from piguard.catalog import load_catalog_text

    text = profile_path("default").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for path, rule in tweak.items():
        rt, _, field = path.partition(".")
        data["record_types"][rt]["fields"][field]["retention"] = rule
    extra = yaml.safe_load("retention_rules:\n" + rules)["retention_rules"] if rules else {}
    data["retention_rules"].update(extra)
    return load_catalog_text(yaml.safe_dump(data, allow_unicode=True))


@pytest.mark.req("R-STO-5", "R-DST-1")
def test_purpose_fulfilled_and_contract_end_start_their_own_clocks() -> None:
    """R-STO-5: a rule counted from the fulfilment of the purposes that collected a field waits for
    the last of them (else the relationship's end); one counted from the contract's end waits for it."""
    catalog = _catalog(
        {"customer.membership_level": "after_purpose", "customer.gender": "after_contract"},
        _rules(
            after_purpose={"duration_days": 30, "anchor": "purpose_fulfilled"},
            after_contract={"duration_days": 90, "anchor": "contract_end"},
        ),
    )
    assert isinstance(catalog, type(CATALOG))
    own = [
        p for p in catalog.field("customer", "membership_level").purposes if not catalog.purposes[p].ancillary
    ]
    assert len(own) >= 2  # the field is collected for more than one purpose
    records = [("customer", "C1", T0, T0, frozenset({"membership_level", "gender", "name"}))]

    def rules(as_of: date, **kw: object) -> set[str]:
        found = plan_records(catalog, records, as_of=as_of, relationship_end=None, withdrawn={}, **kw)  # type: ignore[arg-type]
        return {r for p in found for r in p.rules}

    day = date(2026, 3, 1)
    one = {own[0]: day}
    assert rules(date(2027, 1, 1), fulfilled=one) == set()  # another purpose still needs it
    every = {p: day for p in own}
    assert rules(date(2026, 3, 30), fulfilled=every) == set()
    assert rules(date(2026, 3, 31), fulfilled=every) == {"after_purpose"}
    assert rules(date(2026, 5, 29), contract_end=day) == set()
    assert rules(date(2026, 5, 30), contract_end=day) == {"after_contract"}


@pytest.mark.req("R-STO-5", "R-DST-1")
def test_the_action_at_the_end_is_the_rules() -> None:
    """R-STO-5: a rule's action decides what its expiry does: destroy, anonymise (destroyed after
    being counted) or review (held for a person; a decision to destroy or a keep-until date
    then rules)."""
    records = [
        (
            "order",
            "O1",
            T0,
            datetime(2026, 2, 1, 2, tzinfo=UTC),
            frozenset(CATALOG.record_types["order"].fields),
        ),
        ("service_note", "N1", T0, T0, frozenset(CATALOG.record_types["service_note"].fields)),
    ]

    def plans(
        as_of: date, decisions: Mapping[tuple[str, str], date | None] | None = None
    ) -> dict[str, tuple[str, tuple[str, ...], date | None]]:
        found = plan_records(
            CATALOG, records, as_of=as_of, relationship_end=None, withdrawn={}, decisions=decisions
        )
        return {p.record_id: (p.action, p.anonymised, p.due) for p in found}

    # An order counts from its last change (its transaction date in the catalog: completed later).
    assert "O1" not in plans(date(2029, 1, 5))
    assert plans(date(2029, 2, 1))["O1"] == ("destroy", ("ecommerce_3y",), date(2029, 2, 1))
    assert plans(date(2029, 1, 5))["N1"] == ("review", (), date(2029, 1, 5))
    assert plans(date(2029, 1, 5), {("N1", "service_notes_3y"): None})["N1"][0] == "destroy"
    kept = {("N1", "service_notes_3y"): date(2030, 1, 1)}
    assert "N1" not in plans(date(2029, 6, 1), kept)
    assert plans(date(2030, 1, 1), kept)["N1"][0] == "review"  # kept until then: asked again


@pytest.mark.req("R-STO-5")
def test_catalog_check_refuses_a_trigger_the_record_type_has_no_date_for() -> None:
    """R-STO-5: `catalog check` refuses a rule counted from a transaction date on a record type with
    none, and one counted from a purpose's fulfilment on a field no purpose collects."""
    from piguard.catalog import lint

    clean = {f.check for f in lint(CATALOG)}
    assert "retention-anchor-undated" not in clean
    bad = _catalog({"customer.email": "ecommerce_3y"})
    found = [f for f in lint(bad) if f.check == "retention-anchor-undated"]  # type: ignore[arg-type]
    assert [f.path for f in found] == ["record_types.customer.fields.email.retention"]
    assert found[0].severity == "error" and "transaction_date" in found[0].message


@pytest.mark.req("R-STO-5", "R-DST-1", "R-DST-2")
def test_the_plan_counts_closed_and_held_customers_and_names_no_one(world: World, api: Api) -> None:
    closed = world.customer()
    world.service.create(RequestContext(SETUP, "aml_kyc"), "bank_account", ACCOUNT, customer_id=closed)
    held = world.customer(dict(ADULT, mobile="13700137001"))
    live = world.customer(dict(ADULT, mobile="13700137002"))
    today = world.inst.gate.today()
    for cid in (closed, held):
        done = api("customer_service", "POST", f"/v1/customers/{cid}/close", json={"reason": "销户"})
        assert done["relationship_end"] == today.isoformat()
    api("officer", "POST", "/v1/holds", expect=201, json={"customer_id": held, "reason": "诉讼"})
    soon = api("auditor", "GET", "/v1/retention/plan")
    assert soon["actions"] == [] and soon["held"] == 0 and soon["customers"] == 3
    later = date(today.year + 3, 12, 31).isoformat()
    found = api("auditor", "GET", "/v1/retention/plan", params={"as_of": later})
    assert found["held"] == 1
    assert {(a["record_type"], a["rule"], a["action"]): a["count"] for a in found["actions"]} == {
        ("customer", "relationship_3y", "strip"): 1,  # the profile holds no marketing tags to plan for
    }
    text = str(found)
    assert closed not in text and held not in text and live not in text
    assert world.inst.vault.exists(closed)  # a plan changes nothing
    # Closed twice, or in the future: refused, naming why.
    assert (
        "already"
        in api("customer_service", "POST", f"/v1/customers/{closed}/close", expect=409, json={"reason": "x"})[
            "detail"
        ]
    )
    future = date(today.year + 1, 1, 1).isoformat()
    bad = api(
        "customer_service",
        "POST",
        f"/v1/customers/{live}/close",
        expect=422,
        json={"reason": "x", "on_date": future},
    )
    assert bad["field"] == "on_date"
    # Back-dating (which can make the next run destroy at once) is the officer's decision, not the desk's.
    past = {"reason": "x", "on_date": date(today.year - 8, 1, 1).isoformat()}
    api("customer_service", "POST", f"/v1/customers/{live}/close", expect=403, json=past)
    assert (
        api("officer", "POST", f"/v1/customers/{live}/close", json=past)["relationship_end"]
        == past["on_date"]
    )
    [entry] = world.inst.audit.query(action="retention_plan", limit=5, newest_first=True)[:1]
    assert entry.detail["held"] == 1


def test_accounts_and_retention_plan_cli(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Installation(home) as inst:
        cid = inst.gate.create(RequestContext(SETUP, "service"), "customer", dict(ADULT)).customer_id
    login_as(home, "officer", monkeypatch)
    code, done, err = run(
        "accounts", "close", "--customer", cid, "--reason", "销户", "--on", "2026-01-01", "--json"
    )
    assert code == 0, err
    assert done == {"customer_id": cid, "relationship_end": "2026-01-01"}
    login_as(home, "auditor", monkeypatch)
    code, plan, _ = run("retention", "plan", "--as-of", "2029-01-01", "--json")
    assert code == 0 and isinstance(plan, dict) and plan["as_of"] == "2029-01-01"
    assert {a["rule"] for a in plan["actions"]} == {"relationship_3y"}
    assert run("retention", "plan", "--as-of", "soon", "--json")[0] != 0
