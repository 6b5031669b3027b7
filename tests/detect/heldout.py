"""A held-out evaluation corpus: formats and templates the detector's own corpus never uses.

``piguard.detect.corpus`` is what the detector was tuned on; measuring only
there flatters it. This generator is written apart, with its own templates
(WeChat-style chat logs, call transcripts, refund and payout notes, contact
sheets, mixed Chinese/English) and its own value formats (``0086``/``+86-``/
``(+86)``/``86`` prefixes, dotted and space-grouped mobiles, full-width digits
and punctuation, Visa/Mastercard/Amex/JCB/Diners/Discover/UnionPay cards of
13–19 digits grouped by spaces or dashes, IDs grouped in fours, landline
extensions). Near misses are mixed in: Luhn-valid order numbers, tracking
numbers, amounts, timestamps, verification codes.

Nothing in ``src/`` imports this module, so the detector cannot be fitted to it
by accident; the test that uses it is ``test_heldout.py``.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable

from faker import Faker
from stdnum import luhn

from piguard.detect.corpus import Document, Span
from piguard.validate import landline, mobile

__all__ = ["TEMPLATES", "generate"]

_TYPES = {
    "name": "person",
    "ename": "person",
    "mobile": "mobile",
    "tel": "landline",
    "id": "resident_id",
    "card": "bank_card",
    "mail": "email",
    "ip4": "ip",
    "ip6": "ip",
    "addr": "address",
    "pp": "passport",
}

TEMPLATES = (
    # WeChat-style chat logs.
    "[{clock}] {name}：你好，我的手机号是{mobile}，麻烦帮我查一下订单{luhn_order}",
    "{name} {clock}\n我的卡号 {card} 昨天被扣了{amount}",
    "[{clock}] 客服小李：请提供您的身份证号\n[{clock}] {name}：{id}",
    "{name}说她换号了，新号{mobile}，旧号停用了。",
    # Call transcripts.
    "坐席：请问您的退款账户是？\n来电者：{card}，户名{name}。",
    "坐席：请留一个联系电话。客户：{mobile}，打不通就打座机{tel}。",
    "通话记录：来电号码{mobile}，通话时长{secs}秒，客户{name}要求注销。",
    "录音转写：呃我的那个身份证是{id}对，然后邮箱是{mail}",
    # Refunds, accounts, payouts.
    "退款将原路退回至尾号{last4}的卡，如未到账请核对收款账号{card}。",
    "打款失败：收款账户{card}，收款人{name}，金额{amount}，流水{txn}。",
    "提现申请：到账银行卡 {card}，申请人{name}，验证码{code}。",
    "refund to card {card} for {ename}, amount {amount}, order #{luhn_order}",
    "Payout account {card} (holder {ename}), call back on {mobile}.",
    # Contact sheets and forms.
    "紧急联系人：{name}　电话：{mobile}　地址：{addr}",
    "联系人{name}（{mobile}），公司座机{tel}，邮件{mail}。",
    "客户资料｜姓名：{name}｜证件：{id}｜手机：{mobile}",
    "寄送地址：{addr}，收件：{name}，电话{mobile}，运单{tracking}。",
    "申请人护照号码{pp}，邮箱{mail}，联系方式{mobile}。",
    # Logs and technical notes.
    "安全告警：账号登录IP{ip4}异常，绑定手机{mobile}，时间{stamp}。",
    "用户自{ip6}登录后修改了邮箱为{mail}。",
    "Contact: {ename}, mobile {mobile}, e-mail {mail}, from IP {ip4}.",
    # Near misses only (no PI at all).
    "订单{luhn_order}于{stamp}支付{amount}，物流单号{tracking}。",
    "您的验证码为{code}，5分钟内有效。交易号{txn}。",
    "快递单号{tracking}已签收，时间戳{epoch}。",
)

_SLOT = re.compile(r"\{(\w+)\}")
_AREA = ("010", "021", "020", "0755", "0571", "028", "027", "025", "0512", "0731", "0532")
_FULL = str.maketrans("0123456789+-()", "０１２３４５６７８９＋－（）")


class _Values:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    # --- PI ---------------------------------------------------------------------
    def name(self) -> str:
        return str(self.fake.name())

    def ename(self) -> str:
        return str(self.fake.romanized_name())

    def _mobile_number(self) -> str:
        while True:
            number = self.rng.choice(("13", "15", "17", "18", "19")) + self.digits(9)
            if mobile.is_valid(number):
                return number

    def mobile(self) -> str:
        n = self._mobile_number()
        a, b, c = n[:3], n[3:7], n[7:]
        styles: list[Callable[[], str]] = [
            lambda: n,
            lambda: f"0086{n}",
            lambda: f"0086 {n}",
            lambda: f"0086-{a}-{b}-{c}",
            lambda: f"+86-{a}-{b}-{c}",
            lambda: f"+86-{n}",
            lambda: f"+86{n}",
            lambda: f"86 {n}",
            lambda: f"86-{n}",
            lambda: f"(+86){n}",
            lambda: f"(+86) {a} {b} {c}",
            lambda: f"(86){n}",
            lambda: f"{a} {b} {c}",
            lambda: f"{a}.{b}.{c}",
            lambda: f"{a}-{b}-{c}",
            lambda: f"+86 {a} {b} {c}",
            lambda: n.translate(_FULL),
            lambda: f"＋８６ {n}".translate(_FULL),
            lambda: f"{a}－{b}－{c}".translate(_FULL),
            lambda: f"（+86）{n}".translate(_FULL),
        ]
        return self.rng.choice(styles)()

    def tel(self) -> str:
        while True:
            area = self.rng.choice(_AREA)
            size = 8 if len(area) == 3 or area in ("0755", "0571", "028", "027", "025", "0512") else 7
            number = str(self.rng.randint(2, 8)) + self.digits(size - 1)
            if landline.is_valid(f"{area}-{number}"):
                break
        style = self.rng.random()
        if style < 0.25:
            return f"{area}-{number}-{self.rng.randint(100, 8999)}"
        if style < 0.45:
            return f"({area}){number}"
        if style < 0.6:
            return f"{area} {number}"
        if style < 0.7:
            return f"+86-{area[1:]}-{number}"
        if style < 0.8:
            return f"{area}-{number}".translate(_FULL)
        return f"{area}-{number}"

    def id(self) -> str:
        value = str(self.fake.ssn())
        style = self.rng.random()
        if value.endswith("X") and style < 0.5:
            value = value[:-1] + "x"
        if style < 0.15:
            return f"{value[:6]} {value[6:14]} {value[14:]}"
        if style < 0.3:
            return " ".join(value[i : i + 4] for i in range(0, 18, 4))
        if style < 0.4:
            return value.translate(_FULL).replace("X", "Ｘ")
        if style < 0.5:
            return f"{value[:6]}-{value[6:14]}-{value[14:]}"
        return value

    def _card_number(self) -> tuple[str, tuple[int, ...]]:
        schemes: list[tuple[str, int, tuple[int, ...]]] = [
            ("4", 16, (4, 4, 4, 4)),  # Visa
            ("4", 13, (4, 4, 5)),  # Visa, old 13-digit cards
            (self.rng.choice(("51", "52", "53", "54", "55")), 16, (4, 4, 4, 4)),  # Mastercard
            (str(self.rng.randint(2221, 2720)), 16, (4, 4, 4, 4)),  # Mastercard 2-series
            (self.rng.choice(("34", "37")), 15, (4, 6, 5)),  # Amex
            (str(self.rng.randint(3528, 3589)), 16, (4, 4, 4, 4)),  # JCB
            (self.rng.choice(("36", "300", "305", "38")), 14, (4, 6, 4)),  # Diners
            (self.rng.choice(("6011", "65")), 16, (4, 4, 4, 4)),  # Discover
            ("62", 16, (4, 4, 4, 4)),  # UnionPay
            ("62", 19, (4, 4, 4, 4, 3)),  # UnionPay debit
            ("62", 17, (4, 4, 4, 4, 1)),
            ("62", 18, (4, 4, 4, 4, 2)),
        ]
        prefix, length, groups = self.rng.choice(schemes)
        body = prefix + self.digits(length - len(prefix) - 1)
        return body + luhn.calc_check_digit(body), groups

    def card(self) -> str:
        number, groups = self._card_number()
        style = self.rng.random()
        if style < 0.4:
            return number
        sep = " " if style < 0.75 else "-"
        if groups != (4, 6, 5) and groups != (4, 6, 4) and self.rng.random() < 0.5:
            groups = tuple([4] * (len(number) // 4) + ([len(number) % 4] if len(number) % 4 else []))
        parts, at = [], 0
        for g in groups:
            parts.append(number[at : at + g])
            at += g
        return sep.join(parts)

    def mail(self) -> str:
        r = self.rng.random()
        if r < 0.3:
            return f"{self.digits(self.rng.randint(6, 10)).lstrip('0') or '1'}@qq.com"
        if r < 0.5:
            return f"{self.fake.user_name()}.{self.digits(2)}@163.com"
        return str(self.fake.free_email())

    def ip4(self) -> str:
        return str(self.fake.ipv4_public() if self.rng.random() < 0.7 else self.fake.ipv4_private())

    def ip6(self) -> str:
        return str(self.fake.ipv6())

    def addr(self) -> str:
        return str(self.fake.address()).split(" ")[0]

    def pp(self) -> str:
        return self.rng.choice("EG") + self.digits(8)

    # --- near misses (no span) -----------------------------------------------------
    def luhn_order(self) -> str:
        # Luhn-valid, card-like prefixes: only the cue says "not a card".
        body = self.rng.choice(("62", "4", "52")) + self.digits(13)
        return body + luhn.calc_check_digit(body)

    def last4(self) -> str:
        return self.digits(4)

    def txn(self) -> str:
        return "4200" + self.digits(self.rng.choice((24, 16)))

    def tracking(self) -> str:
        return self.rng.choice(("SF", "JDVA", "YT", "7531", "4303")) + self.digits(self.rng.choice((10, 11)))

    def amount(self) -> str:
        return self.rng.choice(("¥", "￥", "")) + f"{self.rng.randint(1, 99999)}.{self.digits(2)}元"

    def clock(self) -> str:
        month, day = self.rng.randint(1, 12), self.rng.randint(1, 28)
        return f"2025-{month:02d}-{day:02d} {self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}"

    def stamp(self) -> str:
        return f"2025{self.rng.randint(1, 12):02d}{self.rng.randint(1, 28):02d}{self.digits(6)}"

    def epoch(self) -> str:
        return str(self.rng.randint(1_700_000_000_000, 1_800_000_000_000))

    def secs(self) -> str:
        return str(self.rng.randint(5, 3600))

    def code(self) -> str:
        return self.digits(6)


def _render(template: str, values: _Values) -> Document:
    parts: list[str] = []
    spans: list[Span] = []
    cursor = length = 0
    for m in _SLOT.finditer(template):
        literal = template[cursor : m.start()]
        parts.append(literal)
        length += len(literal)
        value = getattr(values, m.group(1))()
        if m.group(1) in _TYPES:
            spans.append(Span(length, length + len(value), _TYPES[m.group(1)]))
        parts.append(value)
        length += len(value)
        cursor = m.end()
    parts.append(template[cursor:])
    return Document("".join(parts), tuple(spans))


def generate(count: int, *, seed: int = 19) -> list[Document]:
    """Return ``count`` held-out notes, the same for the same seed."""
    values = _Values(seed)
    return [_render(values.rng.choice(TEMPLATES), values) for _ in range(count)]
