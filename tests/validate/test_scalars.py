"""Scalar kinds: text, name, gender, date, money, integer, enum, address, boolean."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piguard.errors import ValidationError
from piguard.validate import normalize, scalars


def check(type_name: str, raw: str, expected: str, **options: Any) -> None:
    """``expected`` is the canonical form, or ``"error: <reason>"``."""
    if expected.startswith("error: "):
        with pytest.raises(ValidationError) as caught:
            normalize(type_name, raw, **options)
        assert caught.value.reason == expected.removeprefix("error: ")
    else:
        assert normalize(type_name, raw, **options) == expected


@pytest.mark.parametrize(
    ("type_name", "raw", "options", "expected"),
    [
        ("text", "  line one\r\nline\ttwo  ", {}, "line one\nline\ttwo"),
        ("text", "e\u0301", {}, "\u00e9"),
        ("text", "a\nb", {"multiline": False}, "error: contains control characters (U+000A at position 2)"),
        ("text", "abcdef", {"max_length": 5}, "error: too long"),
        ("text", "", {}, ""),
        ("name", " 张  三 ", {}, "张 三"),
        ("name", "阿沛·阿旺晋美", {}, "阿沛·阿旺晋美"),
        ("name", "Jean-Luc O'Brien", {}, "Jean-Luc O'Brien"),
        ("name", "张三3", {}, "error: contains '3' at position 3, not allowed in a name"),
        ("name", "<script>", {}, "error: contains '<' at position 1, not allowed in a name"),
        ("name", "   ", {}, "error: value is empty"),
        ("name", "张" * 65, {}, "error: too long"),
        ("gender", "男", {}, "M"),
        ("gender", "女", {}, "F"),
        ("gender", "未知", {}, "U"),
        ("gender", "Female", {}, "F"),
        ("gender", "m", {}, "M"),
        ("gender", "x", {}, "error: not a recognised gender"),
        ("date", "2024-01-02", {}, "2024-01-02"),
        ("date", "2024/1/2", {}, "2024-01-02"),
        ("date", "20240102", {}, "2024-01-02"),
        ("date", "2024年1月2日", {}, "2024-01-02"),
        ("date", "２０２４年１月２日", {}, "2024-01-02"),
        ("date", "2024-02-30", {}, "error: invalid date"),
        ("date", "2024-01/02", {}, "error: not a date in a known format"),
        ("date", "02/01/2024", {}, "error: not a date in a known format"),
        ("date", "1899-12-31", {}, "error: date is before the earliest allowed year"),
        ("date", "1899-12-31", {"min_year": 1800}, "1899-12-31"),
        ("date", "9999-01-01", {}, "error: date is in the future"),
        ("date", "9999-01-01", {"not_future": False}, "9999-01-01"),
        ("money", "1234.5", {}, "1234.50"),
        ("money", "￥1,234,567.89", {}, "1234567.89"),
        ("money", "¥ 12 元", {}, "12.00"),
        ("money", "0012.", {}, "12.00"),
        ("money", "-0.00", {}, "0.00"),
        ("money", "-5", {}, "error: negative amounts are not allowed"),
        ("money", "-5", {"allow_negative": True}, "-5.00"),
        ("money", "1.234", {}, "error: more than two decimal places"),
        ("money", "1,23.00", {}, "error: not an amount"),
        ("money", "1e5", {}, "error: not an amount"),
        ("money", "9" * 13, {}, "9" * 13 + ".00"),
        ("money", "9" * 14, {}, "error: too many digits"),
        ("money", "12345", {"max_digits": 6}, "error: too many digits"),
        ("integer", "+007", {}, "7"),
        ("integer", "-0", {}, "0"),
        ("integer", "1,000", {}, "1000"),
        ("integer", "1.5", {}, "error: not an integer"),
        ("integer", "5", {"min": 6}, "error: below the minimum"),
        ("integer", "7", {"max": 6}, "error: above the maximum"),
        ("integer", "6", {"min": 6, "max": 6}, "6"),
        ("enum", "gold", {"values": ["Gold", "Silver"]}, "Gold"),
        ("enum", "Silver", {"values": ["Gold", "Silver"]}, "Silver"),
        ("enum", "bronze", {"values": ["Gold", "Silver"]}, "error: not one of the allowed values"),
        ("address", " 北京市朝阳区\u3000建国路 1 号 ", {}, "北京市朝阳区 建国路 1 号"),
        ("address", "北京\n朝阳", {}, "error: contains control characters (U+000A at position 3)"),
        ("address", "路" * 201, {}, "error: too long"),
        ("boolean", "YES", {}, "true"),
        ("boolean", "是", {}, "true"),
        ("boolean", "０", {}, "false"),
        ("boolean", "maybe", {}, "error: not a boolean"),
    ],
)
def test_scalar_table(type_name: str, raw: str, options: dict[str, Any], expected: str) -> None:
    check(type_name, raw, expected, **options)


def test_date_not_future_uses_given_today() -> None:
    assert scalars.normalize_date("2025-06-01", today=date(2025, 6, 1)) == "2025-06-01"
    with pytest.raises(ValidationError, match="in the future"):
        scalars.normalize_date("2025-06-02", today=date(2025, 6, 1))


@given(st.dates(date(1900, 1, 1), date(2024, 12, 31)))
def test_date_forms_agree(day: date) -> None:
    forms = (day.isoformat(), f"{day:%Y/%m/%d}", f"{day:%Y%m%d}", f"{day.year}年{day.month}月{day.day}日")
    assert {scalars.normalize_date(form) for form in forms} == {day.isoformat()}


@given(st.integers(-(10**12), 10**12), st.integers(0, 99))
def test_money_round_trips(whole: int, cents: int) -> None:
    amount = f"{whole}.{cents:02d}"
    canonical = scalars.normalize_money(amount, allow_negative=True)
    assert canonical == ("0.00" if whole == 0 and cents == 0 else amount)
    assert scalars.normalize_money(canonical, allow_negative=True) == canonical
