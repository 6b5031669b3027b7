"""Desensitisation operators (one per file) and their registry: how each field of an agreement
leaves piguard. :func:`check_rule` validates a rule as an agreement declares it; :func:`apply`
validates the full parameters, then operates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from piguard.errors import ValidationError
from piguard.sharing.operators.generalise import Generalise
from piguard.sharing.operators.mask import Mask
from piguard.sharing.operators.operator import Desensitiser
from piguard.sharing.operators.pseudonymise import Pseudonymise
from piguard.sharing.operators.suppress import Suppress

__all__ = ["RULES", "Desensitiser", "apply", "check_rule", "get"]

_OPERATORS: dict[str, Desensitiser] = {
    op.name: op for op in (Mask(), Pseudonymise(), Generalise(), Suppress())
}
#: Every rule name an agreement may use.
RULES: tuple[str, ...] = tuple(_OPERATORS)


def get(rule: str) -> Desensitiser:
    """:raises ValidationError: no such rule."""
    try:
        return _OPERATORS[rule]
    except KeyError:
        raise ValidationError(f"unknown desensitisation rule {rule!r}", "fields") from None


def check_rule(rule: str, params: Mapping[str, Any]) -> None:
    """Check a rule as an agreement declares it. :raises ValidationError: naming the problem."""
    get(rule).check_declared(params)


def apply(rule: str, value: str | None, params: Mapping[str, Any]) -> str | None:
    """The form ``value`` leaves in under ``rule`` (``None`` stays ``None``)."""
    op = get(rule)
    op.validate(params)
    if value is None or value == "":
        return None
    return op.operate(value, params)
