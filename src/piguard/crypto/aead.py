"""Authenticated encryption of field values and wrapped keys (the piguard blob format).

.. warning::
   This module is the only place that turns keys into ciphertexts. Every
   decryption or integrity failure raises :class:`~piguard.errors.InvalidCiphertext`
   and nothing else, so callers cannot learn *why* a blob was refused.

Blob layout (all integers big-endian)::

    offset  size  field
    0       1     format version (0x01)
    1       1     suite (1 = AES-256-GCM, 2 = SM4-GCM)
    2       4     key id (u32)
    6       4     key version (u32)
    10      12    nonce (random)
    22      n+16  ciphertext followed by the 16-byte GCM tag

The 22 header bytes are authenticated: the AEAD associated data is
``header || aad``. The header has a fixed length, so this concatenation is
unambiguous, and changing any header byte makes :meth:`Sealer.open` fail.

Nonces are random 96-bit values. **Never seal more than 2**32 messages under
one key**; piguard keeps each key's use far below that by giving every customer
their own data key (see :mod:`piguard.crypto.envelope`).

>>> s = sealer_for(Suite.AES256_GCM, bytes(32))
>>> blob = s.seal(7, 1, b"13800138000", b"ctx")
>>> parse_header(blob).key_id, s.open(blob, b"ctx")
(7, b'13800138000')
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from piguard.errors import CryptoError, InvalidCiphertext

__all__ = [
    "FORMAT_VERSION",
    "HEADER_SIZE",
    "NONCE_SIZE",
    "TAG_SIZE",
    "Header",
    "Sealer",
    "Suite",
    "build_header",
    "parse_header",
    "sealer_for",
]

FORMAT_VERSION: Final = 0x01
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
_HEADER = struct.Struct(">BBII12s")
HEADER_SIZE: Final = _HEADER.size  # 22
_U32_MAX: Final = 0xFFFFFFFF


class Suite(IntEnum):
    """The algorithm suite of an installation; its value is the blob's suite byte."""

    AES256_GCM = 1
    SM4_GCM = 2

    @property
    def key_size(self) -> int:
        """Length in bytes of a data key or KEK for this suite (32 for AES-256, 16 for SM4)."""
        return 32 if self is Suite.AES256_GCM else 16


@dataclass(frozen=True, slots=True)
class Header:
    """The parsed, *not yet authenticated* header of a blob."""

    format_version: int
    suite: Suite
    key_id: int
    key_version: int
    nonce: bytes


def parse_header(blob: bytes) -> Header:
    """Read the header of ``blob`` without decrypting it.

    The result is only a hint for choosing a key: it is authenticated when the
    blob is opened.

    :param blob: a blob produced by :meth:`Sealer.seal`.
    :returns: the header fields.
    :raises InvalidCiphertext: the blob is too short, or names an unknown format
        version or suite.
    """
    suite, key_id, key_version, nonce = _unpack(blob)
    return Header(FORMAT_VERSION, suite, key_id, key_version, nonce)


def _unpack(blob: bytes) -> tuple[Suite, int, int, bytes]:
    # The hot-path form of parse_header: a tuple and a dict lookup instead of a
    # frozen dataclass and an Enum call, which together doubled unwrap time.
    if len(blob) < HEADER_SIZE + TAG_SIZE:
        raise InvalidCiphertext()
    version, suite_byte, key_id, key_version, nonce = _HEADER.unpack_from(blob)
    suite = _SUITES.get(suite_byte)
    if version != FORMAT_VERSION or suite is None:
        raise InvalidCiphertext()
    return suite, key_id, key_version, nonce


_SUITES: Final = {int(s): s for s in Suite}


def build_header(suite: Suite, key_id: int, key_version: int, nonce: bytes) -> bytes:
    """Pack a blob header; for producers outside this module (a PKCS#11 token's GCM).

    :raises CryptoError: ``key_id``/``key_version`` do not fit in 32 bits or the nonce is not 12 bytes.
    """
    if not (0 <= key_id <= _U32_MAX and 0 <= key_version <= _U32_MAX):
        raise CryptoError("key id and key version must fit in 32 bits")
    if len(nonce) != NONCE_SIZE:
        raise CryptoError("nonce must be 12 bytes")
    # int(suite): struct packs a plain int much faster than an IntEnum member.
    return _HEADER.pack(FORMAT_VERSION, int(suite), key_id, key_version, nonce)


class Sealer:
    """Seals and opens blobs under one key. Build it once per key with :func:`sealer_for`.

    Instances are immutable and thread-safe; the underlying cipher object is
    reused across calls because building it costs about as much as one seal.

    :param suite: the algorithm suite.
    :param key: the key, ``suite.key_size`` bytes.
    :raises CryptoError: the key has the wrong length for the suite.
    """

    __slots__ = ("_aesgcm", "_key", "suite")

    def __init__(self, suite: Suite, key: bytes) -> None:
        if len(key) != suite.key_size:
            raise CryptoError(f"{suite.name} needs a {suite.key_size}-byte key")
        self.suite: Final = suite
        # SM4-GCM has no one-shot AEAD class in cryptography, so it goes through
        # the streaming Cipher API and needs the raw key; AES keeps only the
        # prepared AESGCM object.
        self._key = bytes(key) if suite is Suite.SM4_GCM else b""
        self._aesgcm = AESGCM(key) if suite is Suite.AES256_GCM else None

    def __repr__(self) -> str:
        return f"Sealer({self.suite.name}, key=<hidden>)"

    def seal(self, key_id: int, key_version: int, plaintext: bytes, aad: bytes) -> bytes:
        """Encrypt ``plaintext`` and bind it to ``aad`` and to the blob header.

        :param key_id: written to the header so readers can find the key (u32).
        :param key_version: written to the header (u32).
        :param plaintext: the bytes to protect.
        :param aad: associated data that must be presented again to open the blob;
            build it with :mod:`piguard.crypto.context`.
        :returns: the blob.
        :raises CryptoError: ``key_id`` or ``key_version`` is outside 0..2**32-1.
        """
        return self._seal_from_parts(key_id, key_version, plaintext, aad, os.urandom(NONCE_SIZE))

    def _seal_from_parts(
        self, key_id: int, key_version: int, plaintext: bytes, aad: bytes, nonce: bytes
    ) -> bytes:
        # Private seam: a fixed nonce makes output deterministic for test vectors.
        # Production code must always come through seal(), which draws a fresh nonce.
        header = build_header(self.suite, key_id, key_version, nonce)
        return header + self._encrypt_raw(nonce, plaintext, header + aad)

    def _encrypt_raw(self, nonce: bytes, plaintext: bytes, ad: bytes) -> bytes:
        # Plain GCM (ciphertext || tag) with no piguard header; published GCM
        # vectors are checked against this.
        if self._aesgcm is not None:
            return self._aesgcm.encrypt(nonce, plaintext, ad)
        enc = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(ad)
        body = enc.update(plaintext) + enc.finalize()
        return body + enc.tag

    def _decrypt_raw(self, nonce: bytes, body: bytes, ad: bytes) -> bytes:
        try:
            if self._aesgcm is not None:
                return self._aesgcm.decrypt(nonce, body, ad)
            if len(body) < TAG_SIZE:
                raise InvalidCiphertext()
            dec = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, body[-TAG_SIZE:])).decryptor()
            dec.authenticate_additional_data(ad)
            return dec.update(body[:-TAG_SIZE]) + dec.finalize()
        except InvalidTag:
            raise InvalidCiphertext() from None

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """Authenticate and decrypt ``blob``.

        :param blob: a blob produced by :meth:`seal` with this key.
        :param aad: the associated data given when sealing.
        :returns: the plaintext.
        :raises InvalidCiphertext: on any failure: truncated blob, unknown format
            version, a suite other than this sealer's, wrong key, wrong ``aad``,
            or any changed byte.
        """
        suite, _, _, nonce = _unpack(blob)
        if suite is not self.suite:
            raise InvalidCiphertext()
        return self._decrypt_raw(nonce, blob[HEADER_SIZE:], blob[:HEADER_SIZE] + aad)


def sealer_for(suite: Suite, key: bytes) -> Sealer:
    """Build the :class:`Sealer` for ``key``; callers should keep and reuse it.

    :raises CryptoError: the key has the wrong length for the suite.
    """
    return Sealer(suite, key)
