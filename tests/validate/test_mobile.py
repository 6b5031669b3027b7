"""Mainland mobile numbers (R-VAL-1, requirements §3.4)."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from piguard.errors import ValidationError
from piguard.validate import mobile

pytestmark = pytest.mark.req("R-VAL-1")

SECTION_3_4 = r"1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}"


def libphonenumber_says_mobile(national: str) -> bool:
    try:
        parsed = phonenumbers.parse(national, "CN")
    except phonenumbers.NumberParseException:
        # e.g. "10000002110": libphonenumber reads a dialling prefix and finds no number at all.
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) == PhoneNumberType.MOBILE


def check(raw: str, expected: str) -> None:
    """``expected`` is the canonical form, or ``"error: <reason>"``."""
    if expected.startswith("error: "):
        with pytest.raises(ValidationError) as caught:
            mobile.normalize(raw)
        assert caught.value.reason == expected.removeprefix("error: ")
    else:
        assert mobile.normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138 0013 8000", "13800138000"),
        ("0086-138-0013-8000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("\t13800138000 ", "13800138000"),
        ("16120000000", "error: not a mainland mobile number range"),
        ("16101234567", "16101234567"),
        ("17405123456", "17405123456"),
        ("17406123456", "error: not a mainland mobile number range"),
        ("1380013800", "error: wrong length"),
        ("+85291234567", "error: contains characters other than digits"),
        ("138 0013 800O", "error: contains 'O' at position 13, not a digit"),
        ("(138)00138000", "error: contains '(' at position 1, not a digit"),
    ],
)
def test_r_val_1_mobile_table(raw: str, expected: str) -> None:
    """R-VAL-1: mobiles are normalized to 11 digits or rejected."""
    check(raw, expected)


def test_r_val_1_pattern_is_section_3_4_and_still_libphonenumbers() -> None:
    """R-VAL-1: the regex is §3.4's and equals the metadata of the installed phonenumbers."""
    assert mobile.PATTERN == SECTION_3_4
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None and metadata.mobile is not None
    assert metadata.mobile.national_number_pattern == SECTION_3_4


def test_r_val_1_every_five_digit_prefix_agrees_with_phonenumbers() -> None:
    """R-VAL-1: exhaustive over 1xxxx prefixes (the pattern looks at no more than 5 digits)."""
    disagreements = [
        prefix
        for prefix in (f"1{n:04d}" for n in range(10_000))
        if mobile.is_valid(prefix + "123456") != libphonenumber_says_mobile(prefix + "123456")
    ]
    assert disagreements == []


@given(st.text("0123456789", min_size=10, max_size=10))
@example("1000002110")  # libphonenumber cannot parse 11000002110 at all (found by a CI seed)
def test_r_val_1_agrees_with_phonenumbers_and_regex(rest: str) -> None:
    """R-VAL-1: ours == phonenumbers (CN, MOBILE) == the §3.4 regex for 11-digit numbers."""
    number = "1" + rest
    ours = mobile.is_valid(number)
    assert ours == libphonenumber_says_mobile(number)
    assert ours == bool(re.fullmatch(SECTION_3_4, number))
    assert mobile.is_valid("+86 " + number) == ours
