"""The authorisation matrix of every shipped catalog (R-USE-1, R-USE-2, R-USE-5).

Expected outcomes are computed here by an oracle written from the catalog's documented
rules (deny by default; an explicit deny wins; otherwise the most specific selector,
ties to the stricter; a purpose must cover the field; C3 is never clear; clear access to
sensitive or approval-class fields needs a grant) without calling the code under test.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from piguard.access.decision import ACTIONS, Policy
from piguard.catalog import Catalog, available_profiles, load_catalog, profile_path
from piguard.catalog.vocabulary import BUILTIN_ROLES
from piguard.crypto.keyring import generate_master_secret
from piguard.errors import AccessDenied
from piguard.service import RequestContext
from tests.access.conftest import SETUP, TODAY, make_world

pytestmark = pytest.mark.req("R-USE-1", "R-USE-2", "R-USE-5")

PROFILES = available_profiles()
_SPECIFICITY = {"field": 4, "record": 3, "category": 2, "class": 1, "sensitive": 1, "any": 0}
_STRICT = {"clear": 0, "masked": 1, "deny": 2}


def _kind_and_match(selector: str, rt: str, f: Any) -> tuple[str, bool]:
    if selector == "*":
        return "any", True
    if selector == "sensitive":
        return "sensitive", bool(f.sensitive)
    if selector.startswith("category:"):
        return "category", f.category == selector.split(":", 1)[1]
    if selector.startswith("class:"):
        return "class", f.cls == selector.split(":", 1)[1]
    srt, fname = selector.split(".", 1)
    if fname == "*":
        return "record", srt == rt
    return "field", srt == rt and fname == f.name


def covers(catalog: Catalog, purpose: str, rt: str, f: Any) -> bool:
    return any(_kind_and_match(sel, rt, f)[1] for sel in catalog.purposes[purpose].fields)


def oracle_level(catalog: Catalog, role: str, rt: str, f: Any, purpose: str) -> str:
    if not covers(catalog, purpose, rt, f):
        return "deny"
    candidates = []
    for index, rule in enumerate(catalog.roles[role].access):
        kind, hit = _kind_and_match(rule.selector, rt, f)
        if hit:
            if rule.level == "deny":
                return "deny"
            candidates.append((_SPECIFICITY[kind], _STRICT[rule.level], -index, rule.level))
    if not candidates:
        return "deny"
    level = max(candidates)[3]
    return "masked" if f.cls == "C3" else level


def oracle_gate_level(catalog: Catalog, role: str, rt: str, f: Any, purpose: str) -> str:
    """Trained, freshly stepped-up staff with no grant, reading an adult customer."""
    level = oracle_level(catalog, role, rt, f, purpose)
    if level == "clear" and (f.sensitive or catalog.classes[f.cls].clear_requires_approval):
        return "masked"
    return level


@pytest.mark.parametrize("profile", PROFILES)
def test_action_and_field_matrix_of_shipped_catalog_r_use_1_r_use_5(profile: str) -> None:
    catalog = load_catalog(profile_path(profile))
    policy = Policy(catalog)
    checked = 0
    for role_name, role in catalog.roles.items():
        for action in sorted(ACTIONS):
            for purpose in catalog.purposes:
                allowed = action in role.actions and purpose in role.purposes
                try:
                    policy.check_action(role_name, action, purpose)
                    outcome = True
                except AccessDenied:
                    outcome = False
                assert outcome == allowed, (profile, role_name, action, purpose)
        for rt, f in catalog.iter_fields():
            for purpose in catalog.purposes:
                assert policy.decide(role_name, rt, f, purpose).level == oracle_level(
                    catalog, role_name, rt, f, purpose
                ), (profile, role_name, rt, f.name, purpose)
                checked += 1
    assert checked > 0


#: The shipped catalogs with C3 (authentication) fields; the others have nothing to check.
C3_PROFILES = [
    p for p in PROFILES if any(f.cls == "C3" for _, f in load_catalog(profile_path(p)).iter_fields())
]


@pytest.mark.req("R-STO-3")
def test_some_shipped_catalog_has_c3_fields() -> None:
    assert C3_PROFILES, "no shipped catalog has a C3 field: the C3 matrix below checks nothing"


@pytest.mark.req("R-STO-3")
@pytest.mark.parametrize("profile", C3_PROFILES)
def test_no_role_of_a_shipped_catalog_sees_c3_in_clear_r_sto_3(profile: str) -> None:
    catalog = load_catalog(profile_path(profile))
    policy = Policy(catalog)
    checked = 0
    for role in catalog.roles:
        for rt, f in catalog.iter_fields():
            if f.cls == "C3":
                for purpose in catalog.purposes:
                    assert policy.decide(role, rt, f, purpose).level != "clear"
                    checked += 1
    assert checked > 0


def _adult(values: dict[str, str]) -> bool:
    raw = values.get("birth_date")
    if raw:
        born = date.fromisoformat(raw)
    elif values.get("resident_id"):
        rid = values["resident_id"]
        born = date(int(rid[6:10]), int(rid[10:12]), int(rid[12:14]))
    else:
        return True
    return (TODAY - born).days > 15 * 366


@pytest.mark.slow
@pytest.mark.parametrize("profile", PROFILES)
def test_gate_matrix_every_role_action_field_purpose(profile: str, tmp_path: Path) -> None:
    """Every role × purpose × record type × field read through the gate matches the oracle."""
    from piguard.demo import load_demo

    (tmp_path / "master.key").write_text(generate_master_secret())
    world = make_world(tmp_path, {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}, profile)
    try:
        catalog = world.inst.catalog
        load_demo(world.service, RequestContext(SETUP, "service"), 25, seed=11)
        vault = world.inst.vault
        adults = [c for c in vault.iter_customer_ids() if _adult(vault.read("customer", c).values)]
        records: dict[str, tuple[str, str]] = {}
        for cid in adults:
            for ref in vault.customer_records(cid):
                records.setdefault(ref.record_type, (cid, ref.record_id))
        # The matrix is about roles and fields: every chosen customer consents to every purpose.
        for cid in {c for c, _ in records.values()}:
            world.consent(cid, *catalog.purposes, sensitive=True)
        checked = 0
        for role_name, role in catalog.roles.items():
            if role_name in BUILTIN_ROLES:
                continue  # system jobs and customers are no staff (tests/gate covers them)
            staff = world.user(role_name)
            for rt, (cid, rid) in sorted(records.items()):
                if role.scope == "active_stay" and "hotel_stay" in catalog.record_types:
                    active = world.stay(cid, TODAY, TODAY + timedelta(days=1))
                    if rt == "hotel_stay":
                        rid = active
                for purpose in sorted(catalog.purposes):
                    ctx = world.ctx(world.step_up(staff), purpose)
                    fields = catalog.record_types[rt].fields
                    expected = {
                        n: oracle_gate_level(catalog, role_name, rt, f, purpose) for n, f in fields.items()
                    }
                    may = "read" in role.actions and purpose in role.purposes
                    if not may or all(v == "deny" for v in expected.values()):
                        with pytest.raises(AccessDenied):
                            world.service.read(ctx, rt, rid)
                        continue
                    views = world.service.read(ctx, rt, rid)
                    assert {n: v.level for n, v in views.items()} == expected, (
                        profile,
                        role_name,
                        rt,
                        purpose,
                    )
                    checked += 1
        assert checked > 0
    finally:
        world.inst.close()
