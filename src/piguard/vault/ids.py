"""Identifiers of customers and records: random, never derived from PI."""

from __future__ import annotations

import re
import secrets

from piguard.errors import ValidationError

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def new_customer_id() -> str:
    return "C" + secrets.token_hex(8)


def new_record_id(record_type: str) -> str:
    return record_type[:1].upper() + secrets.token_hex(8)


def check_id(value: str, what: str = "id") -> str:
    """Accept an externally supplied id (import, API path) if it is a plain token.

    :raises ValidationError: if it is empty, too long or has characters outside ``[A-Za-z0-9_.:-]``.
    """
    if not isinstance(value, str) or not _ID.match(value):
        raise ValidationError("must be 1-64 characters of letters, digits, '_', '.', ':' or '-'", what)
    return value
