"""Signed checkpoints: Ed25519 over (tenant, seq, entry hash, time, kind, key id).

A checkpoint says "the entry at ``seq`` has this chain hash", which, through the
``prev_hash`` links, commits to every entry before it. Whoever lacks the signing key
cannot forge one; whoever has only the public key can check one (exported segments).

The Ed25519 operations themselves live in :mod:`piguard.crypto.signature`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

from piguard.audit.format import SEP
from piguard.crypto.signature import SigningKey, VerifyKey

_LABEL: Final = b"piguard-audit-checkpoint/1\x1e"
#: Kinds of checkpoint: periodic (every N entries / T seconds), shutdown, manual, export,
#: archive (end of an archived segment) and prune (entries up to here were removed).
KINDS: Final = frozenset({"periodic", "shutdown", "manual", "export", "archive", "prune", "restore"})


def key_id_of(public_raw: bytes) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    tenant: str
    seq: int
    kind: str
    time: str
    entry_hash: bytes
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        return checkpoint_message(self.tenant, self.seq, self.kind, self.time, self.entry_hash, self.key_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "time": self.time,
            "entry_hash": self.entry_hash.hex(),
            "key_id": self.key_id,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_dict(cls, tenant: str, doc: dict[str, Any]) -> Checkpoint:
        """:raises ValueError, KeyError, TypeError: the document is malformed."""
        return cls(
            tenant,
            int(doc["seq"]),
            str(doc["kind"]),
            str(doc["time"]),
            bytes.fromhex(doc["entry_hash"]),
            str(doc["key_id"]),
            bytes.fromhex(doc["signature"]),
        )


def checkpoint_message(tenant: str, seq: int, kind: str, time: str, entry_hash: bytes, key_id: str) -> bytes:
    return _LABEL + SEP.join((tenant, str(seq), kind, time, entry_hash.hex(), key_id)).encode("utf-8")


class Signer:
    """Signs checkpoints with the installation's audit key."""

    def __init__(self, private_key: SigningKey) -> None:
        self._key = private_key
        self.public_raw: bytes = private_key.public_raw
        self.key_id = key_id_of(self.public_raw)
        self.verifier = Verifier(self.public_raw)

    def __repr__(self) -> str:
        return f"Signer(key_id={self.key_id})"

    def sign(self, tenant: str, seq: int, kind: str, time: str, entry_hash: bytes) -> Checkpoint:
        if kind not in KINDS:
            raise ValueError(f"unknown checkpoint kind {kind!r}")
        message = checkpoint_message(tenant, seq, kind, time, entry_hash, self.key_id)
        return Checkpoint(tenant, seq, kind, time, entry_hash, self.key_id, self._key.sign(message))


class Verifier:
    """Checks checkpoint signatures against one public key.

    :raises ValueError: ``public_raw`` is not a 32-byte Ed25519 public key.
    """

    def __init__(self, public_raw: bytes) -> None:
        self._key = VerifyKey(public_raw)
        self.public_raw = public_raw
        self.key_id = key_id_of(public_raw)

    def valid(self, checkpoint: Checkpoint) -> bool:
        """The checkpoint names this key and its signature is good."""
        if checkpoint.key_id != self.key_id:
            return False
        return self._key.valid(checkpoint.signature, checkpoint.message())
