"""Mainland fixed-line numbers."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from piguard.errors import ValidationError
from piguard.validate import landline, phone

FIXED = (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def libphonenumber_says_fixed(national: str) -> bool:
    parsed = phonenumbers.parse(national, "CN")
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in FIXED


def check(raw: str, expected: str) -> None:
    """``expected`` is the canonical form, or ``"error: <reason>"``."""
    if expected.startswith("error: "):
        with pytest.raises(ValidationError) as caught:
            landline.normalize(raw)
        assert caught.value.reason == expected.removeprefix("error: ")
    else:
        assert landline.normalize(raw) == expected
        assert landline.normalize(expected) == expected  # Canonical forms are fixed points.


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("(010) 1234 5678", "010-12345678"),
        ("010-1234-5678", "010-12345678"),
        ("+86 10 12345678", "010-12345678"),
        ("0086-10-12345678", "010-12345678"),
        ("０１０－１２３４５６７８", "010-12345678"),
        ("0755-12345678", "0755-12345678"),
        ("0571 8888 8888", "0571-88888888"),
        ("0310-2345678", "0310-2345678"),
        ("010-12345678-123", "010-12345678-123"),
        ("010-12345678 转 123", "010-12345678-123"),
        ("010 12345678 ext. 9", "010-12345678-9"),
        ("010-12345678#88", "010-12345678-88"),
        # Shenzhen subscriber numbers have 8 digits; libphonenumber refuses 7.
        ("0755-1234567", "error: not a valid mainland fixed-line number"),
        ("12345678", "error: missing area code"),
        ("13800138000", "error: missing area code"),
        ("+86 138 0013 8000", "error: not a valid mainland fixed-line number"),
        ("0010-12345678", "error: not a valid mainland fixed-line number"),
        ("010-123", "error: wrong length"),
        ("010-1234567a", "error: contains 'a' at position 12, not a digit"),
    ],
)
def test_landline_table(raw: str, expected: str) -> None:
    check(raw, expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 0013 8000", "13800138000"),
        ("010 1234 5678", "010-12345678"),
        ("+86 10 12345678", "010-12345678"),
    ],
)
def test_phone_accepts_either_kind(raw: str, expected: str) -> None:
    assert phone.normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345", "not a valid mobile or landline number"),
        ("138\x0000138000", "contains a NUL character at position 4"),
    ],
)
def test_phone_reasons(raw: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        phone.normalize(raw)
    assert caught.value.reason == reason


def test_area_code_split_matches_phonenumbers_for_every_area_code() -> None:
    """The 2-digit (010, 02x) / 3-digit rule equals length_of_geographical_area_code."""
    checked = 0
    for area in range(10, 1000):
        for subscriber in ("2345678", "23456789", "62345678"):
            national = f"0{area}{subscriber}"
            parsed = phonenumbers.parse(national, "CN")
            if not landline.is_valid(national):
                continue
            checked += 1
            area_code, _ = landline.normalize(national).split("-")
            assert len(area_code) == 1 + phonenumbers.length_of_geographical_area_code(parsed)
    assert checked > 300


@given(st.integers(1, 9), st.text("0123456789", min_size=8, max_size=10))
def test_validity_agrees_with_phonenumbers(first: int, rest: str) -> None:
    """Ours accepts a 0-prefixed national number iff phonenumbers calls it a valid fixed line."""
    national = f"0{first}{rest}"
    assert landline.is_valid(national) == libphonenumber_says_fixed(national)
