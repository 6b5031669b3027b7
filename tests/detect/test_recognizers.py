"""Positive and negative examples per recognizer, near misses included (issue 7, R-VAL-1)."""

from __future__ import annotations

import pytest

from piguard.detect import detect

pytestmark = pytest.mark.req("R-VAL-1")

# (text, expected (type, value) pairs). Values are the exact spans.
POSITIVES: list[tuple[str, list[tuple[str, str]]]] = [
    # Resident ID: glued to CJK, lowercase x, grouped, with its cue.
    ("身份证11010519491231002X", [("resident_id", "11010519491231002X")]),
    ("证件号码11010519491231002x已核实", [("resident_id", "11010519491231002x")]),
    ("ID 440524188001010014", [("resident_id", "440524188001010014")]),
    ("身份证号 110105 19491231 002X", [("resident_id", "110105 19491231 002X")]),
    ("身份证110105491231002", [("resident_id", "110105491231002")]),
    # Mobile: glued, +86, dashes, spaces.
    ("手机13800138000", [("mobile", "13800138000")]),
    ("客户电话+86 138 0013 8000请回拨", [("mobile", "+86 138 0013 8000")]),
    ("call 138-0013-8000 now", [("mobile", "138-0013-8000")]),
    ("联系方式：0086 13800138000", [("mobile", "0086 13800138000")]),
    # Landline.
    ("座机010-12345678转人工", [("landline", "010-12345678")]),
    ("电话(0755)86001234", [("landline", "(0755)86001234")]),
    # Bank card: 16 and 19 digits, grouped, Luhn.
    ("卡号6222021234567890128", [("bank_card", "6222021234567890128")]),
    ("银行卡6222 0212 3456 7894的账户", [("bank_card", "6222 0212 3456 7894")]),
    ("card 4111111111111111 expired", [("bank_card", "4111111111111111")]),
    # Email: the local part never swallows CJK before it.
    (
        "联系方式为18953315869或junguo@example.org",
        [("mobile", "18953315869"), ("email", "junguo@example.org")],
    ),
    ("邮箱12345678@qq.com。", [("email", "12345678@qq.com")]),
    # IP.
    ("IP为192.168.1.10登录", [("ip", "192.168.1.10")]),
    ("从IP8.8.8.8访问", [("ip", "8.8.8.8")]),
    ("来源2001:db8::8a2e:370:7334异常", [("ip", "2001:db8::8a2e:370:7334")]),
    # USCC, passport, plate, birth date.
    ("统一社会信用代码91350100M000100Y43", [("uscc", "91350100M000100Y43")]),
    ("信用代码911100006000373410", []),  # all digits, wrong check: nothing
    ("护照E12345678", [("passport", "E12345678")]),
    ("护照号EA1234567", [("passport", "EA1234567")]),
    ("车牌京A12345违章", [("license_plate", "京A12345")]),
    ("车辆粤B-D12345", [("license_plate", "粤B-D12345")]),
    ("出生日期1990-03-07", [("birth_date", "1990-03-07")]),
    ("生日：1985年12月1日", [("birth_date", "1985年12月1日")]),
    # Names.
    ("客户张伟来电", [("person", "张伟")]),
    ("联系人：欧阳修文，", [("person", "欧阳修文")]),
    ("王芳女士反映", [("person", "王芳")]),
    ("customer Zhang Wei called", [("person", "Zhang Wei")]),
    ("Mr John Smith asked", [("person", "John Smith")]),
    # Addresses.
    ("家住北京市朝阳区建国路88号3栋2单元501室，", [("address", "北京市朝阳区建国路88号3栋2单元501室")]),
    ("寄到秀英市城北区陈路12号", [("address", "秀英市城北区陈路12号")]),
    ("地址：内蒙古自治区欢县徐汇韦街b座", [("address", "内蒙古自治区欢县徐汇韦街b座")]),
]

NEGATIVES: list[str] = [
    "订单号202401151234567890已发货",  # 18 digits after 订单号
    "订单号110105194912310021",  # bad checksum anyway
    "快递单号SF1234567890123",  # letters glued
    "运单号773012345678901",  # 15-digit tracking
    "工单号2024011512345678",  # 16 digits
    "交易流水号6222021234567890128",  # Luhn-valid, but a transaction number
    "金额13800138000元",  # amount
    "余额 4111111111111111",
    "时间2024-01-15 13:45:30",
    "时间戳20240115134530",
    "验证码138001",
    "版本1.2.3.4已发布",
    "v1.2.3.4",
    "999.1.1.1",
    "2024-01-15",  # a date without a birth cue
    "12:30:45",  # clock time, not IPv6
    "客户经理来电",  # no name here
    "客户服务中心",
    "Hong Kong office",
    "请到柜台办理",
    "商品编号E12345678",
    "价格 12345.678901234",
    "订单6222021234567890128",
]


@pytest.mark.parametrize(("text", "expected"), POSITIVES, ids=[t for t, _ in POSITIVES])
def test_positive(text: str, expected: list[tuple[str, str]]) -> None:
    found = [(f.type, text[f.start : f.end]) for f in detect(text)]
    assert found == expected


@pytest.mark.parametrize("text", NEGATIVES)
def test_negative(text: str) -> None:
    assert [(f.type, text[f.start : f.end]) for f in detect(text)] == []


def test_id_that_passes_luhn_is_an_id() -> None:
    # 11010519491231002X has an X; find an all-digit valid ID that also passes Luhn.
    from stdnum import luhn

    from piguard.validate import resident_id

    number = next(
        n
        for n in (f"11010519900101{seq:03d}{check}" for seq in range(1000) for check in "0123456789")
        if resident_id.is_valid(n) and luhn.is_valid(n)
    )
    assert [f.type for f in detect(f"号码{number}")] == ["resident_id"]
    # With a card cue the same digits read as a card.
    assert [f.type for f in detect(f"卡号{number}")] == ["bank_card"]


def test_nearest_cue_wins() -> None:
    text = "订单号123，手机13812345678"
    assert [f.type for f in detect(text)] == ["mobile"]


def test_fullwidth_digits() -> None:
    text = "手机１３８００１３８０００"
    assert [(f.type, text[f.start : f.end]) for f in detect(text)] == [("mobile", "１３８００１３８０００")]
