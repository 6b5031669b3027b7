"""Scrub an event's ``detail`` before it is stored: allow-listed keys keep their values,
everything else is replaced by a keyed hash (Vault's audit broker does the same: HMAC the
values, keep the keys, skip an allow-list).

:class:`~piguard.service.AccessEvent` never holds field values, but ``detail`` is an open
mapping filled by many callers; one careless ``detail={"mobile": value}`` must not put a
phone number in the permanent record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from piguard.audit.keys import AuditKeys
from piguard.catalog.vocabulary import LEVELS
from piguard.detect import mask_free_text

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
# Flags carry no digits so that no identifier or number can pass as one.
_FLAG = re.compile(r"^[a-z_]{1,32}$")
#: Words a ``levels`` detail may hold: the catalog's levels, and the few mask and display
#: words callers record next to them.
_LEVELS: Final[frozenset[str]] = frozenset({*LEVELS, "mask", "partial", "never", "hidden"})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53


def _ints(value: Any) -> Any:
    return value if _is_int(value) else None


def _bool(value: Any) -> Any:
    return value if isinstance(value, bool) else None


def _levels(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return None
    if all(isinstance(k, str) and _NAME.match(k) and v in _LEVELS for k, v in value.items()):
        return {k: value[k] for k in sorted(value)}
    return None


def _flags(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset) and all(
        isinstance(f, str) and _FLAG.match(f) for f in value
    ):
        return sorted(set(value))
    return None


def _names(value: Any) -> Any:
    if isinstance(value, list | tuple) and all(isinstance(f, str) and _NAME.match(f) for f in value):
        return list(value)
    return None


def _token(value: Any) -> Any:
    return value if isinstance(value, str) and _NAME.match(value) else None


_PRINCIPAL = re.compile(r"^[A-Za-z0-9_.:@\-]{1,128}$")


def _principal(value: Any) -> Any:
    # Staff and client ids (``cli:alice``), never customer identifiers.
    return value if isinstance(value, str) and _PRINCIPAL.match(value) else None


# Denial reasons are written by piguard's own code (errors never carry values); still,
# anything that looks like an identifier, a number or an address is hashed instead.
_SUSPECT = re.compile(r"\d{5,}|@|\d{3}[- ]\d{3,}")


def _reason(value: Any) -> Any:
    # A refusal may quote what the caller typed (an unknown purpose): PI in it is masked first.
    if not isinstance(value, str) or len(value) > 300:
        return None
    masked = mask_free_text(value)
    return None if _SUSPECT.search(masked) else masked


#: detail key -> validator returning the value to keep, or None to hash it instead.
ALLOWED: Final[Mapping[str, Callable[[Any], Any]]] = {
    **{
        k: _ints
        for k in (
            "accepted",
            "rejected",
            "matches",
            "records",
            "rows",
            "count",
            "kek_version",
            "rewrapped",
            "through_seq",
            "entries",
            "exported",
            "failures",
        )
    },
    "reason_given": _bool,
    "dry_run": _bool,
    "locked": _bool,
    "reason": _reason,
    "principal_id": _principal,
    "role": _token,
    "kind": _token,
    "grant": _token,
    "frozen": _bool,
    "levels": _levels,
    "flags": _flags,
    "consent_purposes": _names,
    "alert_id": _token,
    "alert_rule": _token,
    "subject_principal": _principal,
    "action_taken": _token,
    "format": _token,
}


#: Declared detail kind -> its validator (see :mod:`piguard.gate.operation`).
KIND_CHECKS: Final[Mapping[str, Callable[[Any], Any]]] = {
    "int": _ints,
    "bool": _bool,
    "names": _names,
    "token": _token,
    "levels": _levels,
    "flags": _flags,
    "reason": _reason,
    "principal": _principal,
}

# Keys the gate's operations declare, added by :func:`declare`. Derived from code (the declared
# operations), so every process computes the same allow-list: no rule depends on one process.
_DECLARED: dict[str, Callable[[Any], Any]] = {}


def declare(kinds: Mapping[str, str]) -> None:
    """Keep the values of these declared detail keys (key -> kind) unhashed.

    :raises ValueError: an unknown kind, or a key already kept with another validator.
    """
    for key, kind in kinds.items():
        check = KIND_CHECKS.get(kind)
        if check is None:
            raise ValueError(f"detail key {key!r}: unknown kind {kind!r}")
        known = ALLOWED.get(key) or _DECLARED.get(key)
        if known is not None and known is not check:
            raise ValueError(f"detail key {key!r} is kept as another kind already")
        _DECLARED[key] = check


def scrub(detail: Mapping[str, Any], keys: AuditKeys) -> dict[str, Any]:
    """A copy of ``detail`` safe to store. Never mutates its input.

    Keys that are not plain names are hashed too, since a key can carry a value as well.
    """
    out: dict[str, Any] = {}
    for key, value in detail.items():
        name = key if isinstance(key, str) and _NAME.match(key) else keys.opaque_ref("detail-key", repr(key))
        check = ALLOWED.get(name) or _DECLARED.get(name)
        kept = check(value) if check is not None else None
        out[name] = kept if kept is not None else keys.opaque_ref("detail", name, repr(value))
    return out
