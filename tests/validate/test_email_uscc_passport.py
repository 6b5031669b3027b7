"""E-mail addresses, USCC (R-VAL-1) and passport numbers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from piguard.errors import ValidationError
from piguard.validate import email, passport, uscc


def check(normalize: Callable[[str], str], raw: str, expected: str) -> None:
    """``expected`` is the canonical form, or ``"error: <reason>"``."""
    if expected.startswith("error: "):
        with pytest.raises(ValidationError) as caught:
            normalize(raw)
        assert caught.value.reason == expected.removeprefix("error: ")
    else:
        assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zhang.San@Example.COM", "Zhang.San@example.com"),
        (" a+tag@mail.example.cn ", "a+tag@mail.example.cn"),
        ("张三@例子.中国", "张三@例子.中国"),
        ("a@Example.XN--FIQS8S", "a@example.xn--fiqs8s"),
        ("a@example.com.", "a@example.com"),
        ("a@b", "error: invalid domain"),
        ("a@-b.com", "error: invalid domain"),
        ("a@b_c.com", "error: invalid domain"),
        ("a@b.123", "error: invalid domain"),
        ("a@[1.2.3.4]", "error: invalid domain"),
        ("a..b@c.com", "error: invalid local part"),
        (".a@c.com", "error: invalid local part"),
        ('"a b"@c.com', "error: contains whitespace"),
        ("x" * 65 + "@example.com", "error: invalid local part"),
        ("a@" + "b" * 64 + ".com", "error: invalid domain"),
        ("a@b@c.com", "error: must contain exactly one @"),
        ("a.example.com", "error: must contain exactly one @"),
        ("a@" + ("b" * 60 + ".") * 5 + "cn", "error: too long"),
        ("a@" + ("张" * 60 + ".") * 3 + "cn", "error: too long"),
    ],
)
def test_email_table(raw: str, expected: str) -> None:
    check(email.normalize, raw, expected)


@pytest.mark.req("R-VAL-1")
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        ("9135 0100 M000 100Y 43", "91350100M000100Y43"),
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),
        ("91110000600037341", "error: wrong length"),
        ("9111000060003734I0", "error: contains characters not used in the code"),
        ("91110000600037341M", "error: checksum does not match"),
    ],
)
def test_r_val_1_uscc_table(raw: str, expected: str) -> None:
    """R-VAL-1: USCCs are normalized to uppercase or rejected."""
    check(uscc.normalize, raw, expected)


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.mark.req("R-VAL-1")
@given(st.text("0123456789", min_size=8, max_size=8), st.text(_USCC_CHARS, min_size=10, max_size=10))
def test_r_val_1_uscc_agrees_with_stdnum(head: str, tail: str) -> None:
    """R-VAL-1: our verdict equals stdnum.cn.uscc's."""
    assert uscc.is_valid(head + tail) == stdnum_uscc.is_valid(head + tail)


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("e12345678", "CN", "E12345678"),
        ("G 1234 5678", "CN", "G12345678"),
        ("EA1234567", "CN", "EA1234567"),
        ("P12345678", "CN", "P12345678"),
        ("A12345678", "CN", "error: not a valid PRC passport number"),
        ("GA1234567", "CN", "error: not a valid PRC passport number"),
        ("E1234567", "CN", "error: not a valid PRC passport number"),
        ("c01x00t47", "DE", "C01X00T47"),
        ("123456", "US", "123456"),
        ("12345", "US", "error: not a valid passport number"),
        ("1234567890", "US", "error: not a valid passport number"),
        ("AB-12345", "GB", "error: not a valid passport number"),
        ("E12345678", "cn", "error: option country must be an ISO 3166-1 alpha-2 code"),
    ],
)
def test_passport_table(raw: str, country: str, expected: str) -> None:
    check(lambda value: passport.normalize(value, country=country), raw, expected)
