"""Ed25519 signatures for audit checkpoints, behind two small types.

``piguard.crypto`` is the only package that imports ``cryptography.hazmat``; the audit
trail signs and checks through :class:`SigningKey` and :class:`VerifyKey`.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["SigningKey", "VerifyKey"]


class SigningKey:
    """An Ed25519 private key that signs messages; its ``repr`` never shows key material."""

    __slots__ = ("_key", "public_raw")

    def __init__(self, seed: bytes) -> None:
        """:raises ValueError: ``seed`` is not 32 bytes."""
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        #: The 32-byte public key that verifies this key's signatures.
        self.public_raw: bytes = self._key.public_key().public_bytes_raw()

    def __repr__(self) -> str:
        return "SigningKey(<hidden>)"

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


class VerifyKey:
    """An Ed25519 public key."""

    __slots__ = ("_key", "public_raw")

    def __init__(self, public_raw: bytes) -> None:
        """:raises ValueError: ``public_raw`` is not a 32-byte Ed25519 public key."""
        if len(public_raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        self._key = Ed25519PublicKey.from_public_bytes(public_raw)
        self.public_raw = public_raw

    def valid(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's signature of ``message``.

        Returns a verdict rather than raising: verification walks every checkpoint and
        reports each bad one, so a bad signature is a finding, not an exception.
        """
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True
