"""R-USE-4: the formats people type, one table per type (issue 19), and masking that leaves no digit.

Each positive row gives the exact span expected; each negative row a text in
which nothing may be found. Masked output must never keep a detected value's
digits in place (property test).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from piguard.detect import detect, mask_text

pytestmark = pytest.mark.req("R-USE-4")


def _card(prefix: str, length: int) -> str:
    body = prefix + "1234567890123456789"[: length - len(prefix) - 1]
    return body + luhn.calc_check_digit(body)


VISA13, VISA16 = _card("4", 13), _card("4", 16)
MASTER, MASTER2 = _card("53", 16), _card("2231", 16)
AMEX, DINERS, JCB = _card("37", 15), _card("36", 14), _card("3530", 16)
DISCOVER, UNIONPAY19 = _card("6011", 16), _card("62", 19)


def _group(number: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    return sep.join(parts)


MOBILES = [
    "13812345678",
    "+8613812345678",
    "+86 13812345678",
    "+86-13812345678",
    "+86-138-1234-5678",
    "+86 138 1234 5678",
    "0086 13812345678",
    "0086-138-1234-5678",
    "008613812345678",
    "86 13812345678",
    "86-138-1234-5678",
    "8613812345678",
    "(+86)13812345678",
    "(+86) 138 1234 5678",
    "(86)13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "138.1234.5678",
    "１３８１２３４５６７８",
    "＋８６ １３８１２３４５６７８",
    "（＋８６）１３８１２３４５６７８",
    "１３８－１２３４－５６７８",
]
LANDLINES = [
    "010-62345678",
    "(010)62345678",
    "（０１０）６２３４５６７８",
    "0755-86001234",
    "0755-86001234-8021",
    "021 62345678",
    "+86-21-62345678",
]
CARDS = [
    VISA16,
    VISA13,
    MASTER,
    MASTER2,
    AMEX,
    DINERS,
    JCB,
    DISCOVER,
    UNIONPAY19,
    _group(VISA16, (4, 4, 4, 4), " "),
    _group(VISA16, (4, 4, 4, 4), "-"),
    _group(VISA13, (4, 4, 5), " "),
    _group(AMEX, (4, 6, 5), " "),
    _group(AMEX, (4, 6, 5), "-"),
    _group(DINERS, (4, 6, 4), " "),
    _group(UNIONPAY19, (4, 4, 4, 4, 3), " "),
    _group(UNIONPAY19, (4, 4, 4, 4, 3), "-"),
]
IDS = [
    "11010519491231002X",
    "11010519491231002x",
    "110105 19491231 002X",
    "110105-19491231-002X",
    "1101 0519 4912 3100 2X",
    "１１０１０５１９４９１２３１００２Ｘ",
    "１１０１０５１９４９１２３１００２ｘ",
]

# How each value is introduced: glued to Chinese, separated, in English, in a chat line.
CONTEXTS = {
    "mobile": ("手机{}", "联系电话：{}，", "call back on {} today", "[10:21] 张伟：我的号码 {}"),
    "landline": ("座机{}", "办公电话：{}。", "office {} ext"),
    "bank_card": ("卡号{}", "退款账户：{}，", "收款账号 {} 户名", "refund to card {} please", "客户：{}"),
    "resident_id": ("身份证{}", "证件号码：{}。", "ID {} checked"),
}


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for type_, values in (
        ("mobile", MOBILES),
        ("landline", LANDLINES),
        ("bank_card", CARDS),
        ("resident_id", IDS),
    ):
        for value in values:
            for context in CONTEXTS[type_]:
                rows.append((type_, value, context.format(value)))
    return rows


@pytest.mark.parametrize(("type_", "value", "text"), _rows())
def test_format_is_found_whole(type_: str, value: str, text: str) -> None:
    found = [(f.type, text[f.start : f.end]) for f in detect(text) if f.type != "person"]
    assert found == [(type_, value)]


@pytest.mark.req("R-USE-4")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Found by the property test below: the pattern joins numbers separated by one space into a
        # single run, and a "86"-prefixed mobile was only recognised at the start of the text's run.
        ("客户8613812345678 8613812345678", ["8613812345678", "8613812345678"]),
        ("8613812345678 8613912345678", ["8613812345678", "8613912345678"]),
        ("13812345678 008613912345678", ["13812345678", "008613912345678"]),
        ("手机8613812345678 13912345678", ["8613812345678", "13912345678"]),
    ],
)
def test_prefixed_mobiles_side_by_side_are_each_found(text: str, expected: list[str]) -> None:
    found = [(f.type, text[f.start : f.end]) for f in detect(text) if f.type != "person"]
    assert found == [("mobile", v) for v in expected]


NEGATIVES = [
    f"订单号{VISA16}已发货",  # Luhn-valid, card-shaped, an order number
    f"order #{MASTER} shipped",
    f"交易号{_group(VISA16, (4, 4, 4, 4), ' ')}",
    "快递单号75312345678901",
    "运单号 4303123456789",
    "时间戳1733212800123",
    "2025-12-03 10:21:30",
    "20251203102130",
    "验证码 138123",
    "您的验证码是861381，5分钟内有效",
    "金额 ¥13812345678.00元",
    "共计138.12元",
    "版本 13.1234.5678",  # dotted, not a mobile range
    "IP 10.1.1.1 端口8080",  # an IP, not a phone (checked below for the IP only)
    "13812345678901",  # 14 digits: no scheme, no phone
    "1234 5678 9012 3",  # 13 digits, no Visa prefix
    "4111 1111 1111 1112",  # Luhn fails
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_near_miss_is_not_a_number_type(text: str) -> None:
    numeric = {"mobile", "landline", "bank_card", "resident_id", "passport", "uscc"}
    assert [(f.type, text[f.start : f.end]) for f in detect(text) if f.type in numeric] == []


def test_finding_explains_itself() -> None:
    text = f"卡号{AMEX}"
    (finding,) = detect(text)
    assert finding.type == "bank_card"
    assert finding.reason.startswith("bank_card:"), finding.reason
    assert "luhn" in finding.reason and "cue=卡号" in finding.reason
    assert finding.as_dict()["reason"] == finding.reason


_DIGIT_VALUES = st.sampled_from(MOBILES + CARDS + IDS + LANDLINES)
_FILLER = st.sampled_from(["客户", "，", "来电", " ", "退款账户", "手机", "卡号", " ok "])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_FILLER, _DIGIT_VALUES), min_size=1, max_size=4),
    st.sampled_from(["staff", "customer"]),
)
def test_masking_never_leaves_a_detected_values_digits_in_place(
    pieces: list[tuple[str, str]], audience: str
) -> None:
    """R-USE-4: a masked text keeps at most the digits the masking rule shows, never the value whole."""
    text = "".join(f + v for f, v in pieces)
    findings = detect(text)
    masked = mask_text(text, audience=audience)
    spans = [(f.type, f.start, f.end) for f in findings]
    assert [(r.type, r.start, r.end) for r in masked.replacements] == spans
    assert any(f.type != "person" for f in findings)
    # The output is the input with exactly these spans replaced.
    rebuilt, cursor = "", 0
    for r in masked.replacements:
        rebuilt += text[cursor : r.start] + r.replacement
        cursor = r.end
    assert rebuilt + text[cursor:] == masked.text
    for f, r in zip(findings, masked.replacements, strict=True):
        value = text[f.start : f.end]
        assert r.replacement != value
        shown = sum(c.isdigit() for c in r.replacement.translate(_ASCII))
        total = sum(c.isdigit() for c in value.translate(_ASCII))
        # At least three digits of every value are gone (a mobile keeps 3+4 of
        # 11, a card for staff 6+4, for customers 4), and none is added.
        assert shown <= total - 3, (f.type, r.replacement)


_ASCII = str.maketrans("０１２３４５６７８９", "0123456789")


def test_reasons_never_carry_the_value_canary() -> None:
    """R-USE-4 canary: a reason names pattern, checks and cue word, never a byte of the value."""
    from tests.detect import heldout

    for doc in heldout.generate(300, seed=31):
        for f in detect(doc.text):
            value = doc.text[f.start : f.end]
            assert value not in f.reason
            digits = "".join(c for c in value if c.isdigit())
            if len(digits) >= 4:
                assert digits[-4:] not in f.reason.replace(" ", ""), (f.type, f.reason)
