"""Synthetic demo customers (faker zh_CN), generated from whatever the catalog declares.

Values are realistic and valid for their types (checksummed resident IDs, mobile
numbers in allocated ranges, Luhn-valid UnionPay cards), so they exercise the same
validation as real data. Some customers are minors; some have hotel stays.
Nothing here is real personal information.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from faker import Faker
from stdnum import luhn

from piguard.calendar import local_today
from piguard.catalog import Field
from piguard.errors import ConsentRequired, ValidationError
from piguard.gate import Gate as Service
from piguard.gate import RequestContext

CUSTOMER = "customer"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "166",
    "173",
    "176",
    "177",
    "180",
    "181",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)
_AREA_CODES = ("110105", "310104", "440305", "330106", "510107", "420106", "320102", "610113", "120101")
_NOTES = (
    "客户{name}来电咨询会员积分，回拨电话{mobile}。",
    "{name}反映快递延误，已登记，联系邮箱{email}。",
    "客户要求更换绑定银行卡，尾号{card4}，已提醒注意账户安全。",
    "前台登记：{name}，证件号{rid}，已核验。",
    "客户投诉客服态度问题，已道歉并记录，工单号 GD20240{n}。",
)


def resident_id(rng: random.Random, birth: date, female: bool) -> str:
    """A checksummed 18-digit resident ID (GB 11643) for a synthetic person."""
    seq = rng.randrange(0, 999)
    if (seq % 2 == 0) != female:
        seq = (seq + 1) % 1000
    body = f"{rng.choice(_AREA_CODES)}{birth:%Y%m%d}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def bank_card(rng: random.Random) -> str:
    body = "622202" + "".join(str(rng.randrange(10)) for _ in range(rng.choice((9, 12))))
    return body + luhn.calc_check_digit(body)


class DemoPeople:
    """Generates one person's values for the catalog's fields."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        # Ages are reckoned on the Beijing date, as the gate and the consent layer do.
        self.today = local_today()

    def person(self) -> dict[str, Any]:
        rng = self.rng
        minor = rng.random() < 0.06
        age_days = rng.randrange(3 * 365, 13 * 365) if minor else rng.randrange(19 * 365, 80 * 365)
        birth = self.today - timedelta(days=age_days)
        female = rng.random() < 0.5
        name = self.fake.name_female() if female else self.fake.name_male()
        mobile = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        return {
            "name": name,
            "gender": "F" if female else "M",
            "birth_date": birth.isoformat(),
            "resident_id": resident_id(rng, birth, female),
            "mobile": mobile,
            "email": f"{self.fake.user_name()}{rng.randrange(1000)}@{self.fake.free_email_domain()}",
            "address": (
                f"{self.fake.province()}{self.fake.city()}{self.fake.district()}区{self.fake.street_address()}"
            ),
            "bank_card": bank_card(rng),
            "passport": "E" + f"{rng.randrange(10**8):08d}",
            "minor": minor,
            "guardian_name": self.fake.name(),
            "guardian_resident_id": resident_id(
                rng, self.today - timedelta(days=rng.randrange(30 * 365, 50 * 365)), rng.random() < 0.5
            ),
        }

    def value(self, fdef: Field, person: dict[str, Any]) -> str | None:
        """A plausible value for ``fdef``; person-level values are reused so a record is consistent."""
        rng = self.rng
        kind = fdef.type
        opts = fdef.type_options
        if fdef.name.startswith("guardian") and not person["minor"]:
            return None
        if kind == "enum":
            values = list(opts.get("values", []))
            return str(rng.choice(values)) if values else None
        if fdef.name in person:
            return str(person[fdef.name])
        if kind == "money":
            return f"{rng.randrange(100, 5_000_000) / 100:.2f}"
        if kind == "integer":
            low = int(opts.get("min", 1))
            high = int(opts.get("max", max(low, 9)))
            return str(rng.randint(low, min(high, low + 9)))
        if kind == "date":
            return (self.today - timedelta(days=rng.randrange(1, 900))).isoformat()
        if kind == "boolean":
            return rng.choice(["true", "false"])
        if kind == "mobile" or kind == "phone":
            return str(person["mobile"])
        if kind == "landline":
            return f"010-{rng.randrange(6 * 10**7, 8 * 10**7)}"
        if kind == "email":
            return str(person["email"])
        if kind == "address":
            return str(person["address"])
        if kind == "bank_card":
            return bank_card(rng)
        if kind == "resident_id":
            return str(person["resident_id"])
        if kind == "name":
            return str(person["name"])
        if kind == "passport":
            return str(person["passport"])
        if kind == "gender":
            return str(person["gender"])
        if kind == "uscc":
            return None
        if fdef.free_text:
            return rng.choice(_NOTES).format(
                name=person["name"],
                mobile=person["mobile"],
                email=person["email"],
                card4=str(person["bank_card"])[-4:],
                rid=person["resident_id"],
                n=rng.randrange(1000, 9999),
            )
        max_len = int(opts.get("max_length", 40))
        return self.fake.text(max_nb_chars=max(10, min(max_len, 80)))[: max(5, max_len)]


def _best_purpose(service: Service, record_type: str, preferred: str) -> tuple[str, frozenset[str]]:
    catalog = service.catalog
    if preferred in catalog.purposes:
        fields = catalog.fields_for(preferred, record_type)
        if fields:
            return preferred, fields
    # Built-in ancillary purposes collect nothing (they only use what others collected).
    collecting = [p for p, spec in catalog.purposes.items() if not spec.ancillary]
    ranked = sorted(collecting, key=lambda p: (-len(catalog.fields_for(p, record_type)), p))
    best = ranked[0]
    return best, catalog.fields_for(best, record_type)


def load_demo(
    service: Service,
    ctx: RequestContext,
    customers: int,
    *,
    seed: int = 2024,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Create ``customers`` synthetic customers and some owned records through the gate."""
    people = DemoPeople(seed)
    catalog = service.catalog
    counts: dict[str, int] = {}
    rejected = 0
    purposes = {rt: _best_purpose(service, rt, ctx.purpose) for rt in catalog.record_types}
    for _ in range(customers):
        person = people.person()
        purpose, allowed = purposes[CUSTOMER]
        fields = catalog.record_types[CUSTOMER].fields
        values = {n: people.value(f, person) for n, f in fields.items() if n in allowed}
        sub = RequestContext(ctx.actor, purpose, ctx.client)
        try:
            ref = service.create(sub, CUSTOMER, {k: v for k, v in values.items() if v is not None})
        except (ValidationError, ConsentRequired):
            rejected += 1
            continue
        counts[CUSTOMER] = counts.get(CUSTOMER, 0) + 1
        for rt_name, rt in catalog.record_types.items():
            if rt_name == CUSTOMER:
                continue
            chance = 0.35 if rt_name == "hotel_stay" else 0.7
            for _ in range(people.rng.randrange(0, 3)):
                if people.rng.random() > chance:
                    continue
                p, allowed_rt = purposes[rt_name]
                vals = {n: people.value(f, person) for n, f in rt.fields.items() if n in allowed_rt}
                vals = {k: v for k, v in vals.items() if v is not None}
                for earlier, later in rt.date_order:
                    first, then = vals.get(earlier), vals.get(later)
                    # Dates are drawn independently; keep the record's declared order (ISO sorts).
                    if first is not None and then is not None and then < first:
                        vals[earlier], vals[later] = then, first
                if not vals:
                    continue
                try:
                    service.create(
                        RequestContext(ctx.actor, p, ctx.client), rt_name, vals, customer_id=ref.customer_id
                    )
                    counts[rt_name] = counts.get(rt_name, 0) + 1
                except (ValidationError, ConsentRequired):
                    rejected += 1
        if progress is not None:
            progress(1)
    return {"created": counts, "rejected": rejected, "seed": seed}
