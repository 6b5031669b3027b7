"""Field selectors: the strings purposes and role access rules use to name fields.

=====================  ==============================  ======================  ===========
form                   selects                         used by                 specificity
=====================  ==============================  ======================  ===========
``customer.mobile``    one field                       purposes, roles         4
``order.*``            every field of a record type    purposes, roles         3
``category:contact``   every field of a category       purposes, roles         2
``class:C3``           every field of a class          roles                   1
``sensitive``          every sensitive field           roles                   1
``*``                  every field                     roles                   0
=====================  ==============================  ======================  ===========

Purposes may not use the broad forms: a purpose that takes "everything" is the
opposite of minimisation (R-COL-3).

>>> parse_selector("category:contact").matches("order", "shipping_address", "contact", "C2", False)
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from piguard.catalog.vocabulary import CATEGORY_NAMES, CLASS_NAMES

SelectorKind = Literal["field", "record", "category", "class", "sensitive", "any"]

#: Selector kinds a purpose may use.
PURPOSE_KINDS: Final[frozenset[SelectorKind]] = frozenset({"field", "record", "category"})
#: Selector kinds a role access rule may use.
ROLE_KINDS: Final[frozenset[SelectorKind]] = frozenset(
    {"field", "record", "category", "class", "sensitive", "any"}
)

_SPECIFICITY: Final[dict[SelectorKind, int]] = {
    "field": 4,
    "record": 3,
    "category": 2,
    "class": 1,
    "sensitive": 1,
    "any": 0,
}

_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Selector:
    """A parsed selector.

    :param kind: which form it is.
    :param record_type: the record type, for ``field`` and ``record``.
    :param name: the field, category or class name.
    """

    kind: SelectorKind
    record_type: str | None = None
    name: str | None = None

    @property
    def specificity(self) -> int:
        """How specific the selector is; a higher number wins in role access rules."""
        return _SPECIFICITY[self.kind]

    def matches(self, record_type: str, field: str, category: str, cls: str, sensitive: bool) -> bool:
        """Say whether the selector picks a field described by the arguments."""
        if self.kind == "field":
            return record_type == self.record_type and field == self.name
        if self.kind == "record":
            return record_type == self.record_type
        if self.kind == "category":
            return category == self.name
        if self.kind == "class":
            return cls == self.name
        if self.kind == "sensitive":
            return sensitive
        return True


@lru_cache(maxsize=4096)
def parse_selector(text: str) -> Selector:
    """Parse a selector string.

    :param text: e.g. ``"customer.mobile"``, ``"order.*"``, ``"category:contact"``.
    :returns: the parsed selector; whether its record type or field exists is
        checked by the loader, which knows the catalog.
    :raises ValueError: the string has none of the forms above.
    """
    if text == "*":
        return Selector("any")
    if text == "sensitive":
        return Selector("sensitive")
    if text.startswith("category:"):
        category = text.removeprefix("category:")
        if category not in CATEGORY_NAMES:
            raise ValueError(f"unknown category {category!r} in selector {text!r}")
        return Selector("category", name=category)
    if text.startswith("class:"):
        cls = text.removeprefix("class:")
        if cls not in CLASS_NAMES:
            raise ValueError(f"unknown class {cls!r} in selector {text!r}; use C1, C2 or C3")
        return Selector("class", name=cls)
    record_type, dot, field = text.partition(".")
    if dot and _NAME.fullmatch(record_type):
        if field == "*":
            return Selector("record", record_type=record_type)
        if _NAME.fullmatch(field):
            return Selector("field", record_type=record_type, name=field)
    raise ValueError(
        f"bad selector {text!r}; expected 'record_type.field', 'record_type.*', "
        "'category:NAME', 'class:C1|C2|C3', 'sensitive' or '*'"
    )


def check_kind(text: str, allowed: frozenset[SelectorKind], owner: str) -> Selector:
    """Parse ``text`` and refuse kinds ``owner`` may not use.

    :raises ValueError: the selector is malformed or of a kind not in ``allowed``.
    """
    selector = parse_selector(text)
    if selector.kind not in allowed:
        raise ValueError(f"selector {text!r} is too broad for {owner}; name fields, record types, categories")
    return selector
