"""The packed form of one record's field ciphertexts.

A record row holds every field's ciphertext in one ``payload`` blob so that a
record is one row (fast bulk insert, one index lookup per read) while each field
stays separately encrypted and bound to its own name: a read decrypts only the
fields it asks for.

Layout (all integers big-endian)::

    0x01 | count u16 | count x ( name_len u8 | name utf-8 | ct_len u32 | ciphertext )

Field names are catalog identifiers, never customer data.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from piguard.errors import InvalidCiphertext

_VERSION = 1
_HEAD = struct.Struct(">BH")
_CT_LEN = struct.Struct(">I")


def pack(ciphertexts: Mapping[str, bytes]) -> bytes:
    """Pack ``{field: ciphertext}`` into one blob, fields in sorted order."""
    parts = [_HEAD.pack(_VERSION, len(ciphertexts))]
    for name in sorted(ciphertexts):
        raw = name.encode("utf-8")
        if len(raw) > 255:
            raise ValueError("field name longer than 255 bytes")
        ct = ciphertexts[name]
        parts.append(bytes((len(raw),)))
        parts.append(raw)
        parts.append(_CT_LEN.pack(len(ct)))
        parts.append(ct)
    return b"".join(parts)


def unpack(blob: bytes) -> dict[str, bytes]:
    """Split a payload into ``{field: ciphertext}`` without decrypting anything.

    :raises InvalidCiphertext: if the blob is malformed (treated like any other integrity failure).
    """
    try:
        version, count = _HEAD.unpack_from(blob, 0)
        if version != _VERSION:
            raise InvalidCiphertext()
        pos = _HEAD.size
        out: dict[str, bytes] = {}
        for _ in range(count):
            n = blob[pos]
            pos += 1
            name = blob[pos : pos + n].decode("utf-8")
            pos += n
            (length,) = _CT_LEN.unpack_from(blob, pos)
            pos += _CT_LEN.size
            ct = blob[pos : pos + length]
            if len(ct) != length:
                raise InvalidCiphertext()
            out[name] = bytes(ct)
            pos += length
        if pos != len(blob):
            raise InvalidCiphertext()
        return out
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise InvalidCiphertext() from exc
