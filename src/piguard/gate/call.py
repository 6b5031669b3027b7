"""A running operation as its handler sees it (:class:`Call`), and the bug it must not have.

The kernel (:mod:`piguard.gate.kernel`) makes one :class:`Call` per operation it runs and hands
it to the operation's handler: the caller's context, the customer view, a transaction for the
capability's own tables in which the call's audit entry commits, and declared detail.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from piguard.gate.context import RequestContext
from piguard.gate.operation import Operation
from piguard.gate.view import CustomerView
from piguard.vault.model import RecordRef
from piguard.vault.vault import TxHook

if TYPE_CHECKING:
    from piguard.gate.kernel import Gate


class AuditUnrecorded(RuntimeError):
    """A write operation's handler returned without committing its audit entry: a bug, not a refusal."""


class Call:
    """One running operation, as its handler sees it."""

    def __init__(self, gate: Gate, ctx: RequestContext, op: Operation, ref: RecordRef | None, rule: str):
        self.gate = gate
        self.ctx = ctx
        self.op = op
        self.ref = ref
        self.rule = rule
        self.fields: tuple[str, ...] = ()
        self.record_type: str | None = ref.record_type if ref else None
        self.detail: dict[str, Any] = {}
        self.recorded = False

    @property
    def view(self) -> CustomerView:
        """The one customer this call is about (operations with a customer subject only)."""
        return CustomerView(self)

    @property
    def customer_id(self) -> str:
        if self.ref is None:
            raise RuntimeError(f"operation {self.op.name!r} has no customer subject")
        return self.ref.customer_id

    def note(self, **detail: Any) -> None:
        """Add declared detail to this call's audit entry (names and counts, never values).

        :raises ValueError: a key the operation did not declare (it would leave the trail hashed).
        """
        undeclared = set(detail) - set(self.op.detail)
        if undeclared:
            raise ValueError(f"operation {self.op.name!r} did not declare detail {sorted(undeclared)}")
        self.detail.update(detail)

    def touch(self, fields: Iterable[str], record_type: str | None = None) -> None:
        """Name the fields (and record type) this call touches, for its audit entry."""
        self.fields = tuple(fields)
        if record_type is not None:
            self.record_type = record_type

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A transaction for the capability's own tables; the call's audit entry is appended in it
        just before it commits, so the change never commits without its entry (fail closed)."""
        if self.recorded:
            raise AuditUnrecorded(f"operation {self.op.name!r} opened a second transaction")
        taken: list[Any] = []
        try:
            with self.gate.db.transaction() as conn:
                yield conn
                # Entries held by ``Gate.deferring`` (this operation's per-row reads) commit with it.
                taken = self.gate.take_deferred(conn)
                self.gate._record(self.gate._event(self), conn)
        except BaseException:
            # Rolled back: the rows were read all the same, so their entries go back to be
            # appended on their own when the deferring block ends.
            self.gate.restore_deferred(taken)
            raise
        self.recorded = True

    def record_in(self, conn: Connection) -> None:
        """Append one more entry of this call (with its notes so far) in ``conn``, a transaction
        of the call's own: a closing entry after per-record ones (a restore's unseal)."""
        self.gate._record(self.gate._event(self), conn)
        self.recorded = True

    def hook(self, *, per_record: bool = True) -> TxHook:
        """A vault transaction hook appending this call's entry (one per record touched, or one for
        the call) inside the vault's own data transaction."""
        gate = self.gate

        def hook(conn: Connection, refs: Sequence[RecordRef]) -> None:
            targets = list(refs) if per_record else list(refs[:1])
            events = [gate._event(self, ref=r) for r in targets]
            gate._record_many(events, conn)
            self.recorded = True

        return hook
