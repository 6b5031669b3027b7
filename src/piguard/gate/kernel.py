"""The kernel: one pipeline that every operation runs through.

``Gate.run(ctx, operation, handler, subject=...)``:

1. **authorise** the operation's catalog action and the stated purpose for the caller's role;
2. **resolve** the subject (one customer or one record; :class:`~piguard.errors.NotFound` comes
   before any guard, so a refusal never depends on whether a record exists for the wrong role);
3. run every applicable **guard** (row scope, consent, quota, and the guards capabilities add);
4. call the operation's **handler** with a :class:`Call`: the caller's context, a view of that
   one customer, a transaction for the capability's own tables and a way to add declared detail;
5. **record** exactly one audit entry under the operation's name: inside the handler's
   transaction for writes (the change and its entry commit together or not at all), through the
   group-committed trail for reads. Every refusal, at any step, is recorded under the same name.
   Inside :meth:`Gate.deferring` (a bulk operation's per-row steps: a share, an extract) the
   read entries are held and appended in batches, the last one in the bulk operation's own
   transaction, so its rows' entries commit with its log; nothing is handed out before.

No public method of the gate assembles checks of its own: the records operations of
:mod:`piguard.gate.records` and every capability mounted with :meth:`Gate.mount` run here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy import Connection

from piguard.access.checkins import CheckInBook
from piguard.access.control import AccessControl
from piguard.access.decision import Policy
from piguard.access.events import AccessEvent, AccessRecorder
from piguard.calendar import local_today
from piguard.catalog import Catalog
from piguard.clock import Clock, SystemClock
from piguard.errors import AccessDenied, NotFound, QuotaExceeded, ValidationError, VaultSealed
from piguard.gate.call import AuditUnrecorded, Call
from piguard.gate.context import RequestContext
from piguard.gate.decide import Decider
from piguard.gate.guards import CustomerQuota, Guard, PurposeConsent, RowScope
from piguard.gate.operation import DetailKind, Operation, Registry
from piguard.gate.probes import ProbeStep
from piguard.store import Database
from piguard.vault.model import RecordRef
from piguard.vault.vault import CUSTOMER, TxHook, Vault

log = logging.getLogger(__name__)
T = TypeVar("T")
C = TypeVar("C")
#: The one principal that runs while the gate is sealed: the restore that sealed it.
RESTORE_ACTOR = "system:restore"
#: A rule that stops erasing a customer (``(conn, customer_id)``; raises to refuse).
Barrier = Callable[[Connection, str], None]
#: The entries held by :meth:`Gate.deferring` in this thread (None: record at once).
_DEFERRED: ContextVar[list[AccessEvent] | None] = ContextVar("piguard_deferred_entries", default=None)


@dataclass(frozen=True, slots=True)
class Erasure:
    """What one erasure destroys, without a value: the customer (a random id), how, by which
    operation and principal, how many records of each type were deleted, and, for a partial
    erasure, which fields were removed from how many records of each kept type."""

    customer_id: str
    method: Literal["crypto_shred", "partial"]
    operation: str
    actor: str
    deleted: Mapping[str, int]
    stripped: Mapping[str, int]
    fields: Mapping[str, list[str]]


class ErasureObserver(Protocol):
    def erasing(self, conn: Connection, erasure: Erasure) -> None:
        """Inside the erasing transaction (what it writes commits with the erasure)."""

    def erased(self, erasure: Erasure) -> None:
        """Once the erasure committed."""


class WithdrawalObserver(Protocol):
    def withdrawing(self, conn: Connection, customer_id: str, withdrawn: Sequence[tuple[str, str]]) -> None:
        """Inside the transaction that records a consent withdrawal (``withdrawn``: the
        ``(kind, purpose)`` pairs it ended); what it writes commits with the withdrawal."""


#: Detail the kernel itself adds (refusal reasons), declared for every operation.
KERNEL_DETAIL: Mapping[str, DetailKind] = {"reason": "reason"}


class ConsentLayer(Protocol):
    """What the kernel needs of the consent layer: purpose checks and the one minor rule."""

    def check_read(
        self,
        customer_id: str,
        purpose: str,
        *,
        record_type: str = "customer",
        fields: Any = None,
    ) -> None: ...

    def check_write(
        self,
        customer_id: str | None,
        purpose: str,
        fields: Collection[str],
        values: Mapping[str, str],
        *,
        record_type: str = "customer",
    ) -> None: ...

    def age_hook(self, values: Mapping[str, object], record_type: str = "customer") -> TxHook: ...

    def filter_import(
        self,
        rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
        purpose: str,
        *,
        record_type: str = "customer",
        operator: str = "import",
        dry_run: bool = False,
    ) -> Iterator[tuple[int, Mapping[str, object] | ValidationError]]: ...

    def is_under_14(self, customer_id: str) -> bool: ...

    def operation(self) -> AbstractContextManager[None]: ...


class Capability(Protocol):
    """A mounted capability: its name, its operations, and the hook that hands it the kernel."""

    @property
    def name(self) -> str: ...

    @property
    def operations(self) -> Sequence[Operation]: ...

    def bind(self, gate: Gate) -> None: ...


class Gate:
    """The enforcement gate over one vault (see the module docstring).

    :param access: principals, training, grants and quotas.
    :param consent: the consent layer (purpose checks, the minor rule); mounted as a capability too.
    """

    def __init__(
        self,
        vault: Vault,
        *,
        recorder: AccessRecorder,
        access: AccessControl,
        consent: ConsentLayer,
        clock: Clock | None = None,
    ) -> None:
        from piguard.gate import records, stays

        self.vault = vault
        self.db: Database = vault.db
        self.catalog: Catalog = vault.catalog
        self.access = access
        self.consent = consent
        self.recorder = recorder
        #: Entries :meth:`deferring` holds before it appends them in a transaction of their own.
        self.deferred_batch = 2_000
        self.clock: Clock = clock or vault.clock or SystemClock()
        self.policy = Policy(vault.catalog)
        self.checkins = CheckInBook(self.db, self.clock)
        self.decider = Decider(self.catalog, self.policy, access, consent.is_under_14)
        self.registry = Registry()
        #: Exact-match answers on fields the caller sees only masked are probes (issue 11).
        self.probes = ProbeStep(access.probes)
        self.guards: list[Guard] = [
            RowScope(self.catalog, vault, self.today, self.checkins),
            PurposeConsent(consent),
            CustomerQuota(access.quotas),
        ]
        #: Checked inside every erasing transaction (legal holds): see :meth:`add_barrier`.
        self.barriers: list[Barrier] = []
        self.erasure_observers: list[ErasureObserver] = []
        #: Told of every consent withdrawal, in its transaction: see :meth:`add_withdrawal_observer`.
        self.withdrawal_observers: list[WithdrawalObserver] = []
        self.capabilities: dict[str, Capability] = {}
        #: Why the gate refuses every call (a restore in progress), or None; see :meth:`seal`.
        self.sealed: str | None = None
        self._seal_check: Callable[[], str | None] | None = None
        self.records = records.Records(self)
        self._declare(self.records)
        self.stays = stays.Stays(self)
        self._declare(self.stays)

    def capability(self, kind: type[C]) -> C:
        """The mounted capability of this class (how the edges reach a capability's operations).

        :raises LookupError: none is mounted.
        """
        for mounted in self.capabilities.values():
            if isinstance(mounted, kind):
                return mounted
        raise LookupError(f"no capability {kind.__name__} is mounted")

    # ------------------------------------------------------------------ mounting

    def _declare(self, capability: Capability) -> None:
        for op in capability.operations:
            if op.capability != capability.name:
                raise ValueError(
                    f"operation {op.name!r} belongs to {op.capability!r}, not {capability.name!r}"
                )
            self.registry.add(op)
        self.capabilities[capability.name] = capability

    def mount(self, capability: Capability) -> None:
        """Declare a capability's operations and hand it the kernel."""
        self._declare(capability)
        capability.bind(self)

    def add_guard(self, guard: Guard) -> None:
        """A rule that holds for every operation it applies to (restriction, storage only...)."""
        self.guards.append(guard)

    def add_barrier(self, barrier: Barrier) -> None:
        """A rule that stops erasure (a legal hold): called inside the erasing transaction, after
        the rows are deleted and before the key is destroyed, so a hold committed before that
        point always wins; raising aborts the whole erasure."""
        self.barriers.append(barrier)

    def add_erasure_observer(self, observer: ErasureObserver) -> None:
        """Told of every erasure: inside its transaction (to record it with it) and once committed
        (to verify and sign that record)."""
        self.erasure_observers.append(observer)

    def add_withdrawal_observer(self, observer: WithdrawalObserver) -> None:
        """Told of every consent withdrawal inside its transaction (a partner that received the
        customer's data on that basis is sent a deletion notice that commits with it)."""
        self.withdrawal_observers.append(observer)

    def consent_withdrawn(
        self, conn: Connection, customer_id: str, withdrawn: Sequence[tuple[str, str]]
    ) -> None:
        """Called by the consent capability in the withdrawal's transaction; an observer that
        raises aborts the withdrawal (nothing half-written)."""
        if withdrawn:
            for observer in self.withdrawal_observers:
                observer.withdrawing(conn, customer_id, withdrawn)

    # ------------------------------------------------------------------ sealed state

    def seal(self, reason: str, check: Callable[[], str | None] | None = None) -> None:
        """Refuse every operation with :class:`VaultSealed` (Vault's sealed state) until
        :meth:`unseal`, or until ``check`` (asked on each call while sealed: the shared seal in
        the database) answers None, so every process over the database unseals together. Only
        the system principal of ``reason``'s job (``system:restore``) runs meanwhile."""
        self.sealed = reason
        self._seal_check = check

    def unseal(self) -> None:
        self.sealed = None
        self._seal_check = None

    def _check_sealed(self, ctx: RequestContext) -> None:
        if self.sealed is None:
            return
        if self._seal_check is not None and self._seal_check() is None:
            self.unseal()
            return
        if ctx.actor.id == RESTORE_ACTOR:
            return
        raise VaultSealed(
            f"the installation is sealed: {self.sealed}; every call is refused until it unseals"
        )

    def replay_erasures(
        self, call: Call, entries: Iterable[Mapping[str, Any]], hook: TxHook
    ) -> dict[str, int]:
        """Apply another key store's erasure ledger here (a restore): no barrier stops it (the
        erasure already happened where the ledger was written), each change audited by ``hook``.

        :returns: ``{"entries", "customers", "records"}``: entries read, customers and records erased.
        """
        counts = {"entries": 0, "customers": 0, "records": 0}
        for entry in entries:
            counts["entries"] += 1
            erased, records = self.vault.replay_erasure(entry, hook=hook)
            counts["customers"] += erased
            counts["records"] += records
        return counts

    def check_readable(self, limit: int) -> dict[str, int]:
        """See :meth:`Vault.check_readable` (counts only): a restored copy's sample read."""
        return self.vault.check_readable(limit)

    def shred(self, call: Call, customer_id: str, hook: TxHook) -> int:
        """Crypto-shred ``customer_id`` for ``call`` (the one way the kernel and its capabilities
        destroy a customer): barriers and observers run in the vault's transaction with ``hook``.

        :returns: the number of records deleted.
        """
        kinds = Counter(ref.record_type for ref in self.vault.customer_records(customer_id))
        erasure = Erasure(customer_id, "crypto_shred", call.op.name, call.ctx.actor.id, dict(kinds), {}, {})
        count = self.vault.erase(customer_id, hook=self._erasing(erasure, hook))
        self._erased(erasure)
        return count

    def erase_partly(
        self,
        call: Call,
        customer_id: str,
        *,
        drop: Collection[str] = (),
        strip: Mapping[str, Collection[str]] | None = None,
        drop_records: Collection[str] = (),
        strip_records: Mapping[str, Collection[str]] | None = None,
        hook: TxHook,
    ) -> dict[str, int]:
        """Erase part of a customer (record types or records deleted, fields removed), the key
        kept for the rest (see :meth:`Vault.erase_partly`); barriers and observers as for
        :meth:`shred`."""
        by_type, by_record = strip or {}, strip_records or {}
        deleted: Counter[str] = Counter()
        stripped: Counter[str] = Counter()
        fields: dict[str, set[str]] = {}
        for ref in self.vault.customer_records(customer_id):
            if ref.record_type in drop or ref.record_id in drop_records:
                deleted[ref.record_type] += 1
            elif by_type.get(ref.record_type) or by_record.get(ref.record_id):
                stripped[ref.record_type] += 1
                names = set(by_type.get(ref.record_type) or ()) | set(by_record.get(ref.record_id) or ())
                fields.setdefault(ref.record_type, set()).update(names)
        erasure = Erasure(
            customer_id,
            "partial",
            call.op.name,
            call.ctx.actor.id,
            dict(deleted),
            dict(stripped),
            {rt: sorted(names) for rt, names in fields.items()},
        )
        counts = self.vault.erase_partly(
            customer_id,
            drop=drop,
            strip=by_type,
            drop_records=drop_records,
            strip_records=by_record,
            hook=self._erasing(erasure, hook),
        )
        self._erased(erasure)
        return counts

    def is_erased(self, customer_id: str) -> bool:
        """Whether nothing of ``customer_id`` can be read any more: no key, no record (the check a
        destruction record's verification runs; it reveals nothing but that)."""
        return not self.vault.exists(customer_id) and not self.vault.customer_records(customer_id)

    def customer_ids(self, batch_size: int = 1000) -> Iterator[str]:
        """Every customer not erased (random ids only): what a sweep over the vault walks."""
        return self.vault.iter_customer_ids(batch_size)

    def record_times(self, customer_id: str) -> list[tuple[RecordRef, datetime, datetime, frozenset[str]]]:
        """The customer's records with their creation and last-change times and the names of the
        fields they hold (nothing decrypted)."""
        return self.vault.record_times(customer_id)

    def record_counts(self, customer_id: str) -> dict[str, int]:
        """How many records of each type ``customer_id`` has (ids only, nothing decrypted)."""
        return dict(Counter(ref.record_type for ref in self.vault.customer_records(customer_id)))

    def _erasing(self, erasure: Erasure, hook: TxHook) -> TxHook:
        def run(conn: Connection, refs: Sequence[RecordRef]) -> None:
            for barrier in self.barriers:
                barrier(conn, erasure.customer_id)
            hook(conn, refs)
            for observer in self.erasure_observers:
                observer.erasing(conn, erasure)

        return run

    def _erased(self, erasure: Erasure) -> None:
        for observer in self.erasure_observers:
            try:
                observer.erased(erasure)
            except Exception:
                # The erasure has committed: its caller must hear so. What an observer does after
                # the commit (signing a record) is redone by its own job (destruction_check).
                log.exception("after-erasure step failed")

    def operations(self) -> list[dict[str, Any]]:
        """Every declared operation, as data (``piguard operations --json``)."""
        return self.registry.describe()

    def detail_kinds(self) -> dict[str, DetailKind]:
        """The audit scrubber's allow-list: every declared detail key and its kind."""
        return {**self.registry.detail_kinds(), **KERNEL_DETAIL}

    # ------------------------------------------------------------------ time

    def today(self) -> date:
        return local_today(self.clock)

    # ------------------------------------------------------------------ the pipeline

    def run(
        self,
        ctx: RequestContext,
        op: Operation | str,
        handler: Callable[[Call], T],
        *,
        subject: RecordRef | str | None = None,
        record_type: str | None = None,
        fields: Sequence[str] = (),
    ) -> T:
        """Run one operation through the pipeline (see the module docstring).

        :param subject: the customer id, or the :class:`RecordRef` of one record (its owner is found
            without decrypting anything), for operations about one customer.
        :raises AccessDenied: the role may not, or a guard refuses (recorded under the operation).
        :raises NotFound: no such customer or record.
        """
        op = self.registry[op] if isinstance(op, str) else op
        if op.name not in self.registry:
            raise ValueError(f"operation {op.name!r} is not declared")
        self._check_sealed(ctx)
        # One snapshot per operation of what other processes may change: the consent watermark
        # and the customer's key row are read once, however many steps look at them.
        with self.consent.operation(), self.vault.keys.operation():
            return self._run(ctx, op, handler, subject, record_type, fields)

    def _run(
        self,
        ctx: RequestContext,
        op: Operation,
        handler: Callable[[Call], T],
        subject: RecordRef | str | None,
        record_type: str | None,
        fields: Sequence[str],
    ) -> T:
        rt = record_type or (subject.record_type if isinstance(subject, RecordRef) else None)
        call = Call(self, ctx, op, None, "")
        call.touch(fields, rt)
        with self._refusals(call):
            if op.purpose and not ctx.purpose:
                raise AccessDenied(f"operation '{op.name}' needs a purpose", "purpose", key="needs_purpose")
            if op.as_customer and ctx.actor.kind != "customer":
                raise AccessDenied(f"operation '{op.name}' runs only as its customer", "principal")
            if op.purposes and ctx.purpose not in op.purposes:
                raise AccessDenied(
                    f"operation '{op.name}' runs only for purpose {', '.join(op.purposes)}", "purpose"
                )
            call.rule = self._authorise(ctx, op)
        # The subject only once the caller may act at all: a refused role learns nothing of it.
        call.ref = ref = self._resolve(op, subject)
        if ref is not None and rt is None:
            call.record_type = ref.record_type
        with self._refusals(call):
            if ref is not None:
                self._guard(ctx, op, ref, fields)
            result = handler(call)
        if not call.recorded:
            if op.writes:
                raise AuditUnrecorded(f"write operation {op.name!r} returned without its audit entry")
            self._record(self._event(call))
        return result

    def _guard(
        self,
        ctx: RequestContext,
        op: Operation,
        ref: RecordRef,
        fields: Sequence[str],
        skip: Collection[str] = (),
    ) -> None:
        """Run every guard that applies to ``op`` (bar those named in ``skip``).

        :raises AccessDenied: the first guard that refuses.
        """
        for guard in self.guards:
            if guard.name not in skip and guard.applies(op):
                guard.check(ctx, op, ref, fields)

    def permitted(self, call: Call, ref: RecordRef, *, skip: Collection[str] = ()) -> bool:
        """Would the guards let ``call`` reach ``ref``? For operations over many customers (search
        results), which answer only with the customers the caller may process."""
        try:
            self._guard(call.ctx, call.op, ref, (), skip)
        except AccessDenied:
            return False
        return True

    def _authorise(self, ctx: RequestContext, op: Operation) -> str:
        purpose = ctx.purpose or None if op.purpose else None
        first: AccessDenied | None = None
        for action in op.actions:
            try:
                return self.policy.check_action(ctx.actor.role, action, purpose)
            except AccessDenied as exc:
                first = first or exc
        assert first is not None  # an operation declares at least one action
        raise first

    def _resolve(self, op: Operation, subject: RecordRef | str | None) -> RecordRef | None:
        if op.subject != "customer" or subject is None:
            return None
        if isinstance(subject, str):
            if not self.vault.exists(subject):
                raise NotFound("no such customer (unknown or erased)")
            return RecordRef(subject, CUSTOMER, subject)
        if subject.record_type == CUSTOMER:
            if not self.vault.exists(subject.record_id):
                raise NotFound("no such customer (unknown or erased)")
            return RecordRef(subject.record_id, CUSTOMER, subject.record_id)
        # The owner of a record, without decrypting anything.
        return self.vault.read(subject.record_type, subject.record_id, []).ref

    @contextmanager
    def _refusals(self, call: Call) -> Iterator[None]:
        """Record every refusal raised inside the block (reason and rule, never values), then re-raise."""
        try:
            yield
        except AccessDenied as exc:
            result = "quota" if isinstance(exc, QuotaExceeded) else exc.code
            self._record(
                self._event(
                    call,
                    decision="deny",
                    rule=exc.rule or "",
                    result=result if result != "forbidden" else "denied",
                    detail={"reason": exc.reason},
                )
            )
            raise

    # ------------------------------------------------------------------ recording

    def _event(
        self,
        call: Call,
        *,
        ref: RecordRef | None = None,
        decision: str = "allow",
        rule: str | None = None,
        result: str = "ok",
        detail: Mapping[str, Any] | None = None,
    ) -> AccessEvent:
        ctx = call.ctx
        ref = ref or call.ref
        return AccessEvent(
            time=self.clock.now(),
            actor_id=ctx.actor.id,
            role=ctx.actor.role,
            action=call.op.name,
            purpose=ctx.purpose,
            record_type=call.record_type or (ref.record_type if ref else None),
            customer_id=ref.customer_id if ref else None,
            record_id=ref.record_id if ref else None,
            fields=call.fields,
            decision=decision,
            rule=call.rule if rule is None else rule,
            result=result,
            client=ctx.client,
            address=ctx.address,
            session=ctx.session or ctx.actor.session,
            detail=dict(detail if detail is not None else call.detail),
        )

    def _record(self, event: AccessEvent, conn: Connection | None = None) -> None:
        held = _DEFERRED.get() if conn is None else None
        if held is None:
            self.recorder.record(event, conn)
            return
        held.append(event)
        if len(held) >= self.deferred_batch:
            self._flush_deferred(held, None)

    @contextmanager
    def deferring(self) -> Iterator[None]:
        """Hold the entries of the read operations (and refusals) run inside this block, in this
        thread, and append them in batches of :attr:`deferred_batch`: one write transaction per
        batch instead of one per row. The last batch is appended by the next ``call.transaction()``
        opened inside the block (a share's log), so those entries and that change commit together;
        whatever is still held when the block ends (an error, or no transaction) is appended then.
        The handler must not hand data out before the block ends: that is when every entry exists.
        """
        if _DEFERRED.get() is not None:
            raise RuntimeError("deferring() does not nest")
        held: list[AccessEvent] = []
        token = _DEFERRED.set(held)
        try:
            yield
        finally:
            _DEFERRED.reset(token)
            if held:
                self._flush_deferred(held, None)

    def take_deferred(self, conn: Connection) -> list[AccessEvent]:
        """Append the entries :meth:`deferring` holds inside ``conn`` (the caller's transaction);
        returns them, for :meth:`restore_deferred` if that transaction rolls back."""
        held = _DEFERRED.get()
        if not held:
            return []
        events = list(held)
        held.clear()
        try:
            self._record_many(events, conn)
        except BaseException:
            held[:0] = events
            raise
        return events

    def restore_deferred(self, events: Sequence[AccessEvent]) -> None:
        """Hold ``events`` again (their transaction rolled back), to be appended on their own."""
        held = _DEFERRED.get()
        if events and held is not None:
            held[:0] = events

    def _flush_deferred(self, held: list[AccessEvent], conn: Connection | None) -> None:
        events = list(held)
        held.clear()
        self._record_many(events, conn)

    def _record_many(self, events: Sequence[AccessEvent], conn: Connection | None) -> None:
        many = getattr(self.recorder, "record_many", None)
        if many is not None:
            many(events, conn)  # one append for a whole import batch (group commit)
        else:
            for event in events:
                self.recorder.record(event, conn)

    def record_summary(self, call: Call, op: Operation | str, **detail: Any) -> None:
        """Record a second, declared operation's entry that summarises ``call`` (an import's
        totals after its per-record entries)."""
        summary = self.registry[op] if isinstance(op, str) else op
        extra = Call(self, call.ctx, summary, call.ref, call.rule)
        extra.touch(call.fields, call.record_type)
        extra.note(**detail)
        self._record(self._event(extra))

    # ------------------------------------------------------------------ the records operations
    # One-line forwards, so that edges say ``gate.read(...)``; each runs its declared operation.

    def create(
        self, ctx: RequestContext, record_type: str, values: Mapping[str, object], **kw: Any
    ) -> RecordRef:
        return self.records.create(ctx, record_type, values, **kw)

    def read(
        self, ctx: RequestContext, record_type: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        return self.records.read(ctx, record_type, record_id, fields)

    def update(
        self, ctx: RequestContext, record_type: str, record_id: str, values: Mapping[str, object]
    ) -> RecordRef:
        return self.records.update(ctx, record_type, record_id, values)

    def search(
        self, ctx: RequestContext, record_type: str, field_name: str, value: object, *, limit: int = 50
    ) -> list[RecordRef]:
        return self.records.search(ctx, record_type, field_name, value, limit=limit)

    def match(self, ctx: RequestContext, customer_id: str, field_name: str, value: object, **kw: Any) -> bool:
        return self.records.match(ctx, customer_id, field_name, value, **kw)

    def customer_records(self, ctx: RequestContext, customer_id: str) -> list[RecordRef]:
        return self.records.customer_records(ctx, customer_id)

    def summaries(self, ctx: RequestContext, customer_ids: Iterable[str]) -> dict[str, Any]:
        return self.records.summaries(ctx, customer_ids)

    def export(
        self, ctx: RequestContext, record_type: str, record_ids: Sequence[str], **kw: Any
    ) -> list[Any]:
        return self.records.exports.export(ctx, record_type, record_ids, **kw)

    def import_rows(self, ctx: RequestContext, record_type: str, rows: Iterable[Any], **kw: Any) -> Any:
        return self.records.import_rows(ctx, record_type, rows, **kw)

    def import_checkpoint(self, source: bytes, record_type: str, purpose: str) -> tuple[str, int]:
        """An import's checkpoint name (a keyed digest of its source) and the last row number its
        committed batches reached (0: none): what ``import_rows(checkpoint=..., resume=True)`` skips."""
        key = self.vault.import_key(source, record_type, purpose)
        return key, self.vault.rows_done(key)

    def erase(self, ctx: RequestContext, customer_id: str, *, reason: str) -> int:
        return self.records.erase(ctx, customer_id, reason=reason)

    def key_status(self, ctx: RequestContext) -> dict[str, Any]:
        return self.records.key_status(ctx)

    def rotate_keys(
        self, ctx: RequestContext, progress: Callable[[int], None] | None = None, *, resume: bool = False
    ) -> dict[str, int]:
        return self.records.rotate_keys(ctx, progress, resume=resume)

    def retire_key(self, ctx: RequestContext, version: int) -> None:
        self.records.retire_key(ctx, version)

    def reindex(
        self,
        ctx: RequestContext,
        progress: Callable[[int], None] | None = None,
        total: Callable[[int], None] | None = None,
    ) -> dict[str, int]:
        return self.records.reindex(ctx, progress, total)

    def decide(self, ctx: RequestContext, ref: RecordRef, fdefs: Mapping[str, Any]) -> dict[str, Any]:
        """Per-field decisions without reading anything (the console's unmask hints)."""
        return self.decider.decide(ctx, ref, fdefs)
