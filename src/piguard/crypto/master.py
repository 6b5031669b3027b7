"""The master secret that protects a file keyring.

Two forms are accepted:

* a **key**: 32 random bytes, written as standard base64 (what
  :func:`generate_master_secret` prints). It is high-entropy, so HKDF alone
  derives the keyring's storage key.
* a **passphrase**: any other text of at least 12 characters. It is stretched
  with argon2id (RFC 9106 second recommended setting: t=3, m=64 MiB, p=4) and a
  random salt stored in the keyring file, then put through HKDF.

The secret comes from ``PIGUARD_MASTER_KEY`` (the value itself) or
``PIGUARD_MASTER_KEY_FILE`` (a file holding it); see :func:`load_master_secret`.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from argon2.low_level import Type, hash_secret_raw

from piguard.crypto.aead import Suite
from piguard.crypto.kdf import hkdf
from piguard.errors import ConfigError, KeyProviderError

__all__ = [
    "MASTER_KEY_ENV",
    "MASTER_KEY_FILE_ENV",
    "MasterKdf",
    "MasterSecret",
    "Passphrase",
    "generate_master_secret",
    "load_master_secret",
]

MASTER_KEY_ENV: Final = "PIGUARD_MASTER_KEY"
MASTER_KEY_FILE_ENV: Final = "PIGUARD_MASTER_KEY_FILE"


class Passphrase(bytes):
    """UTF-8 passphrase bytes, marked so they are stretched with argon2id, never used as a key.

    A plain ``bytes`` master secret must be a 32-byte key; wrapping it in this type
    is the only way to pass a passphrase as bytes (so a 32-character passphrase is
    never mistaken for a key).
    """

    def __repr__(self) -> str:
        return "Passphrase(<hidden>)"


#: Accepted master secrets: 32 key bytes, a :class:`Passphrase`, or text that is
#: either base64 of 32 bytes (a key) or a passphrase.
MasterSecret = bytes | str

_MIN_PASSPHRASE: Final = 12
_INFO: Final = b"piguard keyring storage key v1"
# Upper bounds on argon2 parameters read from a keyring file, so a damaged or
# hostile file cannot make opening it take unbounded memory or time.
_MAX_MEMORY_KIB: Final = 1 << 21
_MAX_TIME: Final = 16
_MAX_LANES: Final = 16


def generate_master_secret() -> str:
    """A new master key: 32 random bytes as base64, for ``PIGUARD_MASTER_KEY``."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def _as_key(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def load_master_secret(environ: Mapping[str, str]) -> bytes:
    """Read the master secret from ``PIGUARD_MASTER_KEY`` or ``PIGUARD_MASTER_KEY_FILE``.

    :param environ: the environment (``os.environ`` in production).
    :returns: the 32 key bytes if the value is base64 of 32 bytes, otherwise the
        passphrase as a :class:`Passphrase`.
    :raises ConfigError: neither or both variables are set, the file cannot be read,
        or a passphrase is shorter than 12 characters. Messages never include the secret.
    """
    value = environ.get(MASTER_KEY_ENV)
    file = environ.get(MASTER_KEY_FILE_ENV)
    if value and file:
        raise ConfigError(f"set only one of {MASTER_KEY_ENV} and {MASTER_KEY_FILE_ENV}")
    if file:
        try:
            value = Path(file).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {MASTER_KEY_FILE_ENV} ({file}): {type(exc).__name__}") from None
    if not value:
        raise ConfigError(
            f"no master secret: set {MASTER_KEY_ENV} (e.g. from `piguard keyring new-secret`) "
            f"or {MASTER_KEY_FILE_ENV}"
        )
    key = _as_key(value)
    if key is not None:
        return key
    if len(value) < _MIN_PASSPHRASE:
        raise ConfigError(
            f"the master secret is neither base64 of 32 bytes nor a passphrase of "
            f"at least {_MIN_PASSPHRASE} characters"
        )
    return Passphrase(value.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class MasterKdf:
    """How the storage key is derived; saved in the keyring file (no secrets).

    :param kind: ``"hkdf"`` for a key, ``"argon2id"`` for a passphrase.
    """

    kind: str
    salt: bytes
    time_cost: int = 3
    memory_kib: int = 64 * 1024
    lanes: int = 4

    @classmethod
    def for_secret(cls, secret: MasterSecret) -> MasterKdf:
        """Choose the KDF for a new keyring.

        :raises ConfigError: ``secret`` is bytes of the wrong length or a too-short passphrase.
        """
        salt = os.urandom(16)
        if isinstance(secret, bytes) and not isinstance(secret, Passphrase):
            if len(secret) != 32:
                raise ConfigError("a master key must be exactly 32 bytes (use Passphrase for passphrases)")
            return cls("hkdf", salt)
        if isinstance(secret, str) and _as_key(secret) is not None:
            return cls("hkdf", salt)
        if len(secret.decode("utf-8") if isinstance(secret, bytes) else secret) < _MIN_PASSPHRASE:
            raise ConfigError(f"a passphrase needs at least {_MIN_PASSPHRASE} characters")
        return cls("argon2id", salt)

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in the keyring file."""
        out: dict[str, Any] = {"kdf": self.kind, "salt": base64.b64encode(self.salt).decode()}
        if self.kind == "argon2id":
            out |= {"time_cost": self.time_cost, "memory_kib": self.memory_kib, "lanes": self.lanes}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MasterKdf:
        """Parse and bound-check the stored form.

        :raises KeyProviderError: the entry is malformed or its costs are out of bounds.
        """
        try:
            kdf = cls(
                str(data["kdf"]),
                base64.b64decode(data["salt"], validate=True),
                int(data.get("time_cost", 3)),
                int(data.get("memory_kib", 64 * 1024)),
                int(data.get("lanes", 4)),
            )
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise KeyProviderError("damaged keyring: bad master key parameters") from None
        if kdf.kind not in ("hkdf", "argon2id") or len(kdf.salt) != 16:
            raise KeyProviderError("damaged keyring: bad master key parameters")
        if not (1 <= kdf.time_cost <= _MAX_TIME and 8 <= kdf.memory_kib <= _MAX_MEMORY_KIB):
            raise KeyProviderError("damaged keyring: argon2 costs out of bounds")
        if not 1 <= kdf.lanes <= _MAX_LANES:
            raise KeyProviderError("damaged keyring: argon2 costs out of bounds")
        return kdf

    def storage_key(self, secret: MasterSecret, suite: Suite) -> bytes:
        """Derive the key that encrypts KEKs inside the keyring file.

        :raises KeyProviderError: the secret's form does not match this KDF
            (reported as a wrong master secret).
        """
        if self.kind == "hkdf":
            if isinstance(secret, Passphrase):
                raise KeyProviderError("wrong master secret or damaged keyring")
            ikm = secret if isinstance(secret, bytes) else _as_key(secret)
            if ikm is None or len(ikm) != 32:
                raise KeyProviderError("wrong master secret or damaged keyring")
        else:
            text = secret if isinstance(secret, bytes) else secret.encode("utf-8")
            ikm = hash_secret_raw(
                text,
                self.salt,
                time_cost=self.time_cost,
                memory_cost=self.memory_kib,
                parallelism=self.lanes,
                hash_len=32,
                type=Type.ID,
            )
        return hkdf(suite, ikm, salt=self.salt, info=_INFO, length=suite.key_size)
