"""Rules every kind shares: hygiene, size limits, and messages that never echo the value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piguard.errors import ValidationError
from piguard.validate import known_types, normalize

OPTIONS: dict[str, dict[str, Any]] = {"enum": {"values": ["1380", "gold"]}}
KINDS = sorted(known_types())


def check(type_name: str, raw: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize(type_name, raw, **OPTIONS.get(type_name, {}))
    assert caught.value.reason == reason


@pytest.mark.parametrize("type_name", KINDS)
@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1380\x000138000", "contains a NUL character at position 5"),
        ("1380\ud8000138000", "contains invalid unicode (a lone surrogate) at position 5"),
        ("1380\udfff", "contains invalid unicode (a lone surrogate) at position 5"),
        ("1380\x01", "contains control characters (U+0001 at position 5)"),
        ("1380\x1b[31m", "contains control characters (U+001B at position 5)"),
        ("13\x7f80", "contains control characters (U+007F at position 3)"),
        ("13\x8580", "contains control characters (U+0085 at position 3)"),
        ("\x1f1380", "contains control characters (U+001F at position 1)"),
        ("1380\x0b0138000", "contains control characters (U+000B at position 5)"),
        ("1380\r0138000", "contains control characters (U+000D at position 5)"),
        ("1" * 100_000, "too long"),
    ],
)
def test_every_kind_rejects_bad_characters_and_oversize(type_name: str, raw: str, reason: str) -> None:
    check(type_name, raw, reason)


@pytest.mark.parametrize("type_name", [kind for kind in KINDS if kind != "text"])
def test_single_line_kinds_reject_newline_and_tab_inside(type_name: str) -> None:
    check(type_name, "1380\n0138000", "contains control characters (U+000A at position 5)")
    check(type_name, "1380\t0138000", "contains control characters (U+0009 at position 5)")


def test_text_allows_newline_and_tab_only_when_multiline() -> None:
    assert normalize("text", "a\n\tb") == "a\n\tb"
    check("text", "a\x0bb", "contains control characters (U+000B at position 2)")
    with pytest.raises(ValidationError, match="control characters"):
        normalize("text", "a\nb", multiline=False)


@pytest.mark.parametrize("type_name", [kind for kind in KINDS if kind != "text"])
def test_non_text_kinds_reject_empty(type_name: str) -> None:
    with pytest.raises(ValidationError):
        normalize(type_name, "   ", **OPTIONS.get(type_name, {}))


@pytest.mark.parametrize("type_name", KINDS)
def test_non_string_is_rejected(type_name: str) -> None:
    with pytest.raises(ValidationError, match="must be a string"):
        normalize(type_name, 13800138000, **OPTIONS.get(type_name, {}))  # type: ignore[arg-type]


_VALUE_CHARS = st.sampled_from("0123456789０１２３Xx -+@.,/年月日¥元abcZ张·\u3000")


@pytest.mark.req("R-VAL-1")
@given(st.sampled_from(KINDS), st.text(_VALUE_CHARS, min_size=4, max_size=40))
def test_r_val_1_messages_never_contain_the_value(type_name: str, raw: str) -> None:
    """R-VAL-1 / privacy: a rejection's message never repeats the value (inputs of 4+ chars)."""
    try:
        normalize(type_name, raw, **OPTIONS.get(type_name, {}))
    except ValidationError as error:
        for shown in (raw, raw.strip()):
            if len(shown) >= 4:
                assert shown not in str(error)
                assert shown not in error.reason


@pytest.mark.req("R-VAL-1")
@given(st.text("0123456789", min_size=4, max_size=30), st.sampled_from(KINDS))
def test_r_val_1_messages_never_contain_digit_strings(raw: str, type_name: str) -> None:
    """R-VAL-1 / privacy: the same for pure digit strings, the shape of most PI numbers."""
    try:
        normalize(type_name, raw, **OPTIONS.get(type_name, {}))
    except ValidationError as error:
        assert raw not in str(error)


@given(st.sampled_from(KINDS), st.text(_VALUE_CHARS, max_size=30))
def test_canonical_forms_are_fixed_points(type_name: str, raw: str) -> None:
    """normalize(normalize(x)) == normalize(x): blind indexes rely on one canonical form."""
    options = OPTIONS.get(type_name, {})
    try:
        canonical = normalize(type_name, raw, **options)
    except ValidationError:
        return
    assert normalize(type_name, canonical, **options) == canonical


@pytest.mark.parametrize(
    ("type_name", "canonical"),
    [
        ("resident_id", "11010519491231002X"),
        ("mobile", "13800138000"),
        ("landline", "0755-12345678"),
        ("landline", "010-12345678-123"),
        ("phone", "010-12345678"),
        ("bank_card", "6222021234567890128"),
        ("email", "Zhang.San@example.com"),
        ("uscc", "91350100M000100Y43"),
        ("passport", "EA1234567"),
        ("date", "2024-01-02"),
        ("money", "1234.50"),
        ("gender", "U"),
        ("boolean", "false"),
    ],
)
def test_known_canonical_forms_are_fixed_points(type_name: str, canonical: str) -> None:
    assert normalize(type_name, canonical) == canonical
