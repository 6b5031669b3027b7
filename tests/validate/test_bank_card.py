"""Bank card numbers, Luhn (R-VAL-1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from piguard.errors import ValidationError
from piguard.validate import bank_card, normalize

pytestmark = pytest.mark.req("R-VAL-1")


def check(raw: str, expected: str, on_bad_checksum: str = "reject") -> None:
    """``expected`` is the canonical form, or ``"error: <reason>"``."""
    if expected.startswith("error: "):
        with pytest.raises(ValidationError) as caught:
            bank_card.normalize(raw, on_bad_checksum=on_bad_checksum)
        assert caught.value.reason == expected.removeprefix("error: ")
    else:
        assert bank_card.normalize(raw, on_bad_checksum=on_bad_checksum) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6222 0212 3456 7890 128", "6222021234567890128"),
        ("6222-0212-3456-7894", "6222021234567894"),
        ("６２２２０２１２３４５６７８９４", "6222021234567894"),
        ("622202123456789", "error: wrong length"),
        ("62220212345678901280", "error: wrong length"),
        ("6222.0212.3456.7894", "error: contains '.' at position 5, not a digit"),
        ("٦٢٢٢٠٢١٢٣٤٥٦٧٨٩٤", "error: contains '٦' at position 1, not a digit"),
        ("6222021234567890123", "error: checksum does not match"),
    ],
)
def test_r_val_1_bank_card_table(raw: str, expected: str) -> None:
    """R-VAL-1: card numbers are normalized to digits or rejected."""
    check(raw, expected)


def test_r_val_1_warn_mode_flags_instead_of_rejecting() -> None:
    """R-VAL-1: with on_bad_checksum="warn" a Luhn failure is flagged, not rejected."""
    check("6222021234567890123", "6222021234567890123", on_bad_checksum="warn")
    assert bank_card.check("6222 0212 3456 7890 123", "warn") == (
        "6222021234567890123",
        ["checksum does not match"],
    )
    assert bank_card.check("6222021234567890128", "warn") == ("6222021234567890128", [])
    assert normalize("bank_card", "6222021234567890123", on_bad_checksum="warn") == "6222021234567890123"
    check("62220212345678", "error: wrong length", on_bad_checksum="warn")
    with pytest.raises(ValidationError, match="on_bad_checksum"):
        bank_card.check("6222021234567890128", "ignore")


def test_is_valid_and_luhn_ok() -> None:
    assert bank_card.is_valid("6200000000000005")
    assert not bank_card.is_valid("6222021234567890123")
    assert not bank_card.luhn_ok("")


@given(st.text("0123456789", min_size=12, max_size=22))
def test_r_val_1_agrees_with_stdnum_luhn(digits: str) -> None:
    """R-VAL-1: valid iff stdnum.luhn accepts and the length is 16-19."""
    assert bank_card.luhn_ok(digits) == luhn.is_valid(digits)
    assert bank_card.is_valid(digits) == (luhn.is_valid(digits) and 16 <= len(digits) <= 19)


@given(st.text("0123456789", min_size=15, max_size=18))
def test_r_val_1_check_digit_completes_a_valid_card(body: str) -> None:
    """R-VAL-1: appending the Luhn check digit always yields a valid card."""
    card = body + luhn.calc_check_digit(body)
    assert bank_card.normalize(" ".join([card[:4], card[4:]])) == card
