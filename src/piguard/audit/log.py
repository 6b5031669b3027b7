"""The audit log: the gate's recorder, the verifier, the query and retention front door.

Writes fail closed: :meth:`AuditLog.record` either appends inside the caller's data
transaction (so entry and change commit together) or, with no transaction given, in its
own, and raises :class:`~piguard.errors.AuditFailure` when it cannot: the gate then
returns nothing.

Entries reach sinks and monitoring rules only once committed. Entries appended inside a
caller's transaction wait on the connection until its commit (dropped on rollback) and
are delivered when the connection goes back to the pool; entries of the log's own
transactions are delivered right after their commit. So a rule that freezes a principal
acts before the request that triggered it returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, delete, event, func, insert, select, update

from piguard.access.events import AccessEvent
from piguard.audit import alerts as alerts_mod
from piguard.audit import reader
from piguard.audit.chain import (
    CheckpointPolicy,
    append,
    checkpoint_head,
    lock_head,
    read_head,
    write_checkpoint,
)
from piguard.audit.entry import AuditEntry, Prepared, prepare
from piguard.audit.export import verify_file, write_segment
from piguard.audit.format import format_time
from piguard.audit.keys import AuditKeys
from piguard.audit.rules import AlertDraft, Rule, default_rules, evaluate
from piguard.audit.signing import Checkpoint, Signer
from piguard.audit.sinks import ALERT, CHECKPOINT, ENTRY, Sink
from piguard.audit.tables import audit_alerts, audit_archives, audit_entries
from piguard.audit.verify import Segment, VerifyReport, verify_rows
from piguard.clock import Clock, SystemClock
from piguard.crypto.keyring import Keyring
from piguard.errors import AuditFailure, ConfigError, Error, NotFound, ValidationError
from piguard.store import Database
from piguard.store._engine import translate

log = logging.getLogger(__name__)

#: R-AUD-2: at least six calendar months; configurable upward only.
MIN_RETENTION_DAYS: Final = 184
MONITOR: Final = "system:monitor"

FreezeAction = Callable[[str, str], None]


def _reason(exc: BaseException) -> str:
    # piguard errors and driver summaries carry no values; anything else is named by type only.
    return str(exc) if isinstance(exc, Error) else type(exc).__name__


class _Waiter:
    """One caller's entries in a group commit, and the outcome it waits for."""

    __slots__ = ("done", "error", "last_seq", "prepared")

    def __init__(self, prepared: list[Prepared]) -> None:
        self.prepared = prepared
        self.done = False
        self.error: AuditFailure | None = None
        self.last_seq = 0


class AuditLog:
    """A tamper-evident audit trail in the data database.

    :param db: the data database (migrated).
    :param keyring: source of ``audit_hmac`` (references, MACs) and the checkpoint signing key.
    :param clock: time of checkpoints, alerts and retention decisions (events carry their own).
    :param tenant: the chain's tenant; one chain per tenant.
    :param sinks: copies of committed entries, checkpoints and alerts (JSON Lines, syslog).
    :param rules: monitoring rules; ``None`` uses :func:`~piguard.audit.rules.default_rules`,
        an empty sequence disables monitoring.
    :param on_freeze: called as ``on_freeze(principal_id, reason)`` when a rule freezes.
    :param retention_days: entries younger than this are never pruned (>= 184, R-AUD-2).
    :param checkpoint_every: write a signed checkpoint every this many entries ...
    :param checkpoint_seconds: ... or when this much time passed since the last one.
    :raises ConfigError: ``retention_days`` is below 184 or a checkpoint setting is not positive.
    """

    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        *,
        clock: Clock | None = None,
        tenant: str = "default",
        sinks: Iterable[Sink] = (),
        rules: Sequence[Rule] | None = None,
        on_freeze: FreezeAction | None = None,
        retention_days: int = MIN_RETENTION_DAYS,
        checkpoint_every: int = 1000,
        checkpoint_seconds: float = 60.0,
    ) -> None:
        if retention_days < MIN_RETENTION_DAYS:
            raise ConfigError(f"audit retention must be at least {MIN_RETENTION_DAYS} days (R-AUD-2)")
        if checkpoint_every < 1 or checkpoint_seconds <= 0:
            raise ConfigError("checkpoint interval must be positive")
        self.db = db
        self.tenant = tenant
        self.clock: Clock = clock or SystemClock()
        self.retention_days = retention_days
        self.sinks: list[Sink] = list(sinks)
        self.rules: list[Rule] = default_rules() if rules is None else list(rules)
        self.on_freeze = on_freeze
        self._keys = AuditKeys(keyring.secret("audit_hmac"), tenant)
        self._signer = Signer(keyring.audit_signing_key())
        self._policy = CheckpointPolicy(checkpoint_every, checkpoint_seconds)
        self._lock = threading.RLock()
        # Group commit of entries written outside a caller's transaction (reads, logins): see
        # _append_grouped.
        self._group = threading.Condition(threading.Lock())
        self._group_pending: list[_Waiter] = []
        self._group_leader = False
        self._pending = f"piguard.audit.pending.{id(self)}"
        self._committed = f"piguard.audit.committed.{id(self)}"
        self._closed = False
        event.listen(db.engine, "commit", self._on_commit)
        event.listen(db.engine, "rollback", self._on_rollback)
        event.listen(db.engine.pool, "checkin", self._on_checkin)

    def __repr__(self) -> str:
        return f"AuditLog({self.db!r}, tenant={self.tenant!r}, key_id={self.key_id})"

    # -- keys and references ---------------------------------------------------------------

    @property
    def public_key(self) -> bytes:
        """The raw Ed25519 public key that verifies this installation's checkpoints."""
        return self._signer.public_raw

    @property
    def key_id(self) -> str:
        return self._signer.key_id

    def customer_ref(self, customer_id: str) -> str:
        """The keyed reference stored instead of ``customer_id`` (``hmac-sha256:...``)."""
        return self._keys.customer_ref(customer_id)

    def record_ref(self, record_type: str, record_id: str) -> str:
        return self._keys.opaque_ref("record", record_type, record_id)

    # -- writing ---------------------------------------------------------------------------

    def record(self, event: AccessEvent, conn: Connection | None = None) -> None:
        """Append one entry: inside ``conn``'s transaction, or in a transaction of its own.

        :raises AuditFailure: the entry could not be written; the caller must not return
            data nor commit the change (raising out of the data transaction rolls it back).
        """
        self.record_many([event], conn)

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
        """Record a use of the trail itself (a query, an export, a reference lookup).

        :raises AuditFailure: not recorded; the caller must not answer.
        """
        self.record(
            AccessEvent(
                time=self.clock.now(),
                actor_id=actor_id,
                role=role,
                action=action,
                purpose="security_audit",
                record_type=None,
                customer_id=customer_id,
                record_id=None,
                fields=(),
                decision="allow",
                rule="",
                result="ok",
                client=client,
                address=address,
                session=session,
                detail=detail,
            )
        )

    def record_many(self, events: Sequence[AccessEvent], conn: Connection | None = None) -> int:
        """Append several entries in one transaction (group commit).

        :returns: the sequence number of the last entry.
        :raises AuditFailure: nothing was written.
        """
        if self._closed:
            raise AuditFailure("the audit log is closed")
        try:
            prepared = [prepare(e, self._keys, self.tenant) for e in events]
        except (ValueError, TypeError) as exc:
            raise AuditFailure(f"audit entry could not be built: {exc}") from None
        if conn is None:
            return self._append_grouped(prepared)
        try:
            last_seq, _, _ = self._append(conn, prepared, stash=True)
        except Exception as exc:
            raise AuditFailure(f"audit entry could not be written: {_reason(exc)}") from None
        return last_seq

    def _append_grouped(self, prepared: list[Prepared]) -> int:
        """Append in a transaction of our own, shared with whatever other threads are waiting.

        Leader/follower group commit: the first caller to find no write in progress takes
        every pending batch and writes them all in one transaction; the others wait for
        that transaction's outcome. Each caller returns only once its own entries are
        committed, or raises :class:`AuditFailure` if that transaction failed, so a read
        is still not answered without its entry (fail closed). Under concurrent load one
        write transaction then serves many requests instead of one each.
        """
        waiter = _Waiter(prepared)
        with self._group:
            self._group_pending.append(waiter)
            while not waiter.done:
                if self._group_leader:
                    self._group.wait()
                    continue
                self._group_leader = True
                batch, self._group_pending = self._group_pending, []
                self._group.release()
                try:
                    self._flush_group(batch)
                finally:
                    self._group.acquire()
                    self._group_leader = False
                    self._group.notify_all()
        if waiter.error is not None:
            raise waiter.error
        return waiter.last_seq

    def _flush_group(self, batch: list[_Waiter]) -> None:
        everything = [p for w in batch for p in w.prepared]
        try:
            with self.db.transaction() as own:
                last_seq, entries, cps = self._append(own, everything, stash=False)
        except Exception as exc:
            failure = AuditFailure(f"audit entry could not be written: {_reason(exc)}")
            for w in batch:
                w.error, w.done = failure, True
            return
        # Sequence numbers are consecutive within the transaction, in batch order.
        seq = last_seq - len(everything)
        for w in batch:
            seq += len(w.prepared)
            w.last_seq, w.done = seq, True
        self._deliver(entries, cps)

    def _append(
        self, conn: Connection, prepared: list[Prepared], *, stash: bool
    ) -> tuple[int, list[AuditEntry], list[Checkpoint]]:
        appended, cp = append(
            conn,
            self.tenant,
            prepared,
            keys=self._keys,
            signer=self._signer,
            policy=self._policy,
            now=self.clock.now(),
        )
        # Decoded entries only feed sinks and rules; skip the work when there are none.
        entries = (
            [AuditEntry.from_prepared(a.seq, a.prepared, a.prev_hash, a.entry_hash) for a in appended]
            if (self.sinks or self.rules)
            else []
        )
        cps = [cp] if cp is not None else []
        if stash and (entries or cps):
            conn.info.setdefault(self._pending, []).append((entries, cps))
        return (appended[-1].seq if appended else 0), entries, cps

    # -- delivery after commit -------------------------------------------------------------

    def _on_commit(self, conn: Connection) -> None:
        items = conn.info.pop(self._pending, None)
        if items:
            conn.info.setdefault(self._committed, []).extend(items)

    def _on_rollback(self, conn: Connection) -> None:
        conn.info.pop(self._pending, None)
        conn.info.pop(self._committed, None)

    def _on_checkin(self, dbapi_connection: Any, record: Any) -> None:
        items = record.info.pop(self._committed, None)
        for entries, cps in items or ():
            self._deliver(entries, cps)

    def _emit(self, kind: str, document: dict[str, Any]) -> None:
        for sink in self.sinks:
            try:
                sink.emit(kind, document)
            except Exception as exc:  # a sink is a copy; the database holds the record
                log.warning("audit sink %s failed: %s", type(sink).__name__, type(exc).__name__)

    def _deliver(self, entries: list[AuditEntry], cps: list[Checkpoint]) -> None:
        try:
            with self._lock:
                for entry in entries:
                    self._emit(ENTRY, entry.as_dict())
                for cp in cps:
                    self._emit(CHECKPOINT, {"tenant": self.tenant, **cp.as_dict()})
                drafts = evaluate(self.rules, entries)
            for draft in drafts:
                self._raise_alert(draft)
        except Exception:
            # Delivery runs after the commit (sometimes inside the pool's check-in): it must
            # never break the caller, whose data change is already durable with its entry.
            log.exception("audit delivery failed")

    def _raise_alert(self, draft: AlertDraft) -> alerts_mod.Alert:
        freeze = draft.freeze and self.on_freeze is not None
        action = "freeze" if freeze else "none"
        alert_id = alerts_mod.new_id()
        now = self.clock.now()
        with self.db.transaction() as conn:
            alert = alerts_mod.store(
                conn, self.tenant, draft, alert_id=alert_id, now=format_time(now), action=action
            )
            self._append(
                conn,
                [
                    self._system(
                        now,
                        "alert",
                        {
                            "alert_id": alert_id,
                            "alert_rule": draft.rule,
                            "subject_principal": draft.principal_id,
                            "action_taken": action,
                        },
                    )
                ],
                stash=True,
            )
        if freeze:
            assert self.on_freeze is not None
            try:
                self.on_freeze(draft.principal_id, f"alert {alert_id}: {draft.summary}")
            except Exception as exc:
                log.error("freezing %s failed: %s", draft.principal_id, type(exc).__name__)
                with self.db.transaction() as conn:
                    conn.execute(
                        update(audit_alerts)
                        .where(audit_alerts.c.id == alert_id)
                        .values(action="freeze_failed")
                    )
        with self._lock:
            self._emit(ALERT, alert.as_dict())
        return alert

    def _system(self, now: datetime, action: str, detail: dict[str, Any], actor: str = MONITOR) -> Prepared:
        return prepare(
            AccessEvent(
                time=now,
                actor_id=actor,
                role="system",
                action=action,
                purpose="audit",
                record_type=None,
                customer_id=None,
                record_id=None,
                fields=(),
                decision="allow",
                rule="",
                result="ok",
                detail=detail,
            ),
            self._keys,
            self.tenant,
        )

    # -- checkpoints and verification -------------------------------------------------------

    def checkpoint(self, kind: str = "manual") -> int:
        """Sign the current head now.

        :returns: the sequence number signed (0 when the chain is empty).
        :raises AuditFailure: the checkpoint could not be written.
        """
        try:
            with self.db.transaction() as conn:
                cp = checkpoint_head(conn, self.tenant, self._signer, kind, self.clock.now())
                head = read_head(conn, self.tenant, lock=False)
        except Exception as exc:
            raise AuditFailure(f"checkpoint could not be written: {_reason(exc)}") from None
        if cp is not None:
            self._deliver([], [cp])
        return head.seq if head else 0

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """One consistent view of the trail (REPEATABLE READ on PostgreSQL)."""
        with translate("audit read"):
            with self.db.engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn

    def verify(self, *, check_macs: bool = True) -> VerifyReport:
        """Check the stored chain against its signed checkpoints, its MACs and the head.

        :param check_macs: also check each entry's MAC (needs this installation's keys).
        :returns: a report naming the first bad entry for each kind of tampering.
        :raises StorageError: the database could not be read.
        """
        report = VerifyReport(source=f"database ({self.tenant})", key_id=self.key_id)
        with self._snapshot() as conn:
            head = read_head(conn, self.tenant, lock=False)
            cps = reader.checkpoints(conn, self.tenant)
            valid = {cp.seq for cp in cps if self._signer.verifier.valid(cp)}
            start, anchor_hash = reader.anchor(conn, self.tenant, cps, valid)
            segment = Segment(
                start,
                anchor_hash,
                cps,
                self._signer.verifier,
                mac_key=self._keys.mac_key if check_macs else None,
                head=head,
            )
            return verify_rows(
                segment, reader.rows(conn, self.tenant, start), reader.lookup(conn, self.tenant), report
            )

    # -- queries ----------------------------------------------------------------------------

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
    ) -> list[AuditEntry]:
        """Entries matching every given filter, oldest first (``after_seq`` pages on).

        :param customer_id: computed into its reference; or pass ``customer_ref`` directly.
        :raises StorageError: the database could not be read.
        """
        ref = self.customer_ref(customer_id) if customer_id is not None else customer_ref
        flt = reader.Filter(ref, actor, action, since, until, after_seq, limit)
        with self.db.read() as conn:
            return reader.query(conn, self.tenant, flt)

    def customer_history(self, customer_id: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """One customer's own access history, for the privacy centre: staff appear by role
        and purpose, never by name or id."""
        out: list[dict[str, Any]] = []
        for e in self.query(customer_id=customer_id, limit=limit):
            if e.actor_id.startswith("system:"):
                continue
            out.append(
                {
                    "time": e.time,
                    "action": e.action,
                    "by_role": e.role,
                    "purpose": e.purpose,
                    "record_type": e.record_type or None,
                    "fields": list(e.fields),
                    "decision": e.decision,
                    "result": e.result,
                }
            )
        return out

    # -- alerts -----------------------------------------------------------------------------

    def alerts(self, *, status: str | None = None, limit: int = 100) -> list[alerts_mod.Alert]:
        with self.db.read() as conn:
            return alerts_mod.listing(conn, self.tenant, status=status, limit=limit)

    def ack_alert(self, alert_id: str, *, by: str, comment: str) -> alerts_mod.Alert:
        """Acknowledge an open alert with a comment; the acknowledgement is itself audited.

        :raises ValidationError: empty comment. :raises NotFound: no such alert.
        :raises Conflict: already acknowledged.
        """
        now = self.clock.now()
        with self.db.transaction() as conn:
            alert = alerts_mod.acknowledge(
                conn, self.tenant, alert_id, by=by, comment=comment, now=format_time(now)
            )
            self._append(conn, [self._system(now, "alert_ack", {"alert_id": alert_id}, actor=by)], stash=True)
        return alert

    # -- export, archive, prune -------------------------------------------------------------

    def export(
        self,
        path: str | Path,
        *,
        first_seq: int | None = None,
        last_seq: int | None = None,
        kind: str = "export",
    ) -> dict[str, Any]:
        """Write entries ``first_seq..last_seq`` (default: everything stored) as a segment that
        verifies on its own; a checkpoint is signed at its end first.

        :raises NotFound: the range holds no entries.
        :raises AuditFailure: the closing checkpoint could not be written.
        """
        now = self.clock.now()
        try:
            with self.db.transaction() as conn:
                head = lock_head(conn, self.tenant)
                last = head.seq if last_seq is None else min(last_seq, head.seq)
                cps = reader.checkpoints(conn, self.tenant)
                valid = {cp.seq for cp in cps if self._signer.verifier.valid(cp)}
                start, _ = reader.anchor(conn, self.tenant, cps, valid)
                first = start if first_seq is None else max(first_seq, start)
                if last < first:
                    raise NotFound("no audit entries in that range")
                row = conn.execute(
                    select(audit_entries.c.prev_hash, audit_entries.c.entry_hash)
                    .where(audit_entries.c.tenant == self.tenant, audit_entries.c.seq.in_([first, last]))
                    .order_by(audit_entries.c.seq)
                ).all()
                if len(row) != (1 if first == last else 2):
                    raise NotFound("the range's first or last entry is missing")
                anchor_hash, last_hash = bytes(row[0][0]), bytes(row[-1][1])
                if not any(cp.seq == last and cp.kind == kind for cp in cps):
                    write_checkpoint(
                        conn, self._signer.sign(self.tenant, last, kind, format_time(now), last_hash)
                    )
        except Error:
            raise
        except Exception as exc:
            raise AuditFailure(f"export checkpoint could not be written: {_reason(exc)}") from None
        with self._snapshot() as conn:
            in_range = reader.checkpoints(conn, self.tenant, first, last)
            count, digest = write_segment(
                Path(path),
                tenant=self.tenant,
                public_raw=self.public_key,
                key_id=self.key_id,
                first_seq=first,
                last_seq=last,
                anchor_hash=anchor_hash,
                checkpoints=in_range,
                entries=reader.entries_between(conn, self.tenant, first, last),
                exported_at=format_time(now),
            )
        return {
            "file": str(path),
            "first_seq": first,
            "last_seq": last,
            "entries": count,
            "sha256": digest,
            "key_id": self.key_id,
        }

    def archive_and_prune(
        self, before: datetime, out_path: str | Path, *, actor: str = "system:retention"
    ) -> dict[str, Any]:
        """Archive the entries older than ``before`` to ``out_path``, verify the archive,
        then delete them. The chain stays verifiable: a signed ``prune`` checkpoint marks
        where the stored part now starts.

        :raises ValidationError: ``before`` is within the retention period (R-AUD-2).
        :raises AuditFailure: the archive did not verify (nothing was pruned).
        """
        now = self.clock.now()
        if before > now - timedelta(days=self.retention_days):
            raise ValidationError(
                f"entries younger than the retention period ({self.retention_days} days) cannot be pruned",
                "before",
            )
        with self._snapshot() as conn:
            head = read_head(conn, self.tenant, lock=False)
            cps = reader.checkpoints(conn, self.tenant)
            valid = {cp.seq for cp in cps if self._signer.verifier.valid(cp)}
            start, _ = reader.anchor(conn, self.tenant, cps, valid)
            young = conn.execute(
                select(func.min(audit_entries.c.seq)).where(
                    audit_entries.c.tenant == self.tenant, audit_entries.c.time >= format_time(before)
                )
            ).scalar()
        through = (int(young) - 1) if young is not None else (head.seq if head else 0)
        if through < start:
            return {"pruned": 0, "through_seq": start - 1, "file": None}
        info = self.export(out_path, first_seq=start, last_seq=through, kind="archive")
        report = verify_file(out_path, self.public_key, mac_key=self._keys.mac_key)
        if not report.ok or info["entries"] != through - start + 1:
            raise AuditFailure("the archive did not verify; nothing was pruned")
        with self.db.transaction() as conn:
            lock_head(conn, self.tenant)
            last_hash = conn.execute(
                select(audit_entries.c.entry_hash).where(
                    audit_entries.c.tenant == self.tenant, audit_entries.c.seq == through
                )
            ).scalar_one()
            write_checkpoint(
                conn, self._signer.sign(self.tenant, through, "prune", format_time(now), bytes(last_hash))
            )
            conn.execute(
                insert(audit_archives).values(
                    tenant=self.tenant,
                    through_seq=through,
                    through_hash=bytes(last_hash),
                    archived_at=format_time(now),
                    file=str(out_path),
                    file_sha256=info["sha256"],
                    entries=info["entries"],
                )
            )
            conn.execute(
                delete(audit_entries).where(
                    audit_entries.c.tenant == self.tenant, audit_entries.c.seq <= through
                )
            )
            self._append(
                conn,
                [
                    self._system(
                        now, "audit_prune", {"through_seq": through, "entries": info["entries"]}, actor=actor
                    )
                ],
                stash=True,
            )
        return {
            "pruned": info["entries"],
            "through_seq": through,
            "file": str(out_path),
            "sha256": info["sha256"],
        }

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Sign a shutdown checkpoint, stop listening, close the sinks. Idempotent."""
        if self._closed:
            return
        try:
            self.checkpoint("shutdown")
        except AuditFailure as exc:
            log.error("shutdown checkpoint failed: %s", exc)
        self._closed = True
        for target, name, fn in (
            (self.db.engine, "commit", self._on_commit),
            (self.db.engine, "rollback", self._on_rollback),
            (self.db.engine.pool, "checkin", self._on_checkin),
        ):
            if event.contains(target, name, fn):
                event.remove(target, name, fn)
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:
                log.warning("closing audit sink %s failed", type(sink).__name__)
