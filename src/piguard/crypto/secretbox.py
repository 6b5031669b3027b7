"""Small secrets kept in the data database, sealed: TOTP seeds and the like.

A :class:`SecretBox` seals short text under a key derived (HKDF) from an installation
secret for one named use, binding each ciphertext to a context string (for example the
principal it belongs to), so a sealed value copied to another row does not open.
"""

from __future__ import annotations

import base64
import binascii

from piguard.crypto.aead import Suite, sealer_for
from piguard.crypto.context import secret_aad
from piguard.crypto.kdf import hkdf
from piguard.errors import InvalidCiphertext

__all__ = ["SecretBox"]

_PREFIX = "sb1:"


class SecretBox:
    """Seals and opens short text for one use (``purpose``) of an installation.

    :param root: a 32-byte installation secret; the box key is derived from it with HKDF.
    :param purpose: the use, e.g. ``"totp"``; distinct uses get distinct keys.
    """

    __slots__ = ("_sealer",)

    def __init__(self, root: bytes, suite: Suite, purpose: str) -> None:
        key = hkdf(
            suite, root, salt=b"piguard/secretbox", info=purpose.encode("utf-8"), length=suite.key_size
        )
        self._sealer = sealer_for(suite, key)

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"

    def seal(self, text: str, context: str) -> str:
        """Seal ``text`` bound to ``context``; returns printable text (short input fits 255 chars)."""
        blob = self._sealer.seal(0, 1, text.encode("utf-8"), secret_aad(context))
        return _PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")

    def open(self, sealed: str, context: str) -> str:
        """:raises InvalidCiphertext: not a sealed value, tampered with, or sealed for another context."""
        if not sealed.startswith(_PREFIX):
            raise InvalidCiphertext()
        try:
            blob = base64.urlsafe_b64decode(sealed[len(_PREFIX) :].encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise InvalidCiphertext() from None
        return self._sealer.open(blob, secret_aad(context)).decode("utf-8")
