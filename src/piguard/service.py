"""The gate: the only way in to customer data.

authenticate (the edges) -> authorise per action and per field -> act through the
vault -> mask -> record the access. The API and the CLI call this module and
nothing below it.

**Invariant:** no method returns customer values without a :class:`Decision` per
field and an :class:`AccessEvent` handed to the recorder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection

from piguard import masking
from piguard.access.decision import Decision, Policy
from piguard.catalog import Catalog
from piguard.clock import Clock, SystemClock
from piguard.errors import AccessDenied, ValidationError
from piguard.vault.model import Actor, ImportReport, RecordRef
from piguard.vault.vault import CUSTOMER, TxHook, Vault


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who asks, why, and from where. Every gate call takes one."""

    actor: Actor
    purpose: str
    client: str | None = None
    address: str | None = None
    session: str | None = None


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """What the audit trail records for one gate call. Holds no field values, ever."""

    time: datetime
    actor_id: str
    role: str
    action: str
    purpose: str
    record_type: str | None
    customer_id: str | None
    record_id: str | None
    fields: tuple[str, ...]
    decision: str
    rule: str
    result: str
    client: str | None = None
    address: str | None = None
    session: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class AccessRecorder(Protocol):
    """Where access events go. ``conn`` is the data transaction when there is one."""

    def record(self, event: AccessEvent, conn: Connection | None = None) -> None: ...


class MemoryRecorder:
    """Keeps events in a list; for tests and until the audit trail is configured."""

    def __init__(self) -> None:
        self.events: list[AccessEvent] = []

    def record(self, event: AccessEvent, conn: Connection | None = None) -> None:
        self.events.append(event)


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field as the gate lets it out."""

    value: str | None
    level: str
    rule: str


class Service:
    """The enforcement gate over one vault."""

    def __init__(
        self,
        vault: Vault,
        *,
        recorder: AccessRecorder | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.vault = vault
        self.catalog: Catalog = vault.catalog
        self.policy = Policy(vault.catalog)
        self.recorder: AccessRecorder = recorder or MemoryRecorder()
        self.clock: Clock = clock or vault.clock or SystemClock()

    # ------------------------------------------------------------------ plumbing

    def _event(
        self,
        ctx: RequestContext,
        action: str,
        *,
        record_type: str | None = None,
        ref: RecordRef | None = None,
        fields: Iterable[str] = (),
        decision: str = "allow",
        rule: str = "",
        result: str = "ok",
        detail: Mapping[str, Any] | None = None,
    ) -> AccessEvent:
        return AccessEvent(
            time=self.clock.now(),
            actor_id=ctx.actor.id,
            role=ctx.actor.role,
            action=action,
            purpose=ctx.purpose,
            record_type=record_type or (ref.record_type if ref else None),
            customer_id=ref.customer_id if ref else None,
            record_id=ref.record_id if ref else None,
            fields=tuple(fields),
            decision=decision,
            rule=rule,
            result=result,
            client=ctx.client,
            address=ctx.address,
            session=ctx.session,
            detail=dict(detail or {}),
        )

    def _authorise(self, ctx: RequestContext, action: str, record_type: str | None = None) -> str:
        try:
            return self.policy.check_action(ctx.actor.role, action, ctx.purpose or None)
        except AccessDenied as exc:
            self.recorder.record(
                self._event(ctx, action, record_type=record_type, decision="deny", rule=exc.rule or "", result="denied")
            )
            raise

    def _hook(
        self, ctx: RequestContext, action: str, fields: Sequence[str], rule: str, detail: Mapping[str, Any] | None = None
    ) -> TxHook:
        """An audit hook that the vault runs inside the data transaction, once per record touched."""

        def hook(conn: Connection, refs: Sequence[RecordRef]) -> None:
            for ref in refs:
                self.recorder.record(self._event(ctx, action, ref=ref, fields=fields, rule=rule, detail=detail), conn)

        return hook

    def _show(self, decision: Decision, value: str | None) -> str | None:
        if value is None or decision.level == "deny":
            return None
        if decision.level == "clear":
            return value
        return masking.apply_mask(decision.mask, value, **decision.mask_options)

    # ------------------------------------------------------------------ writes

    def create(
        self,
        ctx: RequestContext,
        record_type: str,
        values: Mapping[str, object],
        *,
        customer_id: str | None = None,
        record_id: str | None = None,
    ) -> RecordRef:
        """Store a new record for ``ctx.purpose``; the purpose must cover every given field (R-COL-3)."""
        rule = self._authorise(ctx, "write", record_type)
        return self.vault.create(
            record_type, values, purpose=ctx.purpose, customer_id=customer_id, record_id=record_id,
            hook=self._hook(ctx, "create", sorted(values), rule),
        )

    def import_rows(
        self,
        ctx: RequestContext,
        record_type: str,
        rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        rule = self._authorise(ctx, "write", record_type)
        report = self.vault.import_rows(record_type, rows, purpose=ctx.purpose, progress=progress)
        self.recorder.record(
            self._event(
                ctx, "import", record_type=record_type, rule=rule,
                detail={"accepted": report.accepted, "rejected": len(report.rejected)},
            )
        )
        return report

    def update(self, ctx: RequestContext, record_type: str, record_id: str, values: Mapping[str, object]) -> RecordRef:
        rule = self._authorise(ctx, "write", record_type)
        return self.vault.update(
            record_type, record_id, values, purpose=ctx.purpose, hook=self._hook(ctx, "update", sorted(values), rule)
        )

    # ------------------------------------------------------------------ reads

    def read(
        self, ctx: RequestContext, record_type: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, FieldView]:
        """Read a record for ``ctx.purpose``: each field decided, masked as decided, and recorded."""
        self._authorise(ctx, "read", record_type)
        names = list(fields) if fields is not None else list(self.vault.record_type(record_type).fields)
        decisions = {n: self.policy.decide(ctx.actor.role, record_type, self.vault.field(record_type, n), ctx.purpose)
                     for n in names}
        readable = [n for n, d in decisions.items() if d.level != "deny"]
        if fields is not None and not readable:
            denied = next(iter(decisions.values()))
            self.recorder.record(self._event(ctx, "read", record_type=record_type, fields=names,
                                             decision="deny", rule=denied.rule, result="denied"))
            raise AccessDenied(f"no requested field may be read for purpose '{ctx.purpose}'", denied.rule)
        record = self.vault.read(record_type, record_id, readable)
        self.recorder.record(
            self._event(
                ctx, "read", ref=record.ref, fields=readable,
                rule="; ".join(sorted({f"{n}: {d.rule}" for n, d in decisions.items()})),
                detail={"levels": {n: d.level for n, d in decisions.items()}},
            )
        )
        return {
            n: FieldView(self._show(d, record.values.get(n)), d.level, d.rule) for n, d in decisions.items()
        }

    def search(self, ctx: RequestContext, record_type: str, field_name: str, value: object, *, limit: int = 50
               ) -> list[RecordRef]:
        rule = self._authorise(ctx, "search", record_type)
        fdef = self.vault.field(record_type, field_name)
        decision = self.policy.decide(ctx.actor.role, record_type, fdef, ctx.purpose)
        if decision.level == "deny":
            self.recorder.record(self._event(ctx, "search", record_type=record_type, fields=[field_name],
                                             decision="deny", rule=decision.rule, result="denied"))
            raise AccessDenied(f"field '{field_name}' may not be searched for purpose '{ctx.purpose}'", decision.rule)
        refs = self.vault.search(record_type, field_name, value, limit=limit)
        self.recorder.record(self._event(ctx, "search", record_type=record_type, fields=[field_name], rule=rule,
                                         detail={"matches": len(refs)}))
        return refs

    def customer_records(self, ctx: RequestContext, customer_id: str) -> list[RecordRef]:
        rule = self._authorise(ctx, "list", CUSTOMER)
        refs = self.vault.customer_records(customer_id)
        self.recorder.record(self._event(ctx, "list", ref=RecordRef(customer_id, CUSTOMER, customer_id), rule=rule,
                                         detail={"records": len(refs)}))
        return refs

    # ------------------------------------------------------------------ erase and keys

    def erase(self, ctx: RequestContext, customer_id: str, *, reason: str) -> int:
        if not reason.strip():
            raise ValidationError("a reason is required", "reason")
        rule = self._authorise(ctx, "erase", CUSTOMER)
        return self.vault.erase(customer_id, hook=self._hook(ctx, "erase", (), rule, {"reason_given": True}))

    def key_status(self, ctx: RequestContext) -> dict[str, Any]:
        self._authorise(ctx, "administer")
        return self.vault.key_status()

    def rotate_keys(self, ctx: RequestContext, progress: Callable[[int], None] | None = None) -> dict[str, int]:
        rule = self._authorise(ctx, "administer")
        result = self.vault.rotate_kek(progress=progress)
        self.recorder.record(self._event(ctx, "key_rotate", rule=rule, detail=result))
        return result

    def retire_key(self, ctx: RequestContext, version: int) -> None:
        rule = self._authorise(ctx, "administer")
        self.vault.retire_kek(version)
        self.recorder.record(self._event(ctx, "key_retire", rule=rule, detail={"kek_version": version}))
