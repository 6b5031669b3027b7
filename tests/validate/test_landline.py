"""Mainland fixed-line numbers."""

from __future__ import annotations

import pytest

from piguard.errors import ValidationError
from piguard.validate import landline, phone


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
        ("010-1234567a", "error: contains characters other than digits"),
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
    [("12345", "not a valid mobile or landline number"), ("138\x0000138000", "contains a NUL character")],
)
def test_phone_reasons(raw: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        phone.normalize(raw)
    assert caught.value.reason == reason
