"""Typed readers for operator parameters.

Each reader validates as it reads, so :meth:`Operator.operate` stays safe even
when called without :meth:`Operator.validate`. Messages name the rule and the
parameter only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from piguard.errors import ValidationError

T = TypeVar("T")


def _bad(rule: str, param: str, reason: str) -> ValidationError:
    return ValidationError(f"mask {rule!r}: parameter {param!r} {reason}")


def int_param(
    params: Mapping[str, Any], rule: str, param: str, default: int, *, maximum: int | None = None
) -> int:
    """Read a non-negative integer parameter.

    :raises ValidationError: not an ``int`` (``bool`` is refused), negative, or above ``maximum``.
    """
    value = params.get(param, default)
    # bool is an int subclass; "first: true" in a catalog is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(rule, param, "must be an integer")
    if value < 0:
        raise _bad(rule, param, "must not be negative")
    if maximum is not None and value > maximum:
        raise _bad(rule, param, f"must be at most {maximum}")
    return value


def choice_param(params: Mapping[str, Any], rule: str, param: str, default: T, choices: Collection[T]) -> T:
    """Read a parameter that must be one of ``choices``.

    :raises ValidationError: the value is not one of ``choices``.
    """
    value = params.get(param, default)
    # Exact type: 4.0 == 4 and True == 1, but neither is a valid choice.
    if type(value) is not type(default) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise _bad(rule, param, f"must be one of {allowed}")
    return value


def char_param(params: Mapping[str, Any], rule: str, param: str, default: str) -> str:
    """Read a single printable, non-space masking character.

    :raises ValidationError: not a one-character printable string.
    """
    value = params.get(param, default)
    if not isinstance(value, str) or len(value) != 1 or not value.isprintable() or value.isspace():
        raise _bad(rule, param, "must be one printable, non-space character")
    return value


def key_param(params: Mapping[str, Any], rule: str, param: str, *, min_length: int) -> bytes:
    """Read a secret key.

    :raises ValidationError: missing, not ``bytes``, or shorter than ``min_length``.
    """
    value = params.get(param)
    if value is None:
        raise _bad(rule, param, "is required")
    if not isinstance(value, bytes):
        raise _bad(rule, param, "must be bytes")
    if len(value) < min_length:
        raise _bad(rule, param, f"must be at least {min_length} bytes")
    return value
