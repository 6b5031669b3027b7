"""Table tests: the formats of requirements §2b (R-USE-4) and the edge cases around them."""

from __future__ import annotations

from typing import Any

import pytest

from piguard.masking import apply_mask, known_rules

pytestmark = pytest.mark.req("R-USE-4")

# (rule, value, params, expected)
ROWS: list[tuple[str, str, dict[str, Any], str]] = [
    # clear, redact, never (R-STO-3)
    ("clear", "13800138000", {}, "13800138000"),
    ("clear", "", {}, ""),
    ("redact", "13800138000", {}, "******"),
    ("redact", "", {}, "******"),
    ("never", "123", {}, "[hidden]"),
    ("never", "a much longer secret value", {}, "[hidden]"),
    # hash: RFC 4231 test case 1 (key 0x0b * 20, "Hi There"), first 16 hex digits.
    ("hash", "Hi There", {"key": b"\x0b" * 20}, "hmac-sha256:b0344c61d8db3853"),
    # keep
    ("keep", "abcdefghij", {"first": 2, "last": 2}, "ab******ij"),
    ("keep", "abcdefghij", {"first": 2, "last": 2, "char": "#"}, "ab######ij"),
    ("keep", "abcdefgh", {"first": 3, "last": 4}, "****efgh"),  # too short: keep fewer, hide half
    ("keep", "abc", {"last": 4}, "**c"),
    ("keep", "a", {"first": 1}, "*"),
    ("keep", "", {"first": 1}, ""),
    ("keep", "张三丰先生", {"first": 1}, "张****"),
    # name
    ("name", "张三", {}, "张*"),
    ("name", "张三丰", {}, "张**"),
    ("name", "欧阳娜娜", {}, "欧阳**"),
    ("name", "欧阳娜", {}, "欧阳*"),
    ("name", "诸葛亮", {}, "诸葛*"),
    ("name", "司馬相如", {}, "司馬**"),
    ("name", "欧阳", {}, "欧*"),  # only a compound surname: never shown whole
    ("name", "张", {}, "*"),
    ("name", "John Smith", {}, "J*** S****"),
    ("name", "John F Kennedy", {}, "J*** * K******"),
    ("name", "Madonna", {}, "M******"),
    ("name", "J", {}, "*"),
    ("name", "김민수", {}, "김**"),
    ("name", "", {}, ""),
    # mobile
    ("mobile", "13800138000", {}, "138****8000"),
    ("mobile", "13800138000", {"keep_last": 4}, "138****8000"),
    ("mobile", "13800138000", {"keep_last": 2}, "138******00"),
    ("mobile_seed", "13800138000", {}, "138******00"),
    ("mobile", "+86 138 0013 8000", {}, "+86 138 **** 8000"),
    ("mobile", "+8613800138000", {}, "+86138****8000"),
    ("mobile", "0086-138-0013-8000", {}, "0086-138-****-8000"),
    ("mobile", "(+86)138-0013-8000", {}, "(+86)138-****-8000"),
    ("mobile", "8613800138000", {}, "86138****8000"),
    ("mobile_seed", "+86 138 0013 8000", {}, "+86 138 **** **00"),
    ("mobile", "１３８００１３８０００", {}, "１３８****８０００"),  # full-width digits are digits
    ("mobile", "12345678", {}, "****5678"),  # short: at most half
    ("mobile", "1234", {}, "**34"),
    ("mobile", "1", {}, "*"),
    ("mobile", "", {}, ""),
    ("mobile", "138abc", {}, "**8***"),  # letters are hidden, not shown as formatting
    # resident_id
    ("resident_id", "11010519491231002X", {}, "110***********002X"),
    ("resident_id", "11010519491231002X", {"first": 6}, "110105********002X"),
    ("resident_id", "11010519491231002X", {"first": 6, "last": 4}, "110105********002X"),
    ("resident_id", "110105 19491231 002X", {}, "110*** ******** 002X"),
    ("resident_id", "110105491231002", {}, "110*********002"),  # legacy 15-digit: 3 + 3
    ("resident_id", "1101051949", {}, "1*********"),  # odd length: half at most, positions 7-14 hidden
    ("resident_id", "", {}, ""),
    # bank_card
    ("bank_card", "6222021234567890128", {"audience": "staff"}, "622202*********0128"),
    ("bank_card", "6222021234567890128", {"audience": "customer"}, "**** 0128"),
    ("bank_card", "6222021234567890128", {}, "**** 0128"),  # the stricter audience by default
    ("bank_card", "6222021234567894", {"audience": "staff"}, "622202******7894"),
    ("bank_card", "6222 0212 3456 7894", {"audience": "staff"}, "6222 02** **** 7894"),
    ("bank_card", "79927398713", {"audience": "staff"}, "*******8713"),  # < 12 digits: last 4 only
    ("bank_card", "123456", {"audience": "staff"}, "***456"),
    ("bank_card", "123456", {"audience": "customer"}, "**** 456"),
    ("bank_card", "", {"audience": "customer"}, "****"),
    # address
    ("address", "北京市朝阳区建国路88号", {}, "北京市朝阳区****"),
    ("address", "上海市浦东新区陆家嘴环路1000号", {}, "上海市浦东新区****"),
    ("address", "重庆市万州区白岩路", {}, "重庆市万州区****"),
    ("address", "广东省深圳市南山区科技园科苑路15号", {}, "广东省深圳市南山区****"),
    ("address", "新疆维吾尔自治区乌鲁木齐市天山区解放路1号", {}, "新疆维吾尔自治区乌鲁木齐市天山区****"),
    ("address", "湖北省恩施土家族苗族自治州恩施市舞阳大道", {}, "湖北省恩施土家族苗族自治州恩施市****"),
    ("address", "内蒙古自治区锡林郭勒盟锡林浩特市", {}, "内蒙古自治区锡林郭勒盟锡林浩特市****"),
    ("address", "香港特别行政区中西区皇后大道中1号", {}, "香港特别行政区中西区****"),
    ("address", "广东省东莞市万科城小区5栋", {}, "广东省东莞市****"),  # 小区 is not a district
    ("address", "建设路市政府大院", {}, "建设****"),  # 路 is never part of a division
    ("address", "1600 Amphitheatre Pkwy", {}, "16****"),
    ("address", "abc", {}, "a****"),
    ("address", "", {}, "****"),
    # email
    ("email", "zhang@example.com", {}, "z***@example.com"),
    ("email", "z@example.com", {}, "***@example.com"),
    ("email", "张三@例子.中国", {}, "张***@例子.中国"),
    ("email", "not-an-email", {}, "******"),
    ("email", "a@localhost", {}, "******"),
    ("email", "@example.com", {}, "******"),
    ("email", "", {}, "******"),
    # date
    ("date", "1990-05-17", {}, "1990-**-**"),
    ("date", "1990/05/17", {}, "1990/**/**"),
    ("date", "19900517", {}, "1990****"),
    ("date", "1990年5月17日", {}, "1990年*月**日"),
    ("date", "May 17, 1990", {}, "*** **, 1990"),
    ("date", "17/05/1990", {}, "**/**/1990"),
    ("date", "unknown", {}, "*******"),
    ("date", "", {}, ""),
    # passport
    ("passport", "E12345678", {}, "E*****678"),
    ("passport", "G1234567", {}, "G****567"),
    ("passport", "E123", {}, "**23"),
    ("passport", "", {}, ""),
]


@pytest.mark.parametrize(("rule", "value", "params", "expected"), ROWS)
def test_mask_formats_r_use_4(rule: str, value: str, params: dict[str, Any], expected: str) -> None:
    """R-USE-4: each rule gives the §2b display format."""
    assert apply_mask(rule, value, **params) == expected


def test_every_known_rule_has_a_table_row() -> None:
    assert known_rules() == {row[0] for row in ROWS}
