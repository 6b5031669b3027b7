"""The audit trail's operations, built into the gate: who looks at the trail is authorised and
recorded like anyone who looks at data.

Query, verify, history, export, archive, references, checkpoints, the public key and alerts,
each a declared operation. The edges call these and never hold the audit log themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from piguard.audit import AuditLog, VerifyReport
from piguard.audit.alerts import Alert
from piguard.audit.entry import AuditEntry
from piguard.catalog.vocabulary import Action
from piguard.errors import AccessDenied
from piguard.gate.context import RequestContext
from piguard.gate.operation import DetailKind, Operation, Subject
from piguard.gate.sdk import TrailTouch, TrailWindow

if TYPE_CHECKING:
    from piguard.gate.call import Call
    from piguard.gate.kernel import Gate

CAPABILITY = "trail"


def _op(
    name: str,
    actions: tuple[Action, ...],
    summary: str,
    *,
    subject: Subject = "none",
    detail: dict[str, DetailKind] | None = None,
    requirements: tuple[str, ...] = ("R-AUD-1",),
    writes: bool = False,
) -> Operation:
    return Operation(
        name,
        actions,
        subject,
        CAPABILITY,
        purpose=False,
        writes=writes,
        summary=summary,
        detail=detail or {},
        requirements=requirements,
    )


QUERY = _op(
    "audit_query", ("audit",), "entries by customer, actor, action and time", detail={"matches": "int"}
)
VERIFY = _op(
    "audit_verify",
    ("audit", "administer"),
    "check the chain against its signed checkpoints",
    detail={"entries": "int"},
)
PUBLIC_KEY = _op("audit_public_key", ("audit", "administer"), "the checkpoint signing key")
HISTORY = _op(
    "audit_history",
    ("audit",),
    "a customer's access history (by role and purpose)",
    subject="customer",
    detail={"count": "int"},
    requirements=("R-AUD-1", "R-RGT-1"),
)
OWN_HISTORY = _op(
    "own_access_history",
    ("read",),
    "a customer's own access history, for the customer (row scope: own)",
    subject="customer",
    detail={"count": "int"},
    requirements=("R-RGT-1",),
)
EXPORT = _op("audit_export", ("audit",), "a segment that verifies on its own", detail={"entries": "int"})
ARCHIVE = _op(
    "audit_archive",
    ("administer",),
    "archive and prune entries past retention",
    detail={"entries": "int"},
    requirements=("R-AUD-1", "R-AUD-2"),
)
REF = _op(
    "audit_ref", ("audit",), "the keyed reference of a customer, to search the trail", subject="customer"
)
CHECKPOINT = _op(
    "audit_checkpoint", ("audit", "administer"), "sign a checkpoint now", detail={"through_seq": "int"}
)
DASHBOARD = _op(
    "audit_dashboard",
    ("audit", "administer"),
    "recent entries and alerts for the dashboard's counts (keyed references only)",
    detail={"entries": "int", "count": "int"},
)
ALERTS = _op("alerts_list", ("audit",), "monitoring alerts", detail={"count": "int"})
ACK = _op("alert_ack", ("audit",), "acknowledge an alert", detail={"alert_id": "token"}, writes=True)

OPERATIONS: tuple[Operation, ...] = (
    QUERY,
    VERIFY,
    PUBLIC_KEY,
    HISTORY,
    OWN_HISTORY,
    EXPORT,
    ARCHIVE,
    REF,
    CHECKPOINT,
    DASHBOARD,
    ALERTS,
    ACK,
)


class Trail:
    """The audit trail's operations over one :class:`AuditLog`."""

    name = CAPABILITY
    operations = OPERATIONS

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self._gate: Gate | None = None

    def bind(self, gate: Gate) -> None:
        self._gate = gate

    @property
    def gate(self) -> Gate:
        if self._gate is None:
            raise RuntimeError("the trail is not mounted on a gate")
        return self._gate

    def query(self, ctx: RequestContext, **filters: Any) -> list[AuditEntry]:
        def handler(call: Call) -> list[AuditEntry]:
            found = self.log.query(**filters)
            call.note(matches=len(found))
            return found

        return self.gate.run(ctx, QUERY, handler)

    def verify(
        self, ctx: RequestContext, *, file: Path | None = None, witness: Path | None = None
    ) -> VerifyReport:
        """:param witness: a JSON Lines file of signed checkpoints kept elsewhere (a witness,
        a syslog collector's copy) whose newest checkpoint the stored chain must still hold."""
        from piguard.audit import verify_file
        from piguard.audit.anchors import FileWitness

        def handler(call: Call) -> VerifyReport:
            if file:
                report = verify_file(file, self.log.public_key)
            else:
                report = self.log.verify(witnesses=[FileWitness(witness)] if witness else ())
            call.note(entries=report.entries)
            return report

        return self.gate.run(ctx, VERIFY, handler)

    def public_key(self, ctx: RequestContext) -> dict[str, str]:
        return self.gate.run(
            ctx,
            PUBLIC_KEY,
            lambda call: {
                "key_id": self.log.key_id,
                "public_key": self.log.public_key.hex(),
                "algorithm": "Ed25519",
            },
        )

    def history(self, ctx: RequestContext, customer_id: str) -> dict[str, Any]:
        """A customer's access history: for staff with ``audit``; for the customer themselves
        (a ``customer`` principal, whose row scope is its own data) through ``own_access_history``."""
        op = OWN_HISTORY if ctx.actor.kind == "customer" else HISTORY

        def handler(call: Call) -> dict[str, Any]:
            if call.op is OWN_HISTORY and ctx.actor.kind != "customer":
                raise AccessDenied("only the customer reads their own history this way", "own_access_history")
            rows = self.log.customer_history(customer_id)
            call.note(count=len(rows))
            return {"customer_ref": self.log.customer_ref(customer_id), "history": rows}

        return self.gate.run(ctx, op, handler, subject=customer_id)

    def export(
        self, ctx: RequestContext, out: Path, *, first: int | None = None, last: int | None = None
    ) -> dict[str, Any]:
        def handler(call: Call) -> dict[str, Any]:
            info = self.log.export(out, first_seq=first, last_seq=last)
            call.note(entries=int(info.get("entries", 0)))
            return info

        return self.gate.run(ctx, EXPORT, handler)

    def export_view(self, ctx: RequestContext, **filters: Any) -> list[AuditEntry]:
        """The entries of a filtered view (the console's viewer), for a CSV or JSON Lines file.

        The same ``audit_export`` operation as a segment export: taking entries out of the
        system is an export, authorised and recorded as one, with the number of entries.
        """

        def handler(call: Call) -> list[AuditEntry]:
            found = self.log.query(**filters)
            call.note(entries=len(found))
            return found

        return self.gate.run(ctx, EXPORT, handler)

    def archive(self, ctx: RequestContext, before: datetime, out: Path) -> dict[str, Any]:
        def handler(call: Call) -> dict[str, Any]:
            result = self.log.archive_and_prune(before, out, actor=ctx.actor.id)
            call.note(entries=int(result["pruned"]))
            return result

        return self.gate.run(ctx, ARCHIVE, handler)

    def customer_ref(self, ctx: RequestContext, customer_id: str) -> str:
        return self.gate.run(ctx, REF, lambda call: self.log.customer_ref(customer_id), subject=customer_id)

    def checkpoint(self, ctx: RequestContext) -> int:
        def handler(call: Call) -> int:
            seq = self.log.checkpoint("manual")
            call.note(through_seq=seq)
            return seq

        return self.gate.run(ctx, CHECKPOINT, handler)

    def dashboard(
        self, ctx: RequestContext, *, since: datetime, limit: int
    ) -> tuple[list[AuditEntry], list[Alert]]:
        """Entries since ``since`` (at most ``limit``) and the alerts, for the dashboard's figures: for
        auditors and administrators (who run the system and see its activity, never customer values)."""

        def handler(call: Call) -> tuple[list[AuditEntry], list[Alert]]:
            entries = self.log.query(since=since, limit=limit)
            alerts = self.log.alerts(limit=10_000)
            call.note(entries=len(entries), count=len(alerts))
            return entries, alerts

        return self.gate.run(ctx, DASHBOARD, handler)

    def alerts(self, ctx: RequestContext, *, status: str | None = None, limit: int = 100) -> list[Alert]:
        def handler(call: Call) -> list[Alert]:
            found = self.log.alerts(status=status, limit=limit)
            call.note(count=len(found))
            return found

        return self.gate.run(ctx, ALERTS, handler)

    def ack(self, ctx: RequestContext, alert_id: str, comment: str) -> Alert:
        def handler(call: Call) -> Alert:
            call.note(alert_id=alert_id)
            # The acknowledgement and its entry commit together.
            with call.transaction() as conn:
                return self.log.ack_alert(alert_id, by=ctx.actor.id, comment=comment, conn=conn)

        return self.gate.run(ctx, ACK, handler)


class TrailScope:
    """The audit trail read back for a capability (:class:`piguard.gate.sdk.TrailReader`): the
    installation hands one to the incident capability, which may not import ``piguard.audit``.

    Only allowed entries about a customer are returned (a refusal touched nothing); each names
    the customer by the trail's keyed reference, never by id.
    """

    def __init__(self, log: AuditLog) -> None:
        self.log = log

    def customer_ref(self, customer_id: str) -> str:
        return self.log.customer_ref(customer_id)

    def alert(self, alert_id: str) -> Mapping[str, Any] | None:
        found = next((a for a in self.log.alerts(limit=100_000) if a.id == alert_id), None)
        if found is None:
            return None
        return {
            "alert": found.id,
            "rule": found.rule,
            "severity": found.severity,
            "principal_id": found.principal_id,
            "time": found.time,
            "first_seq": found.first_seq,
            "last_seq": found.last_seq,
        }

    def touches(
        self,
        *,
        actors: Collection[str] = (),
        clients: Collection[str] = (),
        actions: Collection[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[TrailTouch], TrailWindow]:
        found, report = self.log.window(actors=actors, actions=actions, since=since, until=until)
        wanted = set(clients)
        out = [
            TrailTouch(
                e.seq,
                e.time,
                e.actor_id,
                e.client,
                e.action,
                e.customer_ref,
                e.record_type,
                e.fields,
                {str(k): str(v) for k, v in (e.detail.get("levels") or {}).items()},
            )
            for e in found
            if e.decision == "allow" and (not wanted or e.client in wanted)
        ]
        window = TrailWindow(
            report.first_seq,
            report.last_seq,
            report.entries,
            report.ok,
            [f.as_dict() for f in report.findings],
        )
        return out, window
