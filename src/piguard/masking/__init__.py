"""Masking: turn a clear value into its display form (R-USE-4, R-STO-3).

A rule name (from the catalog's ``mask``) picks an :class:`Operator`; the
engine validates the parameters, then masks. Formats follow requirements §2b.

>>> apply_mask("mobile", "13800138000")
'138****8000'
>>> apply_mask("resident_id", "11010519491231002X")
'110***********002X'
>>> apply_mask("bank_card", "6222021234567890128", audience="staff")
'622202*********0128'

Every operator hides at least what its rule says, for any input (short, empty,
non-ASCII, oddly formatted). No error message contains the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from piguard.native import mount

mount(__name__, __path__)  # The compiled operators, when they match the sources (piguard.native).

from piguard.masking import registry
from piguard.masking.operator import Operator

__all__ = [
    "FALLBACK",
    "IDENTITY",
    "Operator",
    "apply_mask",
    "check_params",
    "get_operator",
    "hide",
    "known_rules",
    "register",
]

register = registry.register


def get_operator(rule: str) -> Operator:
    """Return the operator for ``rule``.

    :raises ValidationError: no such rule.
    """
    return registry.get(rule)


def known_rules() -> frozenset[str]:
    """Every rule name :func:`apply_mask` accepts."""
    return registry.names()


def check_params(rule: str, params: Mapping[str, Any]) -> None:
    """Check a rule and its parameters as declared in a catalog (at load time).

    Run-time parameters such as the ``hash`` key must not be declared: they are
    secrets supplied by the caller.

    :raises ValidationError: unknown rule, unknown parameter, bad value, or a
        run-time parameter declared.
    """
    get_operator(rule).check_declared(params)


def apply_mask(rule: str, value: str, **params: Any) -> str:
    """Mask ``value`` with ``rule``: validate the parameters, then operate.

    :param rule: a name from :func:`known_rules`.
    :param value: the clear value.
    :param params: the rule's parameters (catalog ``mask_options`` plus run-time ones).
    :returns: the masked value.
    :raises ValidationError: unknown rule or bad parameters (the message never
        contains ``value``).
    """
    op = get_operator(rule)
    op.validate(params)
    return op.operate(value, params)


#: Rules that show the value as it is: never a mask of a value whose level is "masked".
IDENTITY: Final = frozenset({"clear"})
#: What a masked value falls back to when its rule would show it unchanged.
FALLBACK: Final = "redact"


def hide(rule: str, value: str, **params: Any) -> str:
    """:func:`apply_mask`, but the result never equals a non-empty ``value``: "masked" must be true.

    A rule can return its input: ``clear`` always, and a rule made for another kind of value
    on some values (a ``mobile`` mask on an enum, ``keep`` on a one-character code). Then the
    value is redacted (:data:`FALLBACK`), so a value reported as masked is never the clear one.

    >>> hide("clear", "silver")
    '******'
    >>> hide("mobile", "13800138000")
    '138****8000'
    """
    if rule in IDENTITY:
        rule, params = FALLBACK, {}
    out = apply_mask(rule, value, **params)
    return out if out != value or not value else apply_mask(FALLBACK, value)
