"""Guards: rules that hold for every operation they apply to, whichever capability runs it.

The kernel runs every applicable guard after it has authorised the action and resolved the
subject, and before the operation's handler sees any data. Built in: row scope (the hotel
front desk's active stay, a customer's own data), consent for the stated purpose, and the
hourly distinct-customer quota. Capabilities contribute their own (a restriction flag, a
legal hold) with :meth:`piguard.gate.Gate.add_guard`; a guard refuses by raising
:class:`~piguard.errors.AccessDenied`, which the kernel records under the operation's name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date
from typing import Protocol

from piguard.access import scope
from piguard.access.checkins import CheckInBook
from piguard.access.quotas import QuotaMeter
from piguard.catalog import Catalog
from piguard.catalog.vocabulary import DATA_ACTIONS
from piguard.errors import AccessDenied
from piguard.gate.context import RequestContext
from piguard.gate.operation import Operation
from piguard.vault.model import RecordRef
from piguard.vault.vault import Vault

#: Actions that look at a customer's data (consent for the purpose and the quota apply).
LOOKING: frozenset[str] = DATA_ACTIONS

#: Actions whose customers count towards the hourly distinct-customer quota.
QUOTA_ACTIONS: frozenset[str] = frozenset({"read", "list"})

#: The prefix of a customer principal's id: ``customer:<customer id>``.
CUSTOMER_PRINCIPAL = "customer:"


class Guard(Protocol):
    """One rule over every operation it :meth:`applies` to."""

    name: str

    def applies(self, op: Operation) -> bool: ...

    def check(self, ctx: RequestContext, op: Operation, ref: RecordRef, fields: Sequence[str]) -> None:
        """:raises AccessDenied: the operation may not proceed for this subject (``fields``: those
        it touches, when it names them)."""


class ConsentReader(Protocol):
    def check_read(
        self,
        customer_id: str,
        purpose: str,
        *,
        record_type: str = "customer",
        fields: Collection[str] | None = None,
    ) -> None: ...


class RowScope:
    """A role with a row scope sees (and writes) only the customers inside it.

    ``active_stay``: a guest only while one of their stays is checked in (``stay_check_in``: ID
    matched or approved) and within its dates, and of stays only that one; registering a stay
    grants nothing by itself. ``own``: a customer principal sees its own data only.
    """

    name = "row_scope"

    def __init__(
        self, catalog: Catalog, vault: Vault, today: Callable[[], date], checkins: CheckInBook
    ) -> None:
        self.catalog = catalog
        self.vault = vault
        self.today = today
        self.checkins = checkins

    def applies(self, op: Operation) -> bool:
        return op.subject != "none"

    def check(self, ctx: RequestContext, op: Operation, ref: RecordRef, fields: Sequence[str]) -> None:
        role = self.catalog.roles.get(ctx.actor.role)
        if role is None or role.scope is None:
            return
        if role.scope == "own":
            if ctx.actor.kind != "customer" or ctx.actor.id != CUSTOMER_PRINCIPAL + ref.customer_id:
                raise AccessDenied(
                    f"role '{role.name}' sees its own data only",
                    f"roles.{role.name}.scope",
                    key="own_scope",
                    params={"role": role.name},
                )
            return
        if op.relationship:
            # Registering and checking in a stay establish the very relationship this scope rests
            # on; they carry their own proof (Operation.relationship). Only for the stay scope: a
            # customer principal's "own" scope above holds for them too.
            return
        if not self._stay_active(ref):
            raise AccessDenied(
                f"role '{role.name}' sees a guest only while the guest's stay is active and checked in",
                f"roles.{role.name}.scope",
                key="out_of_scope",
            )

    def _stay_active(self, ref: RecordRef) -> bool:
        if scope.STAY_RECORD not in self.catalog.record_types:
            return False
        if ref.record_type == scope.STAY_RECORD:
            # A stay record itself: only the active one, so past rooms of the guest stay hidden.
            stays = [ref.record_id]
        else:
            stays = [r.record_id for r in self.vault.customer_records(ref.customer_id, scope.STAY_RECORD)]
        # Only checked-in stays count: whoever registered a stay has not thereby proved the guest.
        checked_in = self.checkins.checked_in(stays)
        today = self.today()
        names = [scope.STAY_FROM, scope.STAY_UNTIL]
        for stay in (s for s in stays if s in checked_in):
            values = self.vault.read(scope.STAY_RECORD, stay, names).values
            if scope.stay_active(values.get(scope.STAY_FROM), values.get(scope.STAY_UNTIL), today):
                return True
        return False


class PurposeConsent:
    """A purpose whose legal basis is consent needs the customer's (R-USE-5, R-COL-1): for every
    operation that looks at a customer's data for a purpose."""

    name = "consent"

    def __init__(self, consent: ConsentReader) -> None:
        self.consent = consent

    def applies(self, op: Operation) -> bool:
        return op.purpose and op.subject != "none" and bool(LOOKING.intersection(op.actions))

    def check(self, ctx: RequestContext, op: Operation, ref: RecordRef, fields: Sequence[str]) -> None:
        if not ctx.purpose:
            return
        # With the fields named, sensitive fields and the non-personalised option are checked too.
        self.consent.check_read(
            ref.customer_id, ctx.purpose, record_type=ref.record_type, fields=list(fields) or None
        )


class CustomerQuota:
    """Distinct customers per hour (R-USE-3): every customer an operation looks at counts."""

    name = "quota"

    def __init__(self, quotas: QuotaMeter) -> None:
        self.quotas = quotas

    def applies(self, op: Operation) -> bool:
        # Exports are bounded by their grant and max_export_rows; searches charge their matches.
        return op.subject == "customer" and bool(QUOTA_ACTIONS.intersection(op.actions))

    def check(self, ctx: RequestContext, op: Operation, ref: RecordRef, fields: Sequence[str]) -> None:
        self.quotas.note_customers(ctx.actor, [ref.customer_id])
