"""The ``address`` operator: keep the administrative divisions, hide the rest."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking._text import MASK
from piguard.masking.operator import Operator

# A division's name is Han characters, but never one of the street-level words (路, 号, 楼 …):
# without this "建设路市政府" would keep "建设路市" as if it were a city.
_HAN = r"(?:(?![路街道巷弄号楼栋室院村组])[\u3400-\u4dbf\u4e00-\u9fff])"
_MUNICIPALITY = r"(?:北京|上海|天津|重庆)市"
_PROVINCE = rf"{_HAN}{{2,7}}?(?:省|自治区|特别行政区)"
# 市场 (market) and 旗舰 (flagship store) are not divisions.
_CITY = rf"{_HAN}{{1,10}}?(?:市(?!场)|自治州|州|盟|地区)"
# 小区, 社区, 园区, 校区 … end in 区 but are neighbourhoods or campuses, not districts.
_DISTRICT = rf"{_HAN}{{1,12}}?(?:(?<![小社园校景厂营街院站])区|县|旗(?!舰)|市(?!场))"

#: Municipalities have no prefecture level: 市 + 区/县.
#: Elsewhere 省 + 市/州/盟/地区 + 区/县/旗/市, each optional.
_DIVISIONS = re.compile(
    rf"\s*(?:{_MUNICIPALITY}\s*(?:{_DISTRICT})?"
    rf"|(?:{_PROVINCE}\s*)?(?:{_CITY}\s*)?(?:{_DISTRICT})?)"
)

_SUFFIX = MASK * 4
#: What is kept of an address with no recognised division.
_FALLBACK_KEEP = 2


class Address(Operator):
    """Keep province, city and district, replace the rest by ``****``.

    ``北京市朝阳区建国路88号`` → ``北京市朝阳区****``. Municipalities
    (北京/上海/天津/重庆) keep 市 + 区. When no division is recognised the first
    2 characters are kept (at most half of the value): ``Mo****``. The suffix is
    always four stars, so the length of the street part does not show.
    Recognition is by suffix, not by a gazetteer: a street-level name ending in
    区/县/市 right after the city can be kept as if it were a district.
    """

    name: ClassVar[str] = "address"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        match = _DIVISIONS.match(value)
        kept = match.group(0).rstrip() if match else ""
        if not kept.strip():
            # Stop at a mask character: an already masked value stays as it is.
            kept = value[: min(_FALLBACK_KEEP, len(value) // 2)].split(MASK, 1)[0]
        return kept + _SUFFIX
