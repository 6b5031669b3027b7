"""Role.level_for: deny by default, explicit deny wins, most specific rule wins (R-USE-1)."""

from __future__ import annotations

from typing import Any

import pytest

from piguard.catalog import Field, Role

pytestmark = pytest.mark.req("R-USE-1")


def _field(name: str, category: str, cls: str, sensitive: bool, mask: str, **extra: Any) -> Field:
    spec = {"name": name, "label": name, "category": category, "class": cls, "sensitive": sensitive}
    return Field.model_validate({**spec, "type": "text", "mask": mask, **extra})


MOBILE = _field("mobile", "contact", "C2", False, "mobile")
CARD = _field("bank_card", "financial_account", "C2", True, "bank_card", mask_options={"audience": "staff"})
PIN = _field("pin_hash", "authentication", "C3", True, "never")


def _role(*rules: dict[str, Any]) -> Role:
    return Role.model_validate({"name": "r", "access": list(rules)})


def test_no_rule_means_deny() -> None:
    decision = _role().level_for(MOBILE, "customer")
    assert decision == ("deny", "redact", {}, "roles.r: default deny")


def test_unrelated_rule_means_deny() -> None:
    assert _role({"selector": "order.*", "level": "clear"}).level_for(MOBILE, "customer").level == "deny"


def test_explicit_deny_wins_over_a_more_specific_grant() -> None:
    role = _role({"selector": "customer.mobile", "level": "clear"}, {"selector": "*", "level": "deny"})
    decision = role.level_for(MOBILE, "customer")
    assert decision.level == "deny"
    assert decision.rule == "roles.r.access.1 (*: deny)"


@pytest.mark.parametrize(
    ("rules", "expected_level", "expected_index"),
    [
        # field beats record type beats category beats class beats '*'
        ([("*", "masked"), ("customer.mobile", "clear")], "clear", 1),
        ([("customer.mobile", "masked"), ("customer.*", "clear")], "masked", 0),
        ([("category:contact", "clear"), ("customer.*", "masked")], "masked", 1),
        ([("class:C2", "clear"), ("category:contact", "masked")], "masked", 1),
        ([("*", "clear"), ("class:C2", "masked")], "masked", 1),
        # equally specific: the more restrictive wins, whatever the order
        ([("class:C2", "clear"), ("sensitive", "masked"), ("category:contact", "clear")], "clear", 2),
        ([("customer.mobile", "clear"), ("customer.mobile", "masked")], "masked", 1),
        ([("customer.mobile", "masked"), ("customer.mobile", "clear")], "masked", 0),
    ],
)
def test_most_specific_rule_wins(
    rules: list[tuple[str, str]], expected_level: str, expected_index: int
) -> None:
    role = _role(*({"selector": s, "level": lv} for s, lv in rules))
    decision = role.level_for(MOBILE, "customer")
    assert decision.level == expected_level
    assert decision.rule.startswith(f"roles.r.access.{expected_index} ")


def test_masked_uses_the_field_mask_unless_overridden() -> None:
    plain = _role({"selector": "category:financial_account", "level": "masked"}).level_for(CARD, "customer")
    assert (plain.mask, plain.mask_options) == ("bank_card", {"audience": "staff"})
    override = _role(
        {"selector": "customer.bank_card", "level": "masked", "mask": "bank_card",
         "mask_options": {"audience": "customer"}},
    ).level_for(CARD, "customer")  # fmt: skip
    assert (override.mask, override.mask_options) == ("bank_card", {"audience": "customer"})


def test_clear_returns_the_clear_mask() -> None:
    decision = _role({"selector": "customer.mobile", "level": "clear"}).level_for(MOBILE, "customer")
    assert (decision.mask, decision.mask_options) == ("clear", {})


def test_selectors_match_on_the_right_attribute() -> None:
    role = _role({"selector": "sensitive", "level": "masked"}, {"selector": "class:C3", "level": "deny"})
    assert role.level_for(CARD, "customer").level == "masked"
    assert role.level_for(MOBILE, "customer").level == "deny"
    assert role.level_for(PIN, "customer").level == "deny"
    assert _role({"selector": "customer.mobile", "level": "clear"}).level_for(MOBILE, "order").level == "deny"


def test_mask_override_needs_masked_level() -> None:
    with pytest.raises(ValueError, match="only to level: masked"):
        _role({"selector": "*", "level": "clear", "mask": "redact"})
