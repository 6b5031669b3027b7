""" "Masked" that is not masked (issue 11, item 6): a value reported as masked never equals the
clear value, whatever the field's mask; the catalog lint flags a masked access whose mask shows
the value unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from piguard import masking
from piguard.access.decision import Policy
from piguard.catalog import load_catalog
from piguard.catalog.lint import lint
from piguard.gate import RequestContext
from piguard.gate.decide import show
from tests.access.conftest import ADULT, SETUP, World

SHIPPED = Path(__file__).parents[2] / "src" / "piguard" / "catalogs"


@pytest.mark.req("R-USE-1")
def test_officer_masked_fields_never_show_the_clear_value_r_use_1(sqlite_world: World) -> None:
    world = sqlite_world
    cid = world.customer({**ADULT, "guardian_relation": "mother", "membership_level": "silver"})
    order = world.service.create(
        RequestContext(SETUP, "service"),
        "order",
        {"order_no": "SO-2026-000123", "placed_at": "2026-02-27", "amount": "88.00"},
        customer_id=cid,
    )
    officer = world.user("officer")
    stored = {
        **{("customer", k): v for k, v in ADULT.items()},
        ("customer", "membership_level"): "silver",
        ("customer", "guardian_relation"): "mother",
        ("order", "placed_at"): "2026-02-27",
        ("order", "order_no"): "SO-2026-000123",
    }
    seen = {
        "customer": world.service.read(world.ctx(officer), "customer", cid),
        "order": world.service.read(world.ctx(officer), "order", order.record_id),
    }
    checked = 0
    for record_type, doc in seen.items():
        for name, view in doc.items():
            clear = stored.get((record_type, name))
            if view.level == "masked" and clear is not None:
                assert view.value != clear, f"{record_type}.{name} is 'masked' but shows {view.value!r}"
                checked += 1
    assert checked >= 4
    for record_type, name in (
        ("customer", "membership_level"),
        ("customer", "guardian_relation"),
        ("order", "placed_at"),
    ):
        assert seen[record_type][name].level == "masked"


def _c1_clear_catalog(tmp_path: Path) -> Path:
    """The default catalog as it shipped before: C1 fields masked with ``clear``."""
    text = (SHIPPED / "default.yaml").read_text(encoding="utf-8")
    old = text.replace(
        "C1: {encrypt: true, default_mask: redact,", "C1: {encrypt: true, default_mask: clear,"
    )
    assert old != text
    path = tmp_path / "catalog.yaml"
    path.write_text(old, encoding="utf-8")
    return path


@pytest.mark.req("R-USE-1")
def test_a_masked_decision_with_an_identity_mask_hides_the_value_r_use_1(tmp_path: Path) -> None:
    catalog = load_catalog(_c1_clear_catalog(tmp_path))
    fdef = catalog.record_types["customer"].fields["membership_level"]
    assert fdef.mask == "clear"
    decision = Policy(catalog).decide("officer", "customer", fdef, "service")
    assert decision.level == "masked" and decision.mask not in masking.IDENTITY
    assert show(decision, "silver") != "silver"


def test_a_mask_that_returns_its_input_is_replaced_by_redaction() -> None:
    # keep shows at least half hidden, but a rule for another kind of value may return it as is.
    assert masking.apply_mask("clear", "gold") == "gold"
    assert masking.hide("clear", "gold") == masking.apply_mask(masking.FALLBACK, "gold")
    assert masking.hide("mobile", "13800138000") == "138****8000"
    for rule in sorted(masking.known_rules() - {"hash"}):
        for value in ("F", "gold", "2024-05-17", "13800138000"):
            assert masking.hide(rule, value) != value, (rule, value)


@pytest.mark.req("R-USE-1")
def test_catalog_check_flags_a_masked_access_whose_mask_reveals_everything_r_use_1(tmp_path: Path) -> None:
    findings = [f for f in lint(load_catalog(_c1_clear_catalog(tmp_path))) if f.check == "mask-reveals-value"]
    assert findings and all(f.severity == "error" and f.rule_id == "R-USE-1" for f in findings)
    messages = " ".join(f.message for f in findings)
    for name in ("customer.membership_level", "customer.guardian_relation", "order.placed_at"):
        assert f"role 'officer' sees {name} 'masked' with mask 'clear'" in messages
    # keep changes every value, but its output still tells an enum's values apart (by length).
    text = (SHIPPED / "default.yaml").read_text(encoding="utf-8")
    kept = text.replace(
        "      - {selector: customer.membership_level, level: clear}",
        "      - {selector: customer.membership_level, level: masked, mask: keep}",
        1,
    )
    assert kept != text
    path = tmp_path / "keep.yaml"
    path.write_text(kept, encoding="utf-8")
    flagged = [f.message for f in lint(load_catalog(path)) if f.check == "mask-reveals-value"]
    assert flagged == [
        "role 'customer_service' sees customer.membership_level 'masked' with mask 'keep', which still "
        "tells the value; use a mask that hides it (redact, date ...) or say level: clear"
    ]


@pytest.mark.parametrize("name", sorted(p.stem for p in SHIPPED.glob("*.yaml")))
def test_shipped_catalogs_mask_what_they_call_masked(name: str) -> None:
    assert [
        str(f) for f in lint(load_catalog(SHIPPED / f"{name}.yaml")) if f.check == "mask-reveals-value"
    ] == []
