"""Key derivation and MACs, per suite: SHA-256 for AES-256-GCM, SM3 for SM4-GCM.

>>> hmac_digest(Suite.AES256_GCM, b"key", b"The quick brown fox jumps over the lazy dog").hex()[:16]
'f7bc83f430538424'
"""

from __future__ import annotations

import hmac as _stdlib_hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from piguard.crypto.aead import Suite
from piguard.errors import CryptoError

__all__ = ["constant_time_equal", "hash_bytes", "hash_for", "hkdf", "hmac_digest", "hmac_for"]


def hash_for(suite: Suite) -> hashes.HashAlgorithm:
    """The hash of ``suite``: SHA-256 or SM3 (both 32-byte output)."""
    return hashes.SHA256() if suite is Suite.AES256_GCM else hashes.SM3()


def hash_bytes(suite: Suite, data: bytes) -> bytes:
    """The suite's hash (SHA-256 or SM3) of ``data``; 32 bytes."""
    h = hashes.Hash(hash_for(suite))
    h.update(data)
    return h.finalize()


def hkdf(suite: Suite, ikm: bytes, *, salt: bytes | None, info: bytes, length: int) -> bytes:
    """HKDF (RFC 5869) with the suite's hash.

    :param ikm: input keying material; must be high-entropy (use argon2id for passphrases).
    :param salt: optional salt (``None`` means a string of zeros, per the RFC).
    :param info: context label; distinct uses must use distinct labels.
    :param length: output length in bytes, 1..255*32.
    :raises CryptoError: ``length`` is out of range.
    """
    if not 1 <= length <= 255 * 32:
        raise CryptoError("HKDF output length out of range")
    return HKDF(algorithm=hash_for(suite), length=length, salt=salt, info=info).derive(ikm)


def hmac_for(suite: Suite, key: bytes) -> HMAC:
    """A keyed HMAC context to ``copy()`` per message; copying skips re-keying (about 3x faster)."""
    return HMAC(key, hash_for(suite))


def hmac_digest(suite: Suite, key: bytes, data: bytes) -> bytes:
    """HMAC (RFC 2104) of ``data`` with the suite's hash; 32 bytes."""
    mac = HMAC(key, hash_for(suite))
    mac.update(data)
    return mac.finalize()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare secrets without leaking where they differ through timing."""
    return _stdlib_hmac.compare_digest(a, b)
