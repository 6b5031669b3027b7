"""A deterministic evaluation corpus: customer-service notes with ground-truth spans.

Values come from a seeded ``faker`` (``zh_CN``) plus small generators for what
faker lacks (UnionPay cards, USCCs, passports, landlines). They are glued to
Chinese text the way agents type (``客户张伟来电，手机13812345678``), in a mix
of formats (``+86``, dashes, spaces, grouped cards, lowercase ``x``). Near
misses with no span are mixed in: order, tracking, work-order and transaction
numbers, amounts, timestamps and verification codes.

The same seed always gives the same corpus, so tests can assert figures and
the benchmark measures the same text in every run.

>>> docs = generate(3, seed=1)
>>> all(docs[0].text[s.start:s.end] for s in docs[0].spans)
True
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from faker import Faker
from stdnum import luhn
from stdnum.cn import uscc as stdnum_uscc

from piguard.validate import landline, mobile

__all__ = ["CHINESE_TEMPLATES", "ENGLISH_TEMPLATES", "Document", "Span", "generate"]


@dataclass(frozen=True, slots=True)
class Span:
    """A ground-truth PI span: ``text[start:end]`` is a value of ``type``."""

    start: int
    end: int
    type: str


@dataclass(frozen=True, slots=True)
class Document:
    """One note and its ground-truth spans."""

    text: str
    spans: tuple[Span, ...]


#: Slot name -> PI type; slots not listed here are negatives (no span).
SLOT_TYPES = {
    "name": "person",
    "pname": "person",
    "mobile": "mobile",
    "landline": "landline",
    "id": "resident_id",
    "card": "bank_card",
    "email": "email",
    "ip": "ip",
    "address": "address",
    "plate": "license_plate",
    "passport": "passport",
    "uscc": "uscc",
    "dob": "birth_date",
}

CHINESE_TEMPLATES = (
    "客户{name}来电，手机{mobile}，身份证{id}，要求修改绑定银行卡。",
    "{name}女士反映卡号{card}的账户被冻结，订单号{order}。",
    "联系人：{name}，电话{mobile}，邮箱{email}。",
    "用户{name}的收货地址是{address}，快递单号{tracking}，请核实。",
    "客户{name}于{ts}从IP{ip}登录，验证码{code}。",
    "工单号{ticket}：{name}先生要求退款{amount}，退款到银行卡{card}。",
    "持卡人{name}，身份证号码{id}，联系方式{mobile}。",
    "投诉人{name}称家住{address}，来电号码{mobile}。",
    "已将材料寄到{address}，收件人{name}，手机{mobile}。",
    "客户{name}的备用联系方式为{mobile}或{email}。",
    "{name}先生的座机{landline}，邮箱{email}。",
    "申请人{name}，出生日期{dob}，护照号{passport}。",
    "车主{name}的车牌{plate}在停车场被拍，联系电话{mobile}。",
    "企业统一社会信用代码{uscc}，法定代表人{name}。",
    "交易流水号{serial}，金额{amount}，客户{name}确认无误。",
    "客户{name}反映{ts}收到扣款短信，扣款卡{card}，身份证{id}。",
    "{name}来电咨询，登录IP为{ip}，邮箱{email}。",
    "请{name}于三日内携带身份证{id}到{address}办理。",
    "订单{order}已发货，运单号{tracking}，收货人{name}，电话{mobile}，地址{address}。",
    "会员{name}积分{amount}，信用卡{card}到期，请提醒其更新。",
    "来电人{name}，{mobile}，反映{ts}的订单{order}未到货。",
    "客户{name}身份证{id}，银行卡{card}，已核实。",
    # Refunds, accounts and payouts (issue 19): cards introduced by account words.
    "{name}申请退款{amount}，退回账户{card}，订单号{luhn_order}。",
    "代付到账失败，收款卡{card}，持卡人{name}，请{name}重新绑定。",
    "商户结算账号{card}，对接人{name}，手机{mobile}。",
    # Chat logs and call transcripts.
    "\n{ts} {name}：我手机换成{mobile}了\n{ts} 客服：好的，已为您更新。\n",
    "客服：请问怎么称呼？\n客户：我叫{name}，电话{mobile}，卡是{card}。",
    "通话摘要：客户{name}来电，回拨号码{mobile}，核对证件号{id}无误，工单{ticket}。",
    # Contact persons.
    "联系人：{name}/{mobile}/{email}。",
    "紧急联络：{name}，{landline}，{mobile}。",
    # Near misses only: Luhn-valid order numbers, verification codes, amounts.
    "订单{luhn_order}已退款{amount}，验证码{code}，物流单号{tracking}。",
)

ENGLISH_TEMPLATES = (
    "Customer {pname} called from {mobile}, email {email}.",
    "Card {card} reported lost by customer {pname}; order {order}.",
    "Login from {ip} by user {pname}, ticket #{ticket}.",
    "Mr {pname} asked to update ID {id} and phone {mobile}.",
    "Refund of {amount} for {pname} (contact {email}) approved at {ts}.",
    "Payout to account {card} failed; caller {pname} left {mobile}.",
    "Chat: {pname}: my new number is {mobile}, order {luhn_order}.",
)

_SLOT = re.compile(r"\{(\w+)\}")
_FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
_COMPOUND = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "司徒")
_AREA_CODES = ("010", "021", "020", "022", "023", "0755", "0571", "028", "027", "025", "024", "029", "0512")
_PROVINCES = (
    "北京市",
    "上海市",
    "广东省",
    "浙江省",
    "江苏省",
    "四川省",
    "湖北省",
    "山东省",
    "河南省",
    "福建省",
)


class _Values:
    """Value generators sharing one seeded Faker and one seeded Random."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def name(self) -> str:
        if self.rng.random() < 0.05:
            return self.rng.choice(_COMPOUND) + self.fake.first_name()
        return str(self.fake.name())

    def pname(self) -> str:
        return str(self.fake.romanized_name())

    def mobile(self) -> str:
        number = str(self.fake.phone_number())
        while not mobile.is_valid(number):
            number = str(self.fake.phone_number())
        a, b, c = number[:3], number[3:7], number[7:]
        style = self.rng.random()
        if style < 0.08:
            return f"+86 {number}"
        if style < 0.16:
            return f"{a}-{b}-{c}"
        if style < 0.24:
            return f"{a} {b} {c}"
        if style < 0.28:
            return f"0086-{number}"
        if style < 0.32:
            return f"+86 {a}-{b}-{c}"
        if style < 0.35:
            return f"(+86){a} {b} {c}"
        if style < 0.38:
            return f"{a}.{b}.{c}"
        if style < 0.41:
            return f"86-{a}-{b}-{c}"
        if style < 0.44:
            return number.translate(_FULL_WIDTH)
        return number

    def landline(self) -> str:
        while True:
            area = self.rng.choice(_AREA_CODES)
            number = f"{area}-{self.rng.randint(2, 8)}{self.digits(7)}"
            if landline.is_valid(number):
                return number

    def id(self) -> str:
        value = str(self.fake.ssn())
        if value.endswith("X") and self.rng.random() < 0.5:
            value = value[:-1] + "x"
        style = self.rng.random()
        if style < 0.1:
            return f"{value[:6]} {value[6:14]} {value[14:]}"
        if style < 0.15:
            return " ".join(value[i : i + 4] for i in range(0, 18, 4))
        if style < 0.2:
            return value.translate(_FULL_WIDTH)
        return value

    def card(self) -> str:
        kind = self.rng.random()
        grouping: tuple[int, ...] | None = None
        if kind < 0.45:
            length = 19 if self.rng.random() < 0.4 else 16
            body = "62" + self.digits(length - 3)
        elif kind < 0.75:
            body = self.rng.choice(("4", "51", "52", "53", "54", "55", "2221", "2720", "3530", "6011"))
            body += self.digits(15 - len(body))
        elif kind < 0.88:  # American Express: 15 digits, written 4-6-5.
            body = self.rng.choice(("34", "37")) + self.digits(12)
            grouping = (4, 6, 5)
        else:  # Diners Club: 14 digits, written 4-6-4.
            prefix = self.rng.choice(("36", "301", "38"))
            body = prefix + self.digits(13 - len(prefix))
            grouping = (4, 6, 4)
        number = body + luhn.calc_check_digit(body)
        style = self.rng.random()
        if style < 0.4:
            sep = " " if style < 0.25 else "-"
            if grouping is None:
                return sep.join(number[i : i + 4] for i in range(0, len(number), 4))
            parts, at = [], 0
            for size in grouping:
                parts.append(number[at : at + size])
                at += size
            return sep.join(parts)
        return number

    def email(self) -> str:
        if self.rng.random() < 0.2:
            return f"{self.rng.randint(10000, 999999999)}@qq.com"
        return str(self.fake.email())

    def ip(self) -> str:
        return str(self.fake.ipv6()) if self.rng.random() < 0.1 else str(self.fake.ipv4())

    def address(self) -> str:
        if self.rng.random() < 0.4:
            return str(self.fake.address()).split(" ")[0]
        parts = [
            self.rng.choice(_PROVINCES),
            f"{self.fake.city_name()}市",
            f"{self.fake.district()}区",
            f"{self.fake.street_name()}{self.rng.randint(1, 999)}号",
        ]
        if parts[0].endswith("市"):
            del parts[1]
        if self.rng.random() < 0.2:
            del parts[0]  # Agents often omit the province.
        if self.rng.random() < 0.5:
            parts.append(
                f"{self.rng.randint(1, 30)}栋{self.rng.randint(1, 6)}单元{self.rng.randint(101, 2805)}室"
            )
        return "".join(parts)

    def plate(self) -> str:
        return str(self.fake.license_plate())

    def passport(self) -> str:
        if self.rng.random() < 0.5:
            return "E" + self.digits(8)
        return "E" + self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + self.digits(7)

    def uscc(self) -> str:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        body = (
            "91"
            + self.rng.choice(("110000", "310000", "440300", "330100"))
            + "".join(self.rng.choice(alphabet) for _ in range(9))
        )
        return body + str(stdnum_uscc.calc_check_digit(body))

    def dob(self) -> str:
        born = self.fake.date_of_birth(minimum_age=18, maximum_age=80)
        return born.strftime(self.rng.choice(("%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d")))

    # Near misses: numbers shaped like PI that are not.
    def order(self) -> str:
        return "2024" + self.digits(self.rng.choice((14, 15, 16)))

    def luhn_order(self) -> str:
        # Card-shaped and Luhn-valid: only the order cue tells it from a card.
        body = self.rng.choice(("62", "4", "55")) + self.digits(13)
        return body + luhn.calc_check_digit(body)

    def tracking(self) -> str:
        return self.rng.choice(("SF", "YT", "JD", "")) + self.digits(self.rng.choice((12, 13, 15)))

    def ticket(self) -> str:
        return self.rng.choice(("GD", "")) + "2024" + self.digits(self.rng.choice((8, 12)))

    def serial(self) -> str:
        return self.digits(self.rng.choice((16, 18, 19)))

    def amount(self) -> str:
        return f"{self.rng.randint(1, 99999999)}.{self.digits(2)}元"

    def ts(self) -> str:
        # Fixed bounds: "-2y" is relative to the clock, and two calls a second
        # apart made the "same seed, same corpus" promise flaky.
        when = self.fake.date_time_between(start_date=datetime(2024, 1, 1), end_date=datetime(2026, 1, 1))
        return when.strftime(self.rng.choice(("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y年%m月%d日")))

    def code(self) -> str:
        return self.digits(6)


def _render(template: str, values: _Values) -> Document:
    parts: list[str] = []
    spans: list[Span] = []
    cursor = 0
    length = 0
    for m in _SLOT.finditer(template):
        literal = template[cursor : m.start()]
        parts.append(literal)
        length += len(literal)
        slot = m.group(1)
        generator: Callable[[], str] = getattr(values, slot)
        value = generator()
        if slot in SLOT_TYPES:
            spans.append(Span(length, length + len(value), SLOT_TYPES[slot]))
        parts.append(value)
        length += len(value)
        cursor = m.end()
    parts.append(template[cursor:])
    return Document("".join(parts), tuple(spans))


def generate(count: int, *, seed: int = 42, english_share: float = 0.1) -> list[Document]:
    """Return ``count`` notes of one to three sentences each, the same for the same seed.

    :param count: number of documents.
    :param seed: the random seed (Faker and templates).
    :param english_share: the share of sentences drawn from English templates.
    """
    values = _Values(seed)
    rng = values.rng
    docs: list[Document] = []
    for _ in range(count):
        text = ""
        spans: list[Span] = []
        for _ in range(rng.randint(1, 3)):
            pool = ENGLISH_TEMPLATES if rng.random() < english_share else CHINESE_TEMPLATES
            sentence = _render(rng.choice(pool), values)
            if text and pool is ENGLISH_TEMPLATES:
                text += " "
            spans.extend(Span(s.start + len(text), s.end + len(text), s.type) for s in sentence.spans)
            text += sentence.text
        docs.append(Document(text, tuple(spans)))
    return docs


_WEB, _WEB_WARN = "INFO  [http-nio-8080-exec-{thread}] c.e.", "WARN  [http-nio-8080-exec-{thread}] c.e."
_WEB_ERROR, _WEB_DEBUG = (
    "ERROR [http-nio-8080-exec-{thread}] c.e.",
    "DEBUG [http-nio-8080-exec-{thread}] c.e.",
)
# Application log lines without PI: the bulk of what discovery reads. They are
# full of numbers that are not PI (timestamps, durations, order and trace ids).
_LOG_TEMPLATES = (
    _WEB + "order.OrderService - order {order_no} created in {ms} ms",
    "DEBUG [pool-3-thread-{thread}] c.e.cache.RedisCache - GET key=session:{hex} hit=true {ms}ms",
    _WEB_WARN + "gateway.RateLimiter - throttled route=/api/v2/orders/list qps={ms}",
    "INFO  [scheduler-{thread}] c.e.stock.SyncJob - 库存同步完成，共处理 {ms} 条记录，耗时 {ms} 毫秒",
    _WEB_ERROR + "pay.Callback - 支付回调验签失败 trade_no={trade_no} retry={thread}",
    "INFO  [kafka-consumer-{thread}] c.e.mq.Listener - offset={ms}{ms} partition={thread} lag={ms}",
    "DEBUG [main] o.h.SQL - select o.id, o.status from orders o where o.id=? [{order_no}] took {ms}ms",
    _WEB + "ticket.Service - 工单GD{ms}状态更新为已处理 version=1.{thread}.{ms}",
    _WEB + "web.AccessLog - GET /api/v2/items/{ms} 200 {ms}ms trace={hex}",
)
# Log lines that carry PI, as careless code writes them.
_LOG_PI_TEMPLATES = (
    _WEB + "user.LoginService - 用户登录成功 mobile={mobile} ip={ip}",
    _WEB_WARN + "kyc.Verifier - 实名校验失败 name={name} idNo={id}",
    _WEB_DEBUG + "pay.CardBinder - bind card={card} for user {email}",
    _WEB + "crm.NoteWriter - note: 客户{name}来电，手机{mobile}，地址{address}。",
)


class _LogValues(_Values):
    def thread(self) -> str:
        return str(self.rng.randint(1, 200))

    def ms(self) -> str:
        return str(self.rng.randint(1, 5000))

    def hex(self) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(24))

    def order_no(self) -> str:  # yyyyMMddHHmmss + 6 digits, as many shops number orders
        return "20261120" + self.digits(12)

    def trade_no(self) -> str:  # payment-provider trade numbers are 28 digits
        return "2026" + self.digits(24)


def generate_log(lines: int, *, seed: int = 42, pi_share: float = 0.02) -> str:
    """Return an application log of ``lines`` lines, ``pi_share`` of which leak PI.

    Each line starts with a timestamp; the rest mixes English and Chinese
    messages full of non-PI numbers (20-digit order numbers, 28-digit trade
    numbers, durations, hex trace ids), the text discovery mostly reads. The
    same seed gives the same log.
    """
    values = _LogValues(seed)
    rng = values.rng
    out: list[str] = []
    second = 1_700_000_000
    for _ in range(lines):
        second += rng.randint(0, 2)
        stamp = (
            f"2026-11-{(second // 86400) % 28 + 1:02d} {(second // 3600) % 24:02d}:{(second // 60) % 60:02d}:"
        )
        stamp += f"{second % 60:02d},{rng.randint(0, 999):03d}"
        pool = _LOG_PI_TEMPLATES if rng.random() < pi_share else _LOG_TEMPLATES
        out.append(f"{stamp} {_render(rng.choice(pool), values).text}")
    return "\n".join(out) + "\n"
