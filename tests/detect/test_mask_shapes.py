"""The shortcut of ``mask_value`` for plain digit values gives what the masking operators give."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from piguard.detect.engine import _SHAPES, AUDIENCES, MASK_RULES, mask_value
from piguard.masking import get_operator


def _operator(type_: str, audience: str, value: str) -> str:
    rule, params = MASK_RULES[type_]
    if type_ == "bank_card":
        params = {"audience": audience}
    params_: dict[str, Any] = dict(params)
    return get_operator(rule).operate(value, params_)


@pytest.mark.req("R-USE-4")
@settings(max_examples=400)
@given(
    type_=st.sampled_from(["mobile", "bank_card", "resident_id"]),
    audience=st.sampled_from(AUDIENCES),
    values=st.lists(st.text("0123456789", min_size=8, max_size=20), min_size=2, max_size=6),
)
def test_digit_shortcut_equals_the_operator(type_: str, audience: str, values: list[str]) -> None:
    """R-USE-4: masking a detected number hides exactly the digits the type's operator hides.

    The first value of a length teaches the shortcut its shape; the later ones use it.
    """
    for value in values:
        assert mask_value(type_, value, audience=audience) == _operator(type_, audience, value)


@pytest.mark.req("R-USE-4")
def test_shapes_are_learned_and_reused() -> None:
    """R-USE-4: a staff card keeps 6 + 4 digits; a customer's card has no reusable shape."""
    assert mask_value("bank_card", "6222021234567890123") == "622202*********0123"
    assert _SHAPES[("bank_card", "staff", 19)] == (6, 4, 9)
    assert mask_value("bank_card", "6222029876543210987") == "622202*********0987"
    assert mask_value("bank_card", "6222021234567890123", audience="customer") == "**** 0123"
    assert _SHAPES[("bank_card", "customer", 19)] is None
    assert mask_value("mobile", "13812345678") == "138****5678"
    assert mask_value("mobile", "8613812345678") == _operator("mobile", "staff", "8613812345678")
