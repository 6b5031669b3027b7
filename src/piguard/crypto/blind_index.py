"""Blind indexes: keyed, truncated hashes of normalized values for equality search.

Key separation follows CipherSweet (see ``/work/shared/reference/vaults.md`` §3):
each (tenant, record type, field) gets its own key, derived from the
installation's ``index_root`` secret and never from an encryption key::

    field_key = HKDF(index_root, salt = b"piguard-bidx" || pack(tenant, record_type),
                     info = 0x7E * 32 || field)            (SHA-256, or SM3 for the SM suite)
    digest    = HMAC(field_key, utf8(normalized_value)) truncated to `bits`

Truncation is deliberate: like a Bloom filter, a short index maps several
values to the same digest, so the table of digests does not reveal which rows
share a value. A lookup returns a few false positives, which the vault drops
after decrypting. :func:`plan_bits` chooses the length.

**Invariant:** changing any of this (labels, encoding, hash) changes every
stored index; an index-key rotation must recompute every index from plaintext.

>>> ix = BlindIndexer(bytes(32), Suite.AES256_GCM)
>>> d = ix.digest("t1", "customer", "mobile", "13800138000", 16)
>>> len(d), d == ix.digest("t1", "customer", "mobile", "13800138000", 16)
(2, True)
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Final

from cryptography.hazmat.primitives.hmac import HMAC

from piguard.crypto.aead import Suite
from piguard.crypto.context import pack
from piguard.crypto.kdf import hkdf, hmac_for
from piguard.errors import CryptoError

__all__ = ["MAX_BITS", "MIN_BITS", "BlindIndexer", "plan_bits"]

_SALT: Final = b"piguard-bidx"
# CipherSweet's blind-index domain separator: high Hamming distance from the
# 0xB4 it uses for encryption keys.
_INFO_PREFIX: Final = b"\x7e" * 32
#: Bounds :func:`plan_bits` keeps to.
MIN_BITS: Final = 8
MAX_BITS: Final = 64
_CACHE: Final = 4096


class BlindIndexer:
    """Computes blind-index digests; thread-safe; caches per-field keys.

    :param root_key: the installation's ``index_root`` secret (32 bytes).
    :param suite: decides the hash (SHA-256 or SM3).
    :raises CryptoError: ``root_key`` is shorter than 32 bytes.
    """

    def __init__(self, root_key: bytes, suite: Suite) -> None:
        if len(root_key) < 32:
            raise CryptoError("the blind-index root key must be at least 32 bytes")
        self._root = bytes(root_key)
        self.suite = suite
        self._macs: OrderedDict[tuple[str, str, str], HMAC] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BlindIndexer({self.suite.name}, root_key=<hidden>)"

    def field_key(self, tenant: str, record_type: str, field: str) -> bytes:
        """The per-field index key (exposed for test vectors; do not store it).

        :raises CryptoError: a name is not valid Unicode.
        """
        salt = _SALT + pack(tenant, record_type)
        info = _INFO_PREFIX + field.encode("utf-8", "strict") if _valid(field) else b""
        if not info:
            raise CryptoError("field names must be valid Unicode")
        return hkdf(self.suite, self._root, salt=salt, info=info, length=32)

    def digest(self, tenant: str, record_type: str, field: str, normalized_value: str, bits: int) -> bytes:
        """The blind index of one value.

        :param normalized_value: the value after :func:`piguard.validate.normalize`;
            equal values must be normalized identically or they will not match.
        :param bits: index length, 1..256; the result has ``ceil(bits / 8)`` bytes and
            the unused low bits of its last byte are zero.
        :returns: the truncated digest.
        :raises CryptoError: ``bits`` is out of range or a string is not valid Unicode.
        """
        if not 1 <= bits <= 256:
            raise CryptoError("blind index bits must be between 1 and 256")
        if not _valid(normalized_value):
            raise CryptoError("index values must be valid Unicode")
        mac = self._mac(tenant, record_type, field).copy()
        mac.update(normalized_value.encode("utf-8"))
        full = mac.finalize()
        nbytes, spare = -(-bits // 8), (-bits) % 8
        out = bytearray(full[:nbytes])
        out[-1] &= (0xFF << spare) & 0xFF
        return bytes(out)

    def _mac(self, tenant: str, record_type: str, field: str) -> HMAC:
        key = (tenant, record_type, field)
        with self._lock:
            mac = self._macs.get(key)
            if mac is not None:
                self._macs.move_to_end(key)
                return mac
        # Derive outside the lock; two threads may both derive, with the same result.
        mac = hmac_for(self.suite, self.field_key(tenant, record_type, field))
        with self._lock:
            self._macs[key] = mac
            while len(self._macs) > _CACHE:
                self._macs.popitem(last=False)
        return mac

    @staticmethod
    def plan_bits(expected_rows: int, domain_bits: float) -> int:
        """See :func:`plan_bits`."""
        return plan_bits(expected_rows, domain_bits)


def _valid(text: str) -> bool:
    try:
        text.encode("utf-8", "strict")
    except UnicodeEncodeError:
        return False
    return True


def plan_bits(expected_rows: int, domain_bits: float) -> int:
    """Choose a blind-index length, following CipherSweet's ``FieldIndexPlanner``.

    With R rows, an index of L bits over values with K bits of entropy gives
    C = R / 2**min(L, K) expected coincidences (rows sharing a digest). Safe
    lengths keep 2 <= C <= sqrt(R): at least two rows per digest hides exact
    equality, and at most sqrt(R) keeps lookups cheap. Within that range this
    picks the **largest** L with C >= 2, i.e. L = floor(log2(R / 2)), the fewest
    false positives that still leave two candidates per lookup. Then:

    * L is clamped to [8, 64] (so tiny tables, R < 512, get 8 bits: CipherSweet
      refuses to plan below 16 rows, and 8 bits is our floor);
    * L is capped at floor(K): bits beyond the value's entropy only reveal more.
      This cap may go below 8 for very small domains (e.g. K=1 for a boolean);
      such fields should be indexed only in a compound index.

    Note for the vault: with R = 200,000 and an 11-digit mainland mobile domain
    (about 10**10 values, K ~ 33.2), L = 16 and C = 200,000 / 65,536 ~ 3.05, i.e. a
    lookup returns about three candidate rows, two of them false positives.

    :param expected_rows: R, the expected number of indexed rows (>= 1).
    :param domain_bits: K, bits of entropy of the normalized value (> 0).
    :returns: L, the index length in bits.
    :raises CryptoError: ``expected_rows`` < 1 or ``domain_bits`` <= 0.
    """
    if expected_rows < 1:
        raise CryptoError("expected_rows must be at least 1")
    if not domain_bits > 0:
        raise CryptoError("domain_bits must be positive")
    bits = math.floor(math.log2(expected_rows / 2)) if expected_rows >= 2 else 0
    bits = max(MIN_BITS, min(MAX_BITS, bits))
    return max(1, min(bits, math.floor(domain_bits)))
