"""Anchors: copies of the signed checkpoints kept outside the data database.

A signed checkpoint proves the chain up to its entry, but only while it is still there:
an attacker who can edit the data database can delete the tail *and* the checkpoints
that vouched for it, point the head back, and the remaining chain verifies. That is the
transparency-log lesson (Trillian, Sigsum): a signed head is worth what its publication
is worth. So every committed checkpoint is also published to places the database's
editor does not control, and :meth:`AuditLog.verify` checks that the newest checkpoint
each of them holds is still in the database, with the same hash, and that the chain
extends it; otherwise it reports a **rollback**.

- :class:`KeyStoreAnchor` - the key store (its own SQLite file, or its own PostgreSQL
  schema), always on.
- :class:`FileWitness` - a JSON Lines file the operator names (``audit_witness``), ideally
  on another host or an append-only mount; each line is one signed checkpoint.
- The JSON Lines audit sink (:class:`~piguard.audit.sinks.JsonLinesSink`) already receives
  every checkpoint and can be read back the same way; a syslog collector receives them too
  (its copy is checked by ``piguard audit verify --witness <file>``).

Publishing happens after the checkpoint's transaction committed (a rolled-back checkpoint
must never be anchored) and is best-effort: an anchor that cannot be written is logged
and never fails a request; it only leaves the previous anchor as the newest.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from piguard.audit.signing import Checkpoint, Verifier


@runtime_checkable
class AnchorSource(Protocol):
    """Somewhere signed checkpoints can be read back from."""

    @property
    def name(self) -> str:
        """What the verification report calls this place (no secrets, no credentials)."""
        ...

    def latest(self, tenant: str, verifier: Verifier) -> Checkpoint | None:
        """The newest checkpoint of ``tenant`` held here whose signature ``verifier`` accepts."""
        ...


class Anchor(AnchorSource, Protocol):
    """An anchor source the trail publishes every committed checkpoint to."""

    def publish(self, cp: Checkpoint) -> None:
        """Keep ``cp``. :raises Exception: any failure (the caller logs it)."""
        ...


class KeyStoreLike(Protocol):
    """The part of :class:`~piguard.store.KeyStore` an anchor needs."""

    def put_audit_anchor(self, tenant: str, document: dict[str, Any]) -> None: ...

    def audit_anchor(self, tenant: str) -> dict[str, Any] | None: ...


class KeyStoreAnchor:
    """The newest checkpoint per tenant, in the key store (only ever moves forward)."""

    name = "key store"

    def __init__(self, keys: KeyStoreLike) -> None:
        self._keys = keys

    def publish(self, cp: Checkpoint) -> None:
        self._keys.put_audit_anchor(cp.tenant, cp.as_dict())

    def latest(self, tenant: str, verifier: Verifier) -> Checkpoint | None:
        doc = self._keys.audit_anchor(tenant)
        if doc is None:
            return None
        cp = Checkpoint.from_dict(tenant, doc)
        return cp if verifier.valid(cp) else None


def latest_in_lines(path: Path, tenant: str, verifier: Verifier) -> Checkpoint | None:
    """The newest validly signed checkpoint of ``tenant`` in a JSON Lines file.

    Lines that are not checkpoints of this tenant, are damaged, or carry a bad signature
    are skipped: a forged line can never stand in for a real checkpoint, and a line
    torn by a crash does not hide the ones before it.
    """
    best: Checkpoint | None = None
    try:
        fh = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    with fh:
        for line in fh:
            try:
                doc = json.loads(line)
                if not isinstance(doc, dict) or doc.get("type") != "checkpoint":
                    continue
                if doc.get("tenant", tenant) != tenant:
                    continue
                cp = Checkpoint.from_dict(tenant, doc)
            except (ValueError, KeyError, TypeError):
                continue
            if verifier.valid(cp) and (best is None or cp.seq >= best.seq):
                best = cp
    return best


class FileWitness:
    """Appends every checkpoint to a JSON Lines file (synced: a witness must survive a crash).

    :param path: the file; created (mode 0600) on the first checkpoint.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"witness {self.path}"

    def publish(self, cp: Checkpoint) -> None:
        line = json.dumps({"type": "checkpoint", "tenant": cp.tenant, **cp.as_dict()}, separators=(",", ":"))
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def latest(self, tenant: str, verifier: Verifier) -> Checkpoint | None:
        return latest_in_lines(self.path, tenant, verifier)
