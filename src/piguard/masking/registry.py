"""The registry of masking operators, by rule name (Presidio's ``OperatorsFactory``).

The built-in operators are registered on import; :func:`register` adds custom ones.
"""

from __future__ import annotations

from piguard.errors import Conflict, ValidationError
from piguard.masking.address import Address
from piguard.masking.bank_card import BankCard
from piguard.masking.basic import Clear, Never, Redact
from piguard.masking.date import Date
from piguard.masking.email import Email
from piguard.masking.hashing import Hash
from piguard.masking.keep import Keep
from piguard.masking.mobile import Mobile, MobileSeed
from piguard.masking.name import Name
from piguard.masking.operator import Operator
from piguard.masking.passport import Passport
from piguard.masking.resident_id import ResidentId

_OPERATORS: dict[str, Operator] = {}


def register(op: Operator, *, replace: bool = False) -> None:
    """Make ``op`` available under ``op.name``.

    :param op: the operator instance.
    :param replace: allow replacing an operator already registered under that name.
    :raises Conflict: the name is taken and ``replace`` is false.
    :raises TypeError: ``op`` is not an :class:`Operator`.
    """
    if not isinstance(op, Operator):
        raise TypeError("a masking operator must subclass piguard.masking.Operator")
    if op.name in _OPERATORS and not replace:
        raise Conflict(f"masking rule {op.name!r} is already registered")
    _OPERATORS[op.name] = op


def get(rule: str) -> Operator:
    """Return the operator registered under ``rule``.

    :raises ValidationError: no such rule.
    """
    try:
        return _OPERATORS[rule]
    except KeyError:
        raise ValidationError(f"unknown masking rule {rule!r}") from None


def names() -> frozenset[str]:
    """The names of every registered rule."""
    return frozenset(_OPERATORS)


for _op in (
    Clear(), Redact(), Never(), Hash(), Keep(), Name(), Mobile(), MobileSeed(),
    ResidentId(), BankCard(), Address(), Email(), Date(), Passport(),
):  # fmt: skip
    register(_op)
