"""Demo data looks real (issue 11, item 20): order numbers, account numbers, amounts, products and
notes in the formats staff meet at work, and every value passes its field's validation."""

from __future__ import annotations

import re
from datetime import date

import pytest
from stdnum import luhn

from piguard import validate
from piguard.catalog import available_profiles, load_catalog, profile_path
from piguard.demo import _BINS, _FALLBACK, _PRODUCTS, DemoPeople
from piguard.validate.scalars import format_money, normalize_money

ORDER_NO = re.compile(r"(DD)?(20\d{6})\d{8}")
DISPLAYED_MONEY = re.compile(r"-?¥[1-9]\d{0,2}(,\d{3})*\.\d{2}|-?¥0\.\d{2}")
BINS = {bin_ for bin_, _ in _BINS}
# Real BINs of the banks named in the brief (ICBC, CCB) must be among those used.
assert {"622202", "621700"} <= BINS


def _records(profile: str, people: int = 150) -> dict[str, list[dict[str, str]]]:
    catalog = load_catalog(profile_path(profile))
    gen = DemoPeople(11)
    out: dict[str, list[dict[str, str]]] = {rt: [] for rt in catalog.record_types}
    for _ in range(people):
        person = gen.person()
        for name, rt in catalog.record_types.items():
            out[name].append(gen.record(rt, set(rt.fields), person))
    return out


@pytest.mark.parametrize("profile", available_profiles())
def test_demo_records_pass_the_catalogs_validators(profile: str) -> None:
    catalog = load_catalog(profile_path(profile))
    checked = 0
    for rt_name, records in _records(profile, 60).items():
        for values in records:
            for name, value in values.items():
                fdef = catalog.field(rt_name, name)
                validate.normalize(fdef.type, value, **fdef.type_options)
                checked += 1
            for earlier, later in catalog.record_types[rt_name].date_order:
                if earlier in values and later in values:
                    assert values[earlier] <= values[later]
    assert checked > 500


def test_demo_order_numbers_look_like_a_shops_and_carry_the_order_date() -> None:
    orders = _records("default")["order"]
    assert orders
    prefixes = set()
    for order in orders:
        match = ORDER_NO.fullmatch(order["order_no"])
        assert match, order["order_no"]
        prefixes.add(match[1])
        assert match[2] == order["placed_at"].replace("-", "")
    assert prefixes == {"DD", None}  # both usual shapes: DD20261203… and 2026120312345678


@pytest.mark.parametrize("profile, record_type, field", [
    ("default", "bank_account", "account_no"),
    ("bank", "bank_account", "account_no"),
    ("bank", "bank_transaction", "counterparty_account"),
    ("default", "customer", "bank_card"),
])  # fmt: skip
def test_demo_account_numbers_have_real_bins_and_a_luhn_check_digit(
    profile: str, record_type: str, field: str
) -> None:
    numbers = [r[field] for r in _records(profile)[record_type] if field in r]
    assert len(numbers) > 50
    for number in numbers:
        assert re.fullmatch(r"\d{16,19}", number), number
        assert luhn.is_valid(number), number
        assert number[:6] in BINS, number
    assert len({n[:6] for n in numbers}) > 3  # several banks, not one


def test_demo_amounts_are_written_as_people_write_them_and_stored_as_decimals() -> None:
    records = _records("bank")
    amounts = [r["balance"] for r in records["bank_account"]] + [
        r["amount"] for r in records["bank_transaction"]
    ]
    assert any(a.startswith("-¥") for a in amounts) and any("," in a for a in amounts)
    for amount in amounts:
        assert DISPLAYED_MONEY.fullmatch(amount), amount
        stored = normalize_money(amount, allow_negative=True)
        assert re.fullmatch(r"-?\d+\.\d{2}", stored)
        assert format_money(stored) == amount


@pytest.mark.parametrize("raw, stored", [
    ("-¥1,234.50", "-1234.50"), ("¥-1,234.50", "-1234.50"), ("-￥12", "-12.00"), ("¥1,234.5", "1234.50"),
    ("1,234,567.00元", "1234567.00"),
])  # fmt: skip
def test_money_accepts_yen_signs_before_or_after_the_minus_and_comma_grouping(raw: str, stored: str) -> None:
    assert normalize_money(raw, allow_negative=True) == stored
    assert normalize_money(format_money(stored), allow_negative=True) == stored


def test_demo_products_and_notes_are_short_realistic_sentences_not_filler() -> None:
    records = _records("default")
    products = {p for p, _ in _PRODUCTS}
    for order in records["order"]:
        for line in order["items"].split("；"):
            product, _, qty = line.rpartition(" ×")
            assert product in products and qty.isdigit(), line
    notes = [n["text"] for n in records["service_note"]]
    assert len(set(notes)) > 20
    for note in notes:
        assert 8 <= len(note) <= 80 and note.endswith("。"), note
    # Every text field of the shipped catalogs has its own generator: no filler fallback.
    for profile in available_profiles():
        for rt_name, values in _records(profile, 20).items():
            for record in values:
                assert not set(record.values()) & set(_FALLBACK), (profile, rt_name, record)


def test_demo_stays_last_nights_not_months() -> None:
    for stay in _records("hotel")["hotel_stay"]:
        nights = (date.fromisoformat(stay["check_out"]) - date.fromisoformat(stay["check_in"])).days
        assert 1 <= nights <= 5
