"""Canonical associated data: what a ciphertext is bound to.

Each function returns ``pack(domain, part1, part2, ...)`` where every part is
prefixed by its length as a big-endian u32. Length prefixes make the encoding
injective: ``("ab", "c")`` and ``("a", "bc")`` give different bytes, so no
choice of tenant, record or field names can make two contexts collide. The
leading domain label keeps the three kinds of context apart.

**Invariant:** these encodings are part of the on-disk format. Changing them
makes every stored ciphertext unreadable; add a new domain label instead.

>>> field_aad("t1", "customer", "42", "mobile", 1) == field_aad("t1", "customer", "4", "2mobile", 1)
False
"""

from __future__ import annotations

import struct
from typing import Final

from piguard.errors import CryptoError

__all__ = ["FieldAadBuilder", "dek_aad", "field_aad", "pack", "secret_aad"]

_U32: Final = struct.Struct(">I")
_FIELD: Final = b"piguard/field/v1"
_DEK: Final = b"piguard/dek/v1"
_SECRET: Final = b"piguard/secret/v1"


def _encode(part: str | bytes | int) -> bytes:
    if isinstance(part, bytes):
        return part
    if isinstance(part, int):
        if not 0 <= part <= 0xFFFFFFFF:
            raise CryptoError("context integers must fit in 32 bits")
        return _U32.pack(part)
    try:
        return part.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates cannot be encoded canonically; refuse rather than guess.
        raise CryptoError("context strings must be valid Unicode") from None


def pack(*parts: str | bytes | int) -> bytes:
    """Length-prefix and concatenate ``parts`` (str as UTF-8, int as u32).

    :raises CryptoError: a string is not encodable or an int is outside 0..2**32-1.
    """
    out = bytearray()
    for part in parts:
        raw = _encode(part)
        out += _U32.pack(len(raw))
        out += raw
    return bytes(out)


def field_aad(tenant: str, record_type: str, record_id: str, field: str, schema_version: int) -> bytes:
    """Associated data of one encrypted field value.

    A ciphertext moved to another tenant, record, field or schema version fails to open.

    :raises CryptoError: see :func:`pack`.
    """
    return pack(_FIELD, tenant, record_type, record_id, field, schema_version)


def dek_aad(tenant: str, customer_id: str) -> bytes:
    """Associated data of a customer's wrapped data key.

    :raises CryptoError: see :func:`pack`.
    """
    return pack(_DEK, tenant, customer_id)


def secret_aad(name: str) -> bytes:
    """Associated data of an installation secret (or KEK) wrapped in the keyring.

    :raises CryptoError: see :func:`pack`.
    """
    return pack(_SECRET, name)


class FieldAadBuilder:
    """Builds :func:`field_aad` for one tenant, record type and schema version, fast.

    The constant parts are encoded once; per call only the record id and field name are
    encoded. Bulk import seals millions of fields, and re-encoding the constant parts
    every time cost more than the AEAD itself (measured: 10 µs vs 1.4 µs per field).
    The output is byte-for-byte :func:`field_aad` (a test checks it).
    """

    __slots__ = ("_cache", "_head", "_tail")

    def __init__(self, tenant: str, record_type: str, schema_version: int) -> None:
        self._head = pack(_FIELD, tenant, record_type)
        self._tail = pack(schema_version)
        self._cache: dict[str, bytes] = {}

    def __call__(self, record_id: str, field: str) -> bytes:
        encoded_field = self._cache.get(field)
        if encoded_field is None:
            encoded_field = pack(field)
            self._cache[field] = encoded_field
        return self._head + pack(record_id) + encoded_field + self._tail
