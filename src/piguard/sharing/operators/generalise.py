"""``generalise``: birth date to an age band, address to its city, amounts to ranges.

``to`` chooses the form: ``age_band`` (``width`` years, default 10; run-time ``today``),
``city`` (the address up to its city: ``北京市朝阳区…`` → ``北京市``; ``广东省深圳市…`` →
``广东省深圳市``), ``range`` (``width``, default 1000: ``1234.50`` → ``1000-1999``),
``year`` (a date to its year).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from piguard.errors import ValidationError
from piguard.sharing.operators.operator import Desensitiser

FORMS: Final = ("age_band", "city", "range", "year")
#: A province-level unit (省, 自治区, or a municipality 市 directly) then an optional city.
_CITY = re.compile(r"^(?:(.+?(?:省|自治区|特别行政区))?(.+?(?:自治州|地区|盟|市)))")
_MUNICIPALITIES: Final = ("北京市", "上海市", "天津市", "重庆市")


def age_band(born: date, today: date, width: int) -> str:
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    low = max(age, 0) // width * width
    return f"{low}-{low + width - 1}"


def city_of(address: str) -> str:
    text = address.strip()
    for city in _MUNICIPALITIES:
        if text.startswith(city):
            return city
    match = _CITY.match(text)
    if match is None:
        return "*"
    return (match.group(1) or "") + match.group(2)


def amount_range(raw: str, width: int) -> str:
    digits = re.sub(r"[^0-9.\-]", "", raw)
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        return "*"
    low = int(amount // width) * width
    return f"{low}-{low + width - 1}"


class Generalise(Desensitiser):
    name = "generalise"
    params = frozenset({"to", "width", "today"})
    runtime_params = frozenset({"today"})

    def check_values(self, params: Mapping[str, Any]) -> None:
        if params.get("to") not in FORMS:
            raise ValidationError(f"rule 'generalise': 'to' must be one of {', '.join(FORMS)}", "fields")
        width = params.get("width")
        if width is not None and (not isinstance(width, int) or isinstance(width, bool) or width < 1):
            raise ValidationError("rule 'generalise': 'width' must be a positive integer", "fields")

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        form = params["to"]
        if form == "city":
            return city_of(value)
        if form == "range":
            return amount_range(value, int(params.get("width") or 1000))
        try:
            born = date.fromisoformat(value[:10])
        except ValueError:
            return "*"
        if form == "year":
            return str(born.year)
        return age_band(born, params["today"], int(params.get("width") or 10))
