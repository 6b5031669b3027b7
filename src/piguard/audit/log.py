"""The audit log: the gate's recorder, the verifier, the query and retention front door.

Writes fail closed: :meth:`AuditLog.record` either appends inside the caller's data
transaction (so entry and change commit together) or, with no transaction given, in its
own, and raises :class:`~piguard.errors.AuditFailure` when it cannot: the gate then
returns nothing. Entries reach sinks and monitoring rules only once committed, and before
the request that triggered them returns (see :mod:`piguard.audit.writer`).

:class:`AuditLog` is a facade over parts sharing one :class:`~piguard.audit.context.TrailContext`,
each usable on its own:

- :attr:`AuditLog.writer` – appends, group commit, checkpoints of the head;
- :attr:`AuditLog.monitor` – sinks, rules, alerts, freezing;
- :attr:`AuditLog.reader` – verification, queries, a customer's history;
- :attr:`AuditLog.retention` – export, archive and prune.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from piguard.access.events import AccessEvent
from piguard.audit import alerts as alerts_mod
from piguard.audit.anchors import Anchor, AnchorSource
from piguard.audit.chain import CheckpointPolicy
from piguard.audit.context import TrailContext
from piguard.audit.entry import AuditEntry
from piguard.audit.keys import AuditKeys
from piguard.audit.monitor import MONITOR, AuditMonitor, FreezeAction
from piguard.audit.reader import AuditReader
from piguard.audit.retention import MIN_RETENTION_DAYS, AuditRetention
from piguard.audit.rules import AlertDraft, Rule
from piguard.audit.signing import Signer
from piguard.audit.sinks import Sink
from piguard.audit.verify import VerifyReport
from piguard.audit.writer import AuditWriter
from piguard.clock import Clock, SystemClock
from piguard.crypto.keyring import Keyring
from piguard.errors import AuditFailure, ConfigError
from piguard.facade import Forward
from piguard.store import Database

log = logging.getLogger(__name__)

# Re-exported: callers import these from here.
__all__ = ["MIN_RETENTION_DAYS", "MONITOR", "AuditLog", "FreezeAction"]


class AuditLog:
    """A tamper-evident audit trail in the data database.

    :param db: the data database (migrated).
    :param keyring: source of ``audit_hmac`` (references, MACs) and the checkpoint signing key.
    :param clock: time of checkpoints, alerts and retention decisions (events carry their own).
    :param tenant: the chain's tenant; one chain per tenant.
    :param sinks: copies of committed entries, checkpoints and alerts (JSON Lines, syslog).
    :param anchors: where every committed checkpoint is also published, outside the data
        database (the key store, a witness file); :meth:`verify` checks the chain still holds
        their newest checkpoint (:mod:`piguard.audit.anchors`).
    :param rules: monitoring rules; ``None`` uses :func:`~piguard.audit.rules.default_rules`,
        an empty sequence disables monitoring.
    :param on_freeze: called as ``on_freeze(principal_id, reason)`` when a rule freezes.
    :param retention_days: entries younger than this are never pruned (>= 184, R-AUD-2).
    :param checkpoint_every: write a signed checkpoint every this many entries ...
    :param checkpoint_seconds: ... or when this much time passed since the last one.
    :raises ConfigError: ``retention_days`` is below 184 or a checkpoint setting is not positive.
    """

    # Kept on the parts that use them; reading or assigning them here reaches those parts
    # (the installation wires ``on_freeze`` after building the access control).
    db = Forward[Database]("trail")
    tenant = Forward[str]("trail")
    clock = Forward[Clock]("trail")
    sinks = Forward[list[Sink]]("monitor")
    rules = Forward[list[Rule]]("monitor")
    on_freeze = Forward[FreezeAction | None]("monitor")
    retention_days = Forward[int]("retention")

    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        *,
        clock: Clock | None = None,
        tenant: str = "default",
        sinks: Iterable[Sink] = (),
        anchors: Iterable[Anchor] = (),
        rules: Sequence[Rule] | None = None,
        on_freeze: FreezeAction | None = None,
        retention_days: int = MIN_RETENTION_DAYS,
        checkpoint_every: int = 1000,
        checkpoint_seconds: float = 60.0,
    ) -> None:
        # Checked before any key is read or any listener attached to the engine.
        if retention_days < MIN_RETENTION_DAYS:
            raise ConfigError(f"audit retention must be at least {MIN_RETENTION_DAYS} days (R-AUD-2)")
        if checkpoint_every < 1 or checkpoint_seconds <= 0:
            raise ConfigError("checkpoint interval must be positive")
        self.trail = TrailContext(
            db,
            tenant,
            clock or SystemClock(),
            AuditKeys(keyring.secret("audit_hmac"), tenant),
            Signer(keyring.audit_signing_key()),
            anchors,
        )
        self.writer = AuditWriter(self.trail, CheckpointPolicy(checkpoint_every, checkpoint_seconds))
        self.monitor = AuditMonitor(self.trail, self.writer, sinks=sinks, rules=rules, on_freeze=on_freeze)
        # The monitor writes its alerts through the writer, so it is attached once both exist.
        self.writer.listener = self.monitor
        self.reader = AuditReader(self.trail)
        self.retention = AuditRetention(self.trail, self.writer, retention_days)

    def __repr__(self) -> str:
        return f"AuditLog({self.db!r}, tenant={self.tenant!r}, key_id={self.key_id})"

    # -- keys and references ---------------------------------------------------------------

    @property
    def public_key(self) -> bytes:
        """The raw Ed25519 public key that verifies this installation's checkpoints."""
        return self.trail.signer.public_raw

    @property
    def key_id(self) -> str:
        return self.trail.signer.key_id

    def customer_ref(self, customer_id: str) -> str:
        """The keyed reference stored instead of ``customer_id`` (``hmac-sha256:...``)."""
        return self.trail.keys.customer_ref(customer_id)

    def record_ref(self, record_type: str, record_id: str) -> str:
        return self.trail.keys.opaque_ref("record", record_type, record_id)

    # -- writing ---------------------------------------------------------------------------

    def record(self, event: AccessEvent, conn: Connection | None = None) -> None:
        """See :meth:`AuditWriter.record`: one entry, in ``conn``'s transaction or its own.

        :raises AuditFailure: the entry could not be written; the caller must not return
            data nor commit the change.
        """
        self.writer.record(event, conn)

    def note(
        self,
        actor_id: str,
        role: str,
        action: str,
        *,
        customer_id: str | None = None,
        client: str | None = None,
        address: str | None = None,
        session: str | None = None,
        **detail: Any,
    ) -> None:
        """See :meth:`AuditWriter.note`: a use of the trail itself.

        :raises AuditFailure: not recorded; the caller must not answer.
        """
        self.writer.note(
            actor_id,
            role,
            action,
            customer_id=customer_id,
            client=client,
            address=address,
            session=session,
            **detail,
        )

    def record_many(self, events: Sequence[AccessEvent], conn: Connection | None = None) -> int:
        """See :meth:`AuditWriter.record_many`: several entries in one transaction.

        :raises AuditFailure: nothing was written.
        """
        return self.writer.record_many(events, conn)

    def checkpoint(self, kind: str = "manual") -> int:
        """See :meth:`AuditWriter.checkpoint`: sign the current head now.

        :raises AuditFailure: the checkpoint could not be written.
        """
        return self.writer.checkpoint(kind)

    # -- monitoring -------------------------------------------------------------------------

    def _raise_alert(self, draft: AlertDraft) -> alerts_mod.Alert:
        # The monitoring rules' own entry point, kept here for tests that raise a synthetic alert.
        return self.monitor.raise_alert(draft)

    def alerts(self, *, status: str | None = None, limit: int = 100) -> list[alerts_mod.Alert]:
        """See :meth:`AuditMonitor.alerts`."""
        return self.monitor.alerts(status=status, limit=limit)

    def ack_alert(
        self, alert_id: str, *, by: str, comment: str, conn: Connection | None = None
    ) -> alerts_mod.Alert:
        """See :meth:`AuditMonitor.ack_alert`: acknowledged with a comment, itself audited."""
        return self.monitor.ack_alert(alert_id, by=by, comment=comment, conn=conn)

    # -- verification and queries -----------------------------------------------------------

    def verify(self, *, check_macs: bool = True, witnesses: Iterable[AnchorSource] = ()) -> VerifyReport:
        """See :meth:`AuditReader.verify`: the stored chain checked, against the anchors, the
        sinks that can be read back (JSON Lines) and any further ``witnesses``.

        :raises StorageError: the database could not be read.
        """
        readable = [s for s in self.sinks if isinstance(s, AnchorSource)]
        return self.reader.verify(check_macs=check_macs, sources=[*readable, *witnesses])

    def query(
        self,
        *,
        customer_id: str | None = None,
        customer_ref: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int | None = None,
        limit: int = 100,
        through_seq: int | None = None,
        newest_first: bool = False,
        decision: str | None = None,
    ) -> list[AuditEntry]:
        """See :meth:`AuditReader.query`: entries matching every filter, oldest first (or newest)."""
        return self.reader.query(
            customer_id=customer_id,
            customer_ref=customer_ref,
            actor=actor,
            action=action,
            since=since,
            until=until,
            after_seq=after_seq,
            limit=limit,
            through_seq=through_seq,
            newest_first=newest_first,
            decision=decision,
        )

    def window(
        self,
        *,
        actors: Collection[str] = (),
        actions: Collection[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[AuditEntry], VerifyReport]:
        """See :meth:`AuditReader.window`: a window's entries, after verifying its chain."""
        return self.reader.window(actors=actors, actions=actions, since=since, until=until)

    def customer_history(self, customer_id: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """See :meth:`AuditReader.customer_history`: staff by role and purpose only."""
        return self.reader.customer_history(customer_id, limit=limit)

    # -- export, archive, prune -------------------------------------------------------------

    def export(
        self,
        path: str | Path,
        *,
        first_seq: int | None = None,
        last_seq: int | None = None,
        kind: str = "export",
    ) -> dict[str, Any]:
        """See :meth:`AuditRetention.export`: a segment that verifies on its own.

        :raises NotFound: the range holds no entries.
        :raises AuditFailure: the closing checkpoint could not be written.
        """
        return self.retention.export(path, first_seq=first_seq, last_seq=last_seq, kind=kind)

    def archive_and_prune(
        self, before: datetime, out_path: str | Path, *, actor: str = "system:retention"
    ) -> dict[str, Any]:
        """See :meth:`AuditRetention.archive_and_prune`.

        :raises ValidationError: ``before`` is within the retention period (R-AUD-2).
        :raises AuditFailure: the archive did not verify (nothing was pruned).
        """
        return self.retention.archive_and_prune(before, out_path, actor=actor)

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Sign a shutdown checkpoint, stop listening, close the sinks. Idempotent."""
        if self.writer.closed:
            return
        try:
            self.checkpoint("shutdown")
        except AuditFailure as exc:
            log.error("shutdown checkpoint failed: %s", exc)
        self.writer.close()
        self.monitor.close()
