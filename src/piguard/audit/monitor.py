"""Monitoring: committed entries copied to the sinks and run through the rules; alerts raised, acknowledged.

The :class:`AuditMonitor` is the writer's :class:`~piguard.audit.writer.CommitListener`: it
sees an entry only once the entry is committed. When a rule fires it stores the alert,
records that in the trail, freezes the principal if the rule says so (through
``on_freeze``) and copies the alert to the sinks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from sqlalchemy import Connection, update

from piguard.audit import alerts as alerts_mod
from piguard.audit.context import TrailContext
from piguard.audit.entry import AuditEntry
from piguard.audit.format import format_time
from piguard.audit.rules import AlertDraft, Rule, default_rules, evaluate
from piguard.audit.signing import Checkpoint
from piguard.audit.sinks import ALERT, CHECKPOINT, ENTRY, Sink
from piguard.audit.tables import audit_alerts
from piguard.audit.writer import AuditWriter
from piguard.nodestate.rules import DatabaseRuleState

log = logging.getLogger(__name__)

#: The actor of the monitor's own entries (the rules ignore ``system:`` actors).
MONITOR: Final = "system:monitor"

FreezeAction = Callable[[str, str], None]


class AuditMonitor:
    """Sinks, rules and alerts over one trail.

    :param writer: where alert entries are appended (in the alert's own transaction).
    :param rules: monitoring rules; ``None`` uses :func:`~piguard.audit.rules.default_rules`,
        an empty sequence disables monitoring.
    :param on_freeze: called as ``on_freeze(principal_id, reason)`` when a rule freezes.
    """

    def __init__(
        self,
        trail: TrailContext,
        writer: AuditWriter,
        *,
        sinks: Iterable[Sink] = (),
        rules: Sequence[Rule] | None = None,
        on_freeze: FreezeAction | None = None,
    ) -> None:
        self.trail = trail
        self.writer = writer
        self.sinks: list[Sink] = list(sinks)
        self.rules: list[Rule] = default_rules() if rules is None else list(rules)
        #: The rules' windows and cooldowns, in the database every node shares (issue 12).
        self.state = DatabaseRuleState(trail.db, trail.tenant)
        for rule in self.rules:
            if hasattr(rule, "state"):
                rule.state = self.state
        self.on_freeze = on_freeze
        # Sinks write one document at a time: deliveries from several threads (commits, pool
        # check-ins) take turns; the rules' state is serialised by the database.
        self._lock = threading.RLock()

    @property
    def wants_entries(self) -> bool:
        return bool(self.sinks or self.rules)

    def _emit(self, kind: str, document: dict[str, Any]) -> None:
        for sink in self.sinks:
            try:
                sink.emit(kind, document)
            except Exception as exc:  # a sink is a copy; the database holds the record
                log.warning("audit sink %s failed: %s", type(sink).__name__, type(exc).__name__)

    def observe_in(self, conn: Connection, entries: list[AuditEntry]) -> list[AlertDraft] | None:
        """Run the rules over ``entries`` inside ``conn``, the group commit's transaction that
        appends them, under a savepoint: their windows commit with the entries, in one write
        transaction. A failure rolls back to the savepoint only (the entries still commit) and
        returns None, so :meth:`deliver` runs the rules after the commit as before. No lock of
        this monitor is taken here (the sinks' lock may be held by a delivery that waits for the
        write lock this transaction holds); the rules' state is serialised by the database."""
        if not self.rules:
            return []
        try:
            with conn.begin_nested(), self.state.within(conn):
                return evaluate(self.rules, entries)
        except Exception:
            log.exception("monitoring rules could not run with the entries; running them after")
            return None

    def deliver(
        self, entries: list[AuditEntry], cps: list[Checkpoint], observed: list[Any] | None = None
    ) -> None:
        """Copy committed entries and checkpoints to the sinks, run the rules (unless
        :meth:`observe_in` ran them already: ``observed``), raise their alerts."""
        try:
            with self._lock:
                for entry in entries:
                    self._emit(ENTRY, entry.as_dict())
                for cp in cps:
                    self._emit(CHECKPOINT, {"tenant": self.trail.tenant, **cp.as_dict()})
                if observed is None:
                    with self.state.batch():
                        drafts = evaluate(self.rules, entries)
                else:
                    drafts = list(observed)
            for draft in drafts:
                self.raise_alert(draft)
        except Exception:
            # Delivery runs after the commit (sometimes inside the pool's check-in): it must
            # never break the caller, whose data change is already durable with its entry.
            log.exception("audit delivery failed")

    def raise_alert(self, draft: AlertDraft) -> alerts_mod.Alert:
        """Store an alert and its entry, freeze if the rule asks and a freeze is wired, copy it out."""
        trail = self.trail
        freeze = draft.freeze and self.on_freeze is not None
        action = "freeze" if freeze else "none"
        alert_id = alerts_mod.new_id()
        now = trail.clock.now()
        with trail.db.transaction() as conn:
            alert = alerts_mod.store(
                conn, trail.tenant, draft, alert_id=alert_id, now=format_time(now), action=action
            )
            self.writer.append(
                conn,
                [
                    trail.system_entry(
                        now,
                        "alert",
                        {
                            "alert_id": alert_id,
                            "alert_rule": draft.rule,
                            "subject_principal": draft.principal_id,
                            "action_taken": action,
                        },
                        MONITOR,
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
                with trail.db.transaction() as conn:
                    conn.execute(
                        update(audit_alerts)
                        .where(audit_alerts.c.id == alert_id)
                        .values(action="freeze_failed")
                    )
        with self._lock:
            self._emit(ALERT, alert.as_dict())
        return alert

    def alerts(self, *, status: str | None = None, limit: int = 100) -> list[alerts_mod.Alert]:
        with self.trail.db.read() as conn:
            return alerts_mod.listing(conn, self.trail.tenant, status=status, limit=limit)

    def ack_alert(
        self, alert_id: str, *, by: str, comment: str, conn: Connection | None = None
    ) -> alerts_mod.Alert:
        """Acknowledge an open alert with a comment; the acknowledgement is itself audited.

        :param conn: the gate's transaction, in which the ``alert_ack`` operation's entry commits;
            without one, the acknowledgement records its own entry.
        :raises ValidationError: empty comment. :raises NotFound: no such alert.
        :raises Conflict: already acknowledged.
        """
        trail = self.trail
        now = trail.clock.now()
        if conn is not None:
            return alerts_mod.acknowledge(
                conn, trail.tenant, alert_id, by=by, comment=comment, now=format_time(now)
            )
        with trail.db.transaction() as own:
            alert = alerts_mod.acknowledge(
                own, trail.tenant, alert_id, by=by, comment=comment, now=format_time(now)
            )
            self.writer.append(
                own, [trail.system_entry(now, "alert_ack", {"alert_id": alert_id}, actor=by)], stash=True
            )
        return alert

    def close(self) -> None:
        """Close the sinks (a sink that fails to close is logged, not raised)."""
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:
                log.warning("closing audit sink %s failed", type(sink).__name__)
