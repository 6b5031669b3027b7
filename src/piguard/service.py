"""The gate: the only way in to customer data.

authenticate (the edges, through :meth:`piguard.access.AccessControl.authenticate`) ->
authorise the action and purpose -> consent -> row scope -> decide per field (catalog,
then training, step-up, grants, minors) -> quotas -> act through the vault -> mask ->
record the access. The API and the CLI call this module and nothing below it.

**Invariant:** no method returns customer values without a :class:`Decision` per field
and an :class:`AccessEvent` handed to the recorder; every refusal is recorded too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection

from piguard import masking
from piguard.access import scope
from piguard.access.control import AccessControl
from piguard.access.decision import BOOTSTRAP_ROLE, Decision, Policy
from piguard.access.events import AccessEvent, AccessRecorder, MemoryRecorder
from piguard.access.grants import Grant
from piguard.access.training import LOCAL_TZ
from piguard.catalog import Catalog, Field
from piguard.clock import Clock, SystemClock
from piguard.errors import AccessDenied, NotFound, QuotaExceeded, ValidationError
from piguard.vault.model import Actor, ImportReport, RecordRef
from piguard.vault.vault import CUSTOMER, ORIGINAL_SUFFIX, PI_TYPES_SUFFIX, TxHook, Vault

__all__ = [
    "AccessEvent",
    "AccessRecorder",
    "ConsentChecker",
    "FieldView",
    "MemoryRecorder",
    "RequestContext",
    "Service",
]

#: Bound on the memo of customers' 14th birthdays.
_MINOR_MEMO_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who asks, why, and from where. Every gate call takes one."""

    actor: Actor
    purpose: str
    client: str | None = None
    address: str | None = None
    session: str | None = None


#: Kinds of PI the detector finds in notes -> catalog value types that hold the same kind.
#: A role sees a note's original only if it sees fields of all these types in clear.
NOTE_PI_TYPES: dict[str, frozenset[str]] = {
    "person": frozenset({"name"}),
    "mobile": frozenset({"mobile", "phone"}),
    "landline": frozenset({"landline", "phone"}),
    "resident_id": frozenset({"resident_id"}),
    "bank_card": frozenset({"bank_card"}),
    "email": frozenset({"email"}),
    "passport": frozenset({"passport"}),
    "address": frozenset({"address"}),
    "uscc": frozenset({"uscc"}),
    "birth_date": frozenset({"date"}),
}

T = TypeVar("T")


class ConsentChecker(Protocol):
    """The consent layer's hook (R-USE-5): a purpose whose basis is consent needs the customer's."""

    def check_read(
        self,
        customer_id: str,
        purpose: str,
        *,
        record_type: str = "customer",
        fields: Collection[str] | None = None,
    ) -> None:
        """:raises ConsentRequired: the customer has not consented to ``purpose`` (for these fields)."""

    def check_write(
        self,
        customer_id: str | None,
        purpose: str,
        fields: Collection[str],
        values: Mapping[str, str],
        *,
        record_type: str = "customer",
    ) -> None:
        """:raises ConsentRequired: writing these fields for ``purpose`` needs a consent not on record."""

    def age_hook(self, values: Mapping[str, object], record_type: str = "customer") -> TxHook:
        """A vault transaction hook recording the age band of the customers written (R-MIN-1)."""

    def filter_import(
        self,
        rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
        purpose: str,
        *,
        record_type: str,
        operator: str,
    ) -> Iterator[tuple[int, Mapping[str, object] | ValidationError]]:
        """Reject import rows lacking the consent evidence their purpose needs; record the rest's."""


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field as the gate lets it out."""

    value: str | None
    level: str
    rule: str


class Service:
    """The enforcement gate over one vault.

    :param access: principals, training, grants and quotas. Without it (the account-less
        mode of early installations) the bootstrap administrator may read, and staff of
        catalog roles get no clear or sensitive access (training cannot be checked).
    :param consent: the consent layer's checker, called on every read and write.
    """

    def __init__(
        self,
        vault: Vault,
        *,
        recorder: AccessRecorder | None = None,
        clock: Clock | None = None,
        access: AccessControl | None = None,
        consent: ConsentChecker | None = None,
    ) -> None:
        self.vault = vault
        self.catalog: Catalog = vault.catalog
        self.access = access
        self.consent = consent
        self.policy = Policy(vault.catalog, bootstrap_reads=access is None)
        self.recorder: AccessRecorder = recorder or MemoryRecorder()
        self.clock: Clock = clock or vault.clock or SystemClock()
        self._adult_from: dict[str, date | None] = {}

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
            session=ctx.session or ctx.actor.session,
            detail=dict(detail or {}),
        )

    @contextmanager
    def _refusals(
        self,
        ctx: RequestContext,
        action: str,
        *,
        record_type: str | None = None,
        ref: RecordRef | None = None,
        fields: Iterable[str] = (),
    ) -> Iterator[None]:
        """Record every refusal raised inside the block (reason and rule, never values), then re-raise."""
        try:
            yield
        except AccessDenied as exc:
            result = "quota" if isinstance(exc, QuotaExceeded) else exc.code
            self.recorder.record(
                self._event(
                    ctx,
                    action,
                    record_type=record_type,
                    ref=ref,
                    fields=fields,
                    decision="deny",
                    rule=exc.rule or "",
                    result=result if result != "forbidden" else "denied",
                    detail={"reason": exc.reason},
                )
            )
            raise

    def _authorise(self, ctx: RequestContext, action: str, record_type: str | None = None) -> str:
        with self._refusals(ctx, action, record_type=record_type):
            return self.policy.check_action(ctx.actor.role, action, ctx.purpose or None)

    def _hook(
        self,
        ctx: RequestContext,
        action: str,
        fields: Sequence[str],
        rule: str,
        detail: Mapping[str, Any] | None = None,
    ) -> TxHook:
        """An audit hook that the vault runs inside the data transaction, once per record touched."""

        def hook(conn: Connection, refs: Sequence[RecordRef]) -> None:
            events = [
                self._event(ctx, action, ref=ref, fields=fields, rule=rule, detail=detail) for ref in refs
            ]
            many = getattr(self.recorder, "record_many", None)
            if many is not None:
                many(events, conn)  # one append for a whole import batch (group commit)
            else:
                for event in events:
                    self.recorder.record(event, conn)

        return hook

    @staticmethod
    def _show(decision: Decision, value: str | None) -> str | None:
        if value is None or decision.level == "deny":
            return None
        if decision.level == "clear":
            return value
        return masking.apply_mask(decision.mask, value, **decision.mask_options)

    def _today(self) -> date:
        return self.clock.now().astimezone(LOCAL_TZ).date()

    def _is_bootstrap(self, actor: Actor) -> bool:
        return actor.role == BOOTSTRAP_ROLE

    def about_customer(
        self,
        ctx: RequestContext,
        action: str,
        event: str,
        customer_id: str,
        operation: Callable[[], T],
        *,
        detail: Mapping[str, Any] | None = None,
    ) -> T:
        """Run ``operation`` about one customer (consent, marketing preferences...) through the gate.

        The role must hold ``action`` (``read`` to look, ``write`` to change), the customer must
        exist and be in the caller's row scope; the call is recorded as ``event`` with ``detail``
        (names and counts, never values).

        :raises AccessDenied: the role may not, or the customer is outside its scope.
        :raises NotFound: no such customer.
        """
        rule = self._authorise(ctx, action, CUSTOMER)
        ref = RecordRef(customer_id, CUSTOMER, customer_id)
        if not self.vault.exists(customer_id):
            raise NotFound("no such customer (unknown or erased)")
        with self._refusals(ctx, event, ref=ref):
            self._check_scope(ctx, ref)
            result = operation()
        self.recorder.record(self._event(ctx, event, ref=ref, rule=rule, detail=detail))
        return result

    def administer(
        self,
        ctx: RequestContext,
        event: str,
        operation: Callable[[], T],
        *,
        detail: Mapping[str, Any] | None = None,
    ) -> T:
        """Run an administrative ``operation`` (publish a notice...) for a role holding ``administer``."""
        rule = self._authorise(ctx, "administer")
        result = operation()
        self.recorder.record(self._event(ctx, event, rule=rule, detail=detail))
        return result

    def _locate(self, record_type: str, record_id: str) -> RecordRef:
        """The owner of a record, without decrypting anything (customer records own themselves)."""
        if record_type == CUSTOMER:
            return RecordRef(record_id, CUSTOMER, record_id)
        return self.vault.read(record_type, record_id, []).ref

    # ------------------------------------------------------------------ run-time checks

    def _check_scope(self, ctx: RequestContext, ref: RecordRef) -> None:
        """Row scope ``active_stay``: a guest is visible only while their stay is active.

        :raises AccessDenied: outside an active stay (or the catalog has no stays at all).
        """
        role = self.catalog.roles.get(ctx.actor.role)
        if role is None or role.scope is None:
            return
        today = self._today()
        active = False
        if scope.STAY_RECORD in self.catalog.record_types:
            names = [scope.STAY_FROM, scope.STAY_UNTIL]
            if ref.record_type == scope.STAY_RECORD:
                # A stay record itself: only the active one, so past rooms of the guest stay hidden.
                stays = [ref.record_id]
            else:
                stays = [r.record_id for r in self.vault.customer_records(ref.customer_id, scope.STAY_RECORD)]
            for stay in stays:
                values = self.vault.read(scope.STAY_RECORD, stay, names).values
                if scope.stay_active(values.get(scope.STAY_FROM), values.get(scope.STAY_UNTIL), today):
                    active = True
                    break
        if not active:
            raise AccessDenied(
                f"role '{role.name}' sees a guest only while the guest's stay is active",
                f"roles.{role.name}.scope",
            )

    def _read_detail(self, customer_id: str, decisions: Mapping[str, Decision]) -> dict[str, Any]:
        """What a read event carries besides the fields: their levels and the customer's flags
        (``minor`` for under-14s), which the audit rules for sensitive subjects watch."""
        detail: dict[str, Any] = {"levels": {n: d.level for n, d in decisions.items()}}
        if self._is_minor(customer_id):
            detail["flags"] = ["minor"]
        return detail

    def _is_minor(self, customer_id: str) -> bool:
        """Under 14 today (R-MIN-1), from the declared birth date or the resident ID; memoised."""
        if customer_id not in self._adult_from:
            fields = self.catalog.record_types[CUSTOMER].fields
            names = [n for n in (scope.BIRTH_DATE_FIELD, scope.RESIDENT_ID_FIELD) if n in fields]
            try:
                values = self.vault.read(CUSTOMER, customer_id, names).values if names else {}
            except NotFound:
                values = {}
            if len(self._adult_from) > _MINOR_MEMO_LIMIT:
                self._adult_from.clear()
            self._adult_from[customer_id] = scope.adult_from(scope.birth_date_of(values))
        adult = self._adult_from[customer_id]
        return adult is not None and self._today() < adult

    def _training_reason(self, actor: Actor) -> str | None:
        """Why ``actor`` may not see clear or sensitive data (R-TRN-1), or None if it may."""
        if actor.kind != "staff" or self._is_bootstrap(actor):
            return None
        if self.access is None:
            return "training records are not available (R-TRN-1)"
        status = self.access.training.status(actor.id)
        return None if status.ok else status.reason

    def _stepped_up(self, actor: Actor) -> bool:
        return self.access is not None and self.access.stepped_up(actor)

    def _grants(self, actor: Actor, customer_id: str, purpose: str) -> list[Grant]:
        if self.access is None:
            return []
        return self.access.grants.active_clear(actor.id, customer_id, purpose)

    def _quota_customers(self, actor: Actor, customer_ids: Iterable[str]) -> None:
        if self.access is not None:
            self.access.quotas.note_customers(actor, customer_ids)

    def _max_results(self, actor: Actor) -> int | None:
        return self.access.quotas.max_results(actor) if self.access is not None else None

    @staticmethod
    def _masked(fdef: Field, rule: str) -> Decision:
        # A field whose own mask is "clear" (C1) is redacted instead: the point is to hide it.
        mask = fdef.mask if fdef.mask not in ("clear",) else "redact"
        options = dict(fdef.mask_options) if mask == fdef.mask else {}
        return Decision("masked", mask, options, rule)

    def decide(self, ctx: RequestContext, ref: RecordRef, fdefs: Mapping[str, Field]) -> dict[str, Decision]:
        """Decide every field of ``fdefs`` for ``ctx`` reading ``ref``: the catalog's decision, narrowed by
        training (R-TRN-1), step-up and grants for clear access to sensitive, C3, step-up-class and
        minors' fields (R-USE-2).
        """
        actor = ctx.actor
        static = {
            n: self.policy.decide(actor.role, ref.record_type, f, ctx.purpose) for n, f in fdefs.items()
        }
        if self._is_bootstrap(actor):
            return static
        training_reason = self._training_reason(actor)
        minor: bool | None = None
        grants: list[Grant] | None = None
        out: dict[str, Decision] = {}
        for name, decision in static.items():
            fdef = fdefs[name]
            if decision.level == "deny":
                out[name] = decision
                continue
            if minor is None and (decision.level == "clear" or training_reason is not None):
                minor = self._is_minor(ref.customer_id)
            sensitive = fdef.sensitive or bool(minor)
            if training_reason is not None:
                if sensitive:
                    out[name] = Decision("deny", "redact", rule=training_reason)
                elif decision.level == "clear" or decision.mask == "clear":
                    out[name] = self._masked(fdef, training_reason)
                else:
                    out[name] = decision
                continue
            if decision.level == "masked":
                out[name] = decision
                continue
            cls = self.catalog.classes[fdef.cls]
            why = (
                "minor's data"
                if minor and not fdef.sensitive
                else "sensitive"
                if fdef.sensitive
                else fdef.cls
            )
            if (cls.clear_requires_step_up or sensitive) and not self._stepped_up(actor):
                out[name] = self._masked(fdef, f"clear ({why}) needs step-up: a fresh TOTP code (R-USE-2)")
                continue
            if cls.clear_requires_approval or sensitive:
                if grants is None:
                    grants = self._grants(actor, ref.customer_id, ctx.purpose)
                grant = next((g for g in grants if g.covers(ref.record_type, name)), None)
                if grant is None:
                    out[name] = self._masked(
                        fdef, f"clear ({why}) needs an approved grant for this customer and purpose (R-USE-2)"
                    )
                    continue
                decision = replace(decision, rule=f"{decision.rule}; grant {grant.id}")
            out[name] = decision
        return out

    # ------------------------------------------------------------------ writes

    def _check_writable(self, ctx: RequestContext, record_type: str, names: Iterable[str]) -> None:
        """A role writes only fields it may at least see masked, for this purpose (least privilege)."""
        if self._is_bootstrap(ctx.actor):
            return
        for name in names:
            fdef = self.vault.field(record_type, name)
            decision = self.policy.decide(ctx.actor.role, record_type, fdef, ctx.purpose)
            if decision.level == "deny":
                raise AccessDenied(
                    f"role '{ctx.actor.role}' may not write field '{name}' for purpose '{ctx.purpose}'",
                    decision.rule,
                )

    def _normalized(self, record_type: str, values: Mapping[str, object]) -> dict[str, str]:
        """Values as the vault will store them, for the consent checks (age from the resident ID)."""
        return {
            n: self.vault.normalize(record_type, n, v) for n, v in values.items() if v is not None and v != ""
        }

    def _forget_customer(self, customer_id: str) -> None:
        self._adult_from.pop(customer_id, None)

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
        hook = self._hook(ctx, "create", sorted(values), rule)
        with self._refusals(ctx, "create", record_type=record_type, fields=sorted(values)):
            self._check_writable(ctx, record_type, values)
            if self.consent is not None:
                normalized = self._normalized(record_type, values)
                self.consent.check_write(
                    customer_id, ctx.purpose, sorted(values), normalized, record_type=record_type
                )
                hook = _both(hook, self.consent.age_hook(normalized, record_type))
        if customer_id:
            self._forget_customer(customer_id)
        return self.vault.create(
            record_type,
            values,
            purpose=ctx.purpose,
            customer_id=customer_id,
            record_id=record_id,
            hook=hook,
        )

    def import_rows(
        self,
        ctx: RequestContext,
        record_type: str,
        rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Bulk import; rows with fields the role may not write, or lacking consent, are rejected whole."""
        rule = self._authorise(ctx, "write", record_type)

        def checked() -> Iterator[tuple[int, Mapping[str, object] | ValidationError]]:
            for number, row in rows:
                if isinstance(row, ValidationError):
                    yield number, row
                    continue
                names = [
                    k for k in row if k not in ("customer_id", "record_id") and not k.startswith("consent_")
                ]
                try:
                    self._check_writable(ctx, record_type, names)
                except AccessDenied as exc:
                    yield number, ValidationError(exc.reason)
                    continue
                yield number, row

        stream: Iterable[tuple[int, Mapping[str, object] | ValidationError]] = checked()
        if self.consent is not None:
            # Rows lacking the consent evidence their purpose needs are rejected with the reason;
            # the others' consent and age band are recorded before the vault stores them.
            stream = self.consent.filter_import(
                stream, ctx.purpose, record_type=record_type, operator=ctx.actor.id
            )
        # One entry per stored record, written in the batch's own transaction: no imported row
        # exists without its audit entry (fail closed), and the import summary follows.
        report = self.vault.import_rows(
            record_type,
            stream,
            purpose=ctx.purpose,
            progress=progress,
            hook=self._hook(ctx, "import", (), rule),
        )
        self.recorder.record(
            self._event(
                ctx,
                "import_summary",
                record_type=record_type,
                rule=rule,
                detail={"accepted": report.accepted, "rejected": len(report.rejected)},
            )
        )
        return report

    def update(
        self, ctx: RequestContext, record_type: str, record_id: str, values: Mapping[str, object]
    ) -> RecordRef:
        rule = self._authorise(ctx, "write", record_type)
        ref = self._locate(record_type, record_id)
        with self._refusals(ctx, "update", ref=ref, fields=sorted(values)):
            self._check_writable(ctx, record_type, values)
            self._check_scope(ctx, ref)
            hook = self._hook(ctx, "update", sorted(values), rule)
            if self.consent is not None:
                normalized = self._normalized(record_type, values)
                self.consent.check_write(
                    ref.customer_id, ctx.purpose, sorted(values), normalized, record_type=record_type
                )
                hook = _both(hook, self.consent.age_hook(normalized, record_type))
        self._forget_customer(ref.customer_id)
        return self.vault.update(record_type, record_id, values, purpose=ctx.purpose, hook=hook)

    # ------------------------------------------------------------------ reads

    def read(
        self, ctx: RequestContext, record_type: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, FieldView]:
        """Read a record for ``ctx.purpose``: each field decided, masked as decided, and recorded.

        :raises AccessDenied: action or purpose not allowed, no consent, outside the row scope, or
            no requested field readable (the reason names the first refusing rule).
        :raises QuotaExceeded: over the distinct-customers-per-hour limit.
        :raises NotFound: no such record.
        """
        self._authorise(ctx, "read", record_type)
        names = list(fields) if fields is not None else list(self.vault.record_type(record_type).fields)
        fdefs = {n: self.vault.field(record_type, n) for n in names}
        ref = self._locate(record_type, record_id)
        with self._refusals(ctx, "read", ref=ref, fields=names):
            if self.consent is not None:
                self.consent.check_read(ref.customer_id, ctx.purpose, record_type=record_type, fields=names)
            self._check_scope(ctx, ref)
            decisions = self.decide(ctx, ref, fdefs)
            readable = [n for n, d in decisions.items() if d.level != "deny"]
            if not readable:
                first = next(iter(decisions.values()), Decision("deny", "redact"))
                raise AccessDenied(
                    f"no requested field may be read for purpose '{ctx.purpose}': {first.rule}", first.rule
                )
            self._quota_customers(ctx.actor, [ref.customer_id])
        notes = [
            n
            for n in readable
            if fdefs[n].free_text and fdefs[n].keep_original and decisions[n].level == "clear"
        ]
        record = self.vault.read(record_type, record_id, readable, originals=bool(notes))
        for name in notes:
            shown = self._note_original(ctx, ref, record.values.get(name + PI_TYPES_SUFFIX))
            original = record.values.get(name + ORIGINAL_SUFFIX)
            if shown is not None and original is not None:
                record.values[name] = original
                decisions[name] = replace(decisions[name], rule=decisions[name].rule + "; " + shown)
        self.recorder.record(
            self._event(
                ctx,
                "read",
                ref=record.ref,
                fields=readable,
                rule="; ".join(sorted({f"{n}: {d.rule}" for n, d in decisions.items()})),
                detail=self._read_detail(ref.customer_id, decisions),
            )
        )
        return {
            n: FieldView(self._show(d, record.values.get(n)), d.level, d.rule) for n, d in decisions.items()
        }

    def _note_original(self, ctx: RequestContext, ref: RecordRef, found: str | None) -> str | None:
        """May ``ctx`` see a note as written, PI included? Only if it may see every kind of PI found
        in it in clear on the customer's own profile; then returns the rule, else None (the note
        stays masked as stored)."""
        if not found:
            return None
        customer = self.catalog.record_types.get(CUSTOMER)
        if customer is None:
            return None
        owner = RecordRef(ref.customer_id, CUSTOMER, ref.customer_id)
        for kind in found.split(","):
            value_types = NOTE_PI_TYPES.get(kind)
            fields = {n: f for n, f in customer.fields.items() if value_types and f.type in value_types}
            if not fields:
                return None
            # Seeing this kind of PI in clear in at least one profile field (the customer's own
            # name, say, not necessarily a guardian's) is what allows it in the note.
            decided = self.decide(ctx, owner, fields)
            if not any(d.level == "clear" for d in decided.values()):
                return None
        return f"original shown: role sees {found.replace(',', ', ')} in clear"

    def _in_scope(self, ctx: RequestContext, ref: RecordRef) -> bool:
        try:
            self._check_scope(ctx, ref)
        except AccessDenied:
            return False
        return True

    def search(
        self, ctx: RequestContext, record_type: str, field_name: str, value: object, *, limit: int = 50
    ) -> list[RecordRef]:
        """Exact search by a field the role may see, for ``ctx.purpose``; capped by ``max_results``.

        :raises QuotaExceeded: more matches than the role may see at once, or over the hourly customer limit.
        """
        rule = self._authorise(ctx, "search", record_type)
        fdef = self.vault.field(record_type, field_name)
        actor = ctx.actor
        with self._refusals(ctx, "search", record_type=record_type, fields=[field_name]):
            decision = self.policy.decide(actor.role, record_type, fdef, ctx.purpose)
            if decision.level == "deny" and not self._is_bootstrap(actor):
                raise AccessDenied(
                    f"field '{field_name}' may not be searched for purpose '{ctx.purpose}'", decision.rule
                )
            reason = self._training_reason(actor)
            if reason is not None and fdef.sensitive:
                raise AccessDenied(reason, "training")
        cap = self._max_results(actor)
        effective = limit if cap is None else min(limit, cap)
        refs = self.vault.search(record_type, field_name, value, limit=effective + 1)
        refs = [r for r in refs if self._in_scope(ctx, r)]
        with self._refusals(ctx, "search", record_type=record_type, fields=[field_name]):
            if cap is not None and len(refs) > cap:
                raise QuotaExceeded(
                    f"the search matched more than {cap} records, the most role '{actor.role}' may see "
                    "at once "
                    "(R-USE-3): narrow it",
                    f"roles.{actor.role}.quotas.max_results",
                )
            refs = refs[:limit]
            self._quota_customers(actor, {r.customer_id for r in refs})
        self.recorder.record(
            self._event(
                ctx,
                "search",
                record_type=record_type,
                fields=[field_name],
                rule=rule,
                detail={"matches": len(refs)},
            )
        )
        return refs

    def customer_records(self, ctx: RequestContext, customer_id: str) -> list[RecordRef]:
        rule = self._authorise(ctx, "list", CUSTOMER)
        ref = RecordRef(customer_id, CUSTOMER, customer_id)
        with self._refusals(ctx, "list", ref=ref):
            if self.consent is not None:
                self.consent.check_read(customer_id, ctx.purpose)
            self._check_scope(ctx, ref)
            refs = self.vault.customer_records(customer_id)
            if self.access is not None:
                self.access.quotas.check_results(ctx.actor, len(refs), "a list")
            self._quota_customers(ctx.actor, [customer_id])
        self.recorder.record(self._event(ctx, "list", ref=ref, rule=rule, detail={"records": len(refs)}))
        return refs

    def export(
        self,
        ctx: RequestContext,
        record_type: str,
        record_ids: Sequence[str],
        *,
        grant_id: str,
        fields: Sequence[str] | None = None,
    ) -> list[dict[str, FieldView]]:
        """Export records under an approved, unused export grant (R-USE-3); values masked (R-USE-4).

        The grant names the record type, purpose, fields and most rows; it is used up by this call.
        Fields of classes that do not allow export are left out.

        :raises AccessDenied: no export permission, the grant is not the actor's, not approved, expired,
            or for another record type or purpose.
        :raises QuotaExceeded: more rows than the grant or the role allows.
        """
        rule = self._authorise(ctx, "export", record_type)
        actor = ctx.actor
        names = list(fields) if fields is not None else list(self.vault.record_type(record_type).fields)
        fdefs = {n: self.vault.field(record_type, n) for n in names}
        with self._refusals(ctx, "export", record_type=record_type, fields=names):
            if self.access is None:
                raise AccessDenied("exports need an approved export grant", "export")
            try:
                grant = self.access.grants.get(grant_id)
            except NotFound:
                raise AccessDenied("no such export grant", "export") from None
            now = self.clock.now()
            if grant.kind != "export" or grant.requester_id != actor.id:
                raise AccessDenied("this grant is not an export grant of yours", "export")
            if grant.record_type != record_type or grant.purpose != ctx.purpose:
                raise AccessDenied("the grant is for another record type or purpose", "export")
            if grant.state(now) != "approved":
                raise AccessDenied(f"the export grant is {grant.state(now)}", "export")
            limit = min(
                x
                for x in (grant.max_rows, self.access.quotas.max_export_rows(actor), len(record_ids))
                if x is not None
            )
            if len(record_ids) > limit:
                raise QuotaExceeded(
                    f"export of {len(record_ids)} rows exceeds the limit of {limit} (R-USE-3)",
                    f"roles.{actor.role}.quotas.max_export_rows",
                )
            allowed = {
                n: f
                for n, f in fdefs.items()
                if self.catalog.classes[f.cls].export_allowed and grant.covers(record_type, n)
            }
            with self.vault.db.transaction() as conn:
                if not self.access.grants.mark_used(grant.id, conn):
                    raise AccessDenied("the export grant was already used", "export")
        rows: list[dict[str, FieldView]] = []
        for rid in record_ids:
            ref = self._locate(record_type, rid)
            if not self._in_scope(ctx, ref):
                continue
            if self.consent is not None:
                try:
                    self.consent.check_read(ref.customer_id, ctx.purpose)
                except AccessDenied:
                    continue
            decisions = {
                n: (
                    self._masked(allowed[n], d.rule + "; exports are masked (R-USE-4)")
                    if d.level == "clear"
                    else d
                )
                for n, d in self.decide(ctx, ref, allowed).items()
            }
            readable = [n for n, d in decisions.items() if d.level != "deny"]
            record = self.vault.read(record_type, rid, readable)
            self.recorder.record(
                self._event(
                    ctx, "export", ref=record.ref, fields=readable, rule=rule, detail={"grant": grant.id}
                )
            )
            rows.append(
                {
                    n: FieldView(self._show(d, record.values.get(n)), d.level, d.rule)
                    for n, d in decisions.items()
                }
            )
        return rows

    # ------------------------------------------------------------------ erase and keys

    def erase(self, ctx: RequestContext, customer_id: str, *, reason: str) -> int:
        if not reason.strip():
            raise ValidationError("a reason is required", "reason")
        rule = self._authorise(ctx, "erase", CUSTOMER)
        self._forget_customer(customer_id)
        return self.vault.erase(customer_id, hook=self._hook(ctx, "erase", (), rule, {"reason_given": True}))

    def key_status(self, ctx: RequestContext) -> dict[str, Any]:
        self._authorise(ctx, "administer")
        return self.vault.key_status()

    def rotate_keys(
        self, ctx: RequestContext, progress: Callable[[int], None] | None = None
    ) -> dict[str, int]:
        rule = self._authorise(ctx, "administer")
        result = self.vault.rotate_kek(progress=progress)
        self.recorder.record(self._event(ctx, "key_rotate", rule=rule, detail=result))
        return result

    def retire_key(self, ctx: RequestContext, version: int) -> None:
        rule = self._authorise(ctx, "administer")
        self.vault.retire_kek(version)
        self.recorder.record(self._event(ctx, "key_retire", rule=rule, detail={"kek_version": version}))


def _both(first: TxHook, second: TxHook) -> TxHook:
    """Run two vault transaction hooks in order, inside the same transaction."""

    def hook(conn: Connection, refs: Sequence[RecordRef]) -> None:
        first(conn, refs)
        second(conn, refs)

    return hook
