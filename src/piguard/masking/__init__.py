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
from typing import Any

from piguard.masking import registry
from piguard.masking.operator import Operator

__all__ = ["Operator", "apply_mask", "check_params", "get_operator", "known_rules", "register"]

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
