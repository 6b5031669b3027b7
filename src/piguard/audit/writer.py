"""Writing the trail: appending entries to the chain, group commit, checkpoints of the head.

Writes fail closed: :meth:`AuditWriter.record` either appends inside the caller's data
transaction (so entry and change commit together) or, with no transaction given, in its
own, and raises :class:`~piguard.errors.AuditFailure` when it cannot: the gate then
returns nothing.

Entries reach the :class:`CommitListener` (the monitor: sinks and rules) only once
committed. Entries appended inside a caller's transaction wait on the connection until
its commit (dropped on rollback) and are delivered when the connection goes back to the
pool; entries of the writer's own transactions are delivered right after their commit.
So a rule that freezes a principal acts before the request that triggered it returns.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, event

from piguard.access.events import AccessEvent
from piguard.audit.chain import CheckpointPolicy, append, checkpoint_head, read_head
from piguard.audit.context import TrailContext, audit_failure
from piguard.audit.entry import AuditEntry, Prepared, prepare
from piguard.audit.signing import Checkpoint
from piguard.errors import AuditFailure
from piguard.store.database import NESTED_WRITE


class CommitListener(Protocol):
    """Who receives committed entries and checkpoints."""

    @property
    def wants_entries(self) -> bool:
        """Whether committed entries are worth decoding at all (there are sinks or rules)."""
        ...

    def deliver(
        self, entries: list[AuditEntry], cps: list[Checkpoint], observed: list[Any] | None = None
    ) -> None:
        """``observed``: what :meth:`observe_in` returned for these entries (None: not run)."""
        ...

    def observe_in(self, conn: Connection, entries: list[AuditEntry]) -> list[Any] | None:
        """Run the monitoring rules over ``entries`` inside ``conn``, the transaction appending
        them (their windows change exactly when the entries commit); None if they could not run
        there (``deliver`` runs them after the commit instead)."""
        ...


class _Nobody:
    """The listener until one is attached: decodes nothing, delivers nowhere."""

    wants_entries = False

    def deliver(
        self, entries: list[AuditEntry], cps: list[Checkpoint], observed: list[Any] | None = None
    ) -> None:
        return None

    def observe_in(self, conn: Connection, entries: list[AuditEntry]) -> list[Any] | None:
        return []


#: What a group commit hands to delivery: its entries, checkpoints, and the rules' findings.
_Delivery = tuple[list[AuditEntry], list[Checkpoint], list[Any] | None]


class _Waiter:
    """One caller's entries in a group commit, and the outcome it waits for."""

    __slots__ = ("done", "error", "last_seq", "prepared")

    def __init__(self, prepared: list[Prepared]) -> None:
        self.prepared = prepared
        self.done = False
        self.error: AuditFailure | None = None
        self.last_seq = 0


class AuditWriter:
    """Appends to one chain and hands what committed to its listener.

    Listens on the database's engine and pool from construction until :meth:`close`.

    :param policy: when a signed checkpoint is due.
    """

    def __init__(self, trail: TrailContext, policy: CheckpointPolicy) -> None:
        self.trail = trail
        self.policy = policy
        #: Set by the owner once the monitor exists (the monitor writes through this writer).
        self.listener: CommitListener = _Nobody()
        # Group commit of entries written outside a caller's transaction (reads, logins): see
        # _append_grouped.
        self._group = threading.Condition(threading.Lock())
        self._group_pending: list[_Waiter] = []
        self._group_leader = False
        self._pending = f"piguard.audit.pending.{id(self)}"
        self._committed = f"piguard.audit.committed.{id(self)}"
        self.closed = False
        engine = trail.db.engine
        event.listen(engine, "commit", self._on_commit)
        event.listen(engine, "rollback", self._on_rollback)
        event.listen(engine.pool, "checkin", self._on_checkin)

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
                time=self.trail.clock.now(),
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
        if self.closed:
            raise AuditFailure("the audit log is closed")
        try:
            prepared = [prepare(e, self.trail.keys, self.trail.tenant) for e in events]
        except (ValueError, TypeError) as exc:
            raise AuditFailure(f"audit entry could not be built: {exc}") from None
        if conn is None:
            if self.trail.db.holds_write():
                # The group's leader (this thread or another) would wait for this thread's own
                # write lock until busy_timeout, stalling every other writer meanwhile.
                raise RuntimeError(NESTED_WRITE)
            return self._append_grouped(prepared)
        try:
            last_seq, _, _ = self.append(conn, prepared, stash=True)
        except Exception as exc:
            raise audit_failure("audit entry could not be written", exc) from None
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
        delivered: _Delivery | None = None
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
                    delivered = self._flush_group(batch)
                finally:
                    self._group.acquire()
                    self._group_leader = False
                    self._group.notify_all()
        if delivered is not None:
            # Delivered (sinks, monitoring) only once leadership is given up: a monitoring rule
            # that raises an alert appends through this writer again, and would otherwise wait
            # for the leadership its own thread holds.
            self._committed_out(*delivered)
        if waiter.error is not None:
            raise waiter.error
        return waiter.last_seq

    def _flush_group(self, batch: list[_Waiter]) -> _Delivery | None:
        """Write ``batch`` in one transaction; returns what to deliver once committed (None if
        the transaction failed: every waiter then carries the failure).

        The monitoring rules' windows are updated in the same transaction (one write
        transaction per group, not two: the rules' state is what every node shares); the
        alerts they raise are stored after the commit, when delivered."""
        everything = [p for w in batch for p in w.prepared]
        try:
            with self.trail.db.transaction() as own:
                last_seq, entries, cps = self.append(own, everything, stash=False)
                observed = self.listener.observe_in(own, entries) if entries else []
        except Exception as exc:
            failure = audit_failure("audit entry could not be written", exc)
            for w in batch:
                w.error, w.done = failure, True
            return None
        # Sequence numbers are consecutive within the transaction, in batch order.
        seq = last_seq - len(everything)
        for w in batch:
            seq += len(w.prepared)
            w.last_seq, w.done = seq, True
        return entries, cps, observed

    def append(
        self, conn: Connection, prepared: list[Prepared], *, stash: bool
    ) -> tuple[int, list[AuditEntry], list[Checkpoint]]:
        """Append ``prepared`` inside ``conn``'s transaction, signing a checkpoint if one is due.

        :param stash: keep the decoded entries on the connection, for delivery after its
            commit; without it the caller delivers what is returned once it committed.
        :returns: the last sequence number, the decoded entries, the checkpoints written.
        """
        trail = self.trail
        appended, cp = append(
            conn,
            trail.tenant,
            prepared,
            keys=trail.keys,
            signer=trail.signer,
            policy=self.policy,
            now=trail.clock.now(),
        )
        # Decoded entries only feed sinks and rules; skip the work when there are none.
        entries = (
            [AuditEntry.from_prepared(a.seq, a.prepared, a.prev_hash, a.entry_hash) for a in appended]
            if self.listener.wants_entries
            else []
        )
        cps = [cp] if cp is not None else []
        if stash and (entries or cps):
            conn.info.setdefault(self._pending, []).append((entries, cps))
        return (appended[-1].seq if appended else 0), entries, cps

    def checkpoint(self, kind: str = "manual") -> int:
        """Sign the current head now.

        :returns: the sequence number signed (0 when the chain is empty).
        :raises AuditFailure: the checkpoint could not be written.
        """
        trail = self.trail
        try:
            with trail.db.transaction() as conn:
                cp = checkpoint_head(conn, trail.tenant, trail.signer, kind, trail.clock.now())
                head = read_head(conn, trail.tenant, lock=False)
        except Exception as exc:
            raise audit_failure("checkpoint could not be written", exc) from None
        if cp is not None:
            self._committed_out([], [cp])
        return head.seq if head else 0

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
            self._committed_out(entries, cps)

    def _committed_out(
        self, entries: list[AuditEntry], cps: list[Checkpoint], observed: list[Any] | None = None
    ) -> None:
        # Anchors first: a checkpoint is worth what its publication is worth (audit.anchors).
        if cps:
            self.trail.publish(cps)
        self.listener.deliver(entries, cps, observed)

    def close(self) -> None:
        """Refuse further writes and stop listening on the database. Idempotent."""
        self.closed = True
        engine = self.trail.db.engine
        for target, name, fn in (
            (engine, "commit", self._on_commit),
            (engine, "rollback", self._on_rollback),
            (engine.pool, "checkin", self._on_checkin),
        ):
            if event.contains(target, name, fn):
                event.remove(target, name, fn)
