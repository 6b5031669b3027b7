"""Hotel stays: registering, checking in and checking out (issue 11, item 5), built into the gate.

The ``active_stay`` row scope lets a front desk see a guest while one of their stays is checked
in. Registering a stay (``stay_register``) creates the relationship but grants nothing: anyone at
the desk can type any customer id. ``stay_check_in`` proves it, by one of

- the guest's **stated ID number** (resident ID or passport) matching the record: compared after
  normalising, in constant time, never stored, logged or returned; a mismatch is refused, recorded
  and counted, and after :data:`~piguard.access.checkins.MAX_FAILED_MATCHES` failures over the
  guest's stays check-in by ID number locks for that guest;
- an approved **check-in grant** (``kind="check_in"``, :mod:`piguard.access.grants`): requested by
  the caller, approved by a second person whose role may approve the caller's (a duty manager,
  the officer), through the usual human-decision rules (step-up, training, no self-approval,
  separation of duties); used up by the check-in.

``stay_check_out`` ends the scope; it runs inside the scope like any other operation. The
registration and the check-in are declared ``relationship`` operations: the row scope does not
apply to them (their subject is outside it until they succeed), and neither returns a value.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from piguard.access import scope
from piguard.access.checkins import MAX_FAILED_MATCHES
from piguard.access.grants import CHECK_IN_RECORD
from piguard.errors import AccessDenied, Conflict, NotFound, ValidationError
from piguard.gate.context import RequestContext
from piguard.gate.operation import Operation
from piguard.vault.model import RecordRef
from piguard.vault.vault import CUSTOMER

if TYPE_CHECKING:
    from piguard.gate.call import Call
    from piguard.gate.kernel import Gate

CAPABILITY = "stays"

#: Customer fields a guest's stated ID number is matched against, in this order.
ID_FIELDS: tuple[str, ...] = (scope.RESIDENT_ID_FIELD, "passport")

STAY_REGISTER = Operation(
    "stay_register",
    ("write",),
    "customer",
    CAPABILITY,
    writes=True,
    relationship=True,
    requirements=("R-USE-1", "R-COL-3"),
    summary="register a hotel stay for a customer; it grants no row scope until checked in",
)
STAY_CHECK_IN = Operation(
    "stay_check_in",
    ("write",),
    "customer",
    CAPABILITY,
    writes=True,
    relationship=True,
    requirements=("R-USE-1",),
    detail={"matched": "bool", "grant": "token"},
    summary="check a stay in: the guest's ID number matched, or a check-in grant another person approved",
)
STAY_CHECK_OUT = Operation(
    "stay_check_out",
    ("write",),
    "customer",
    CAPABILITY,
    writes=True,
    requirements=("R-USE-1",),
    summary="check a stay out: the front desk's row scope over the guest ends",
)

OPERATIONS: tuple[Operation, ...] = (STAY_REGISTER, STAY_CHECK_IN, STAY_CHECK_OUT)


class Stays:
    """The stays capability (see the module docstring)."""

    name = CAPABILITY
    operations = OPERATIONS

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.vault = gate.vault
        self.checkins = gate.checkins

    def bind(self, gate: Gate) -> None:  # built in: bound at construction
        self.gate = gate

    def _require_stays(self) -> None:
        if CHECK_IN_RECORD not in self.gate.catalog.record_types:
            raise ValidationError("this catalog declares no hotel stays", "record_type")

    def register(self, ctx: RequestContext, customer_id: str, values: Mapping[str, object]) -> RecordRef:
        """Register a stay for an existing customer (the relationship, not the proof).

        :raises NotFound: no such customer.
        :raises ValidationError: a bad value, named by field.
        """
        self._require_stays()
        records = self.gate.records

        def handler(call: Call) -> RecordRef:
            hook = records._write_hook(call, CHECK_IN_RECORD, values, customer_id)
            return self.vault.create(
                CHECK_IN_RECORD, values, purpose=ctx.purpose, customer_id=customer_id, hook=hook
            )

        return self.gate.run(
            ctx,
            STAY_REGISTER,
            handler,
            subject=customer_id,
            record_type=CHECK_IN_RECORD,
            fields=sorted(values),
        )

    def check_in(
        self,
        ctx: RequestContext,
        stay_id: str,
        *,
        id_number: str | None = None,
        grant_id: str | None = None,
    ) -> dict[str, Any]:
        """Check ``stay_id`` in by the guest's stated ID number or an approved check-in grant.

        :raises ValidationError: neither or both given; an ID number of no known form.
        :raises AccessDenied: the number does not match (counted), check-in by number is locked,
            or the grant is not an approved check-in grant of the caller for this guest.
        :raises Conflict: the stay is already checked in or out.
        """
        self._require_stays()
        if (id_number is None or not id_number.strip()) == (grant_id is None or not grant_id.strip()):
            raise ValidationError("give the guest's ID number or an approved check-in grant", "id_number")

        def handler(call: Call) -> dict[str, Any]:
            ref = call.ref
            assert ref is not None
            state = self.checkins.get(ref.record_id)
            if state is not None and state.status != "registered":
                raise Conflict(f"the stay is already {state.status.replace('_', ' ')}")
            if grant_id is not None and grant_id.strip():
                return self._by_grant(call, ref, grant_id.strip())
            assert id_number is not None
            return self._by_id_number(call, ref, id_number)

        return self.gate.run(ctx, STAY_CHECK_IN, handler, subject=RecordRef("", CHECK_IN_RECORD, stay_id))

    def _by_grant(self, call: Call, ref: RecordRef, grant_id: str) -> dict[str, Any]:
        grants = self.gate.access.grants
        try:
            grant = grants.get(grant_id)
        except NotFound:
            grant = None
        now = self.gate.clock.now()
        if (
            grant is None
            or grant.kind != "check_in"
            or grant.requester_id != call.ctx.actor.id
            or grant.customer_id != ref.customer_id
            or grant.state(now) != "approved"
        ):
            raise AccessDenied(
                "not an approved check-in grant of yours for this guest: request one "
                "(kind check_in) and have a second person approve it",
                "stays.check_in.approval",
                key="check_in_approval",
            )
        call.note(grant=grant_id)
        with call.transaction() as conn:
            if not grants.mark_used(grant_id, conn):
                raise Conflict("the check-in grant was used already")
            self.checkins.check_in(
                conn,
                ref.record_id,
                ref.customer_id,
                method="approval",
                by=call.ctx.actor.id,
                grant_id=grant_id,
            )
        return {"stay_id": ref.record_id, "status": "checked_in", "method": "approval"}

    def _by_id_number(self, call: Call, ref: RecordRef, stated: str) -> dict[str, Any]:
        if self.checkins.locked(ref.customer_id):
            raise AccessDenied(
                "check-in by ID number is locked for this guest after repeated mismatches: "
                "a duty manager must approve a check-in grant",
                "stays.check_in.locked",
                key="check_in_locked",
            )
        if not self._matches(ref.customer_id, stated):
            # Counted in its own transaction, before the refusal is recorded under stay_check_in.
            total = self.checkins.note_failure(ref.record_id, ref.customer_id)
            left = max(0, MAX_FAILED_MATCHES - total)
            raise AccessDenied(
                f"the ID number does not match the guest's record ({left} attempt(s) left before "
                "check-in by ID number locks)",
                "stays.check_in.id_match",
                key="check_in_mismatch",
                params={"left": str(left)},
            )
        call.note(matched=True)
        with call.transaction() as conn:
            self.checkins.check_in(
                conn, ref.record_id, ref.customer_id, method="id_match", by=call.ctx.actor.id
            )
        return {"stay_id": ref.record_id, "status": "checked_in", "method": "id_match"}

    def _matches(self, customer_id: str, stated: str) -> bool:
        """Whether ``stated`` equals one of the guest's ID numbers, each side normalised as its
        field's type; every comparison in constant time, and every candidate compared (no early
        exit that would time which field matched).

        :raises ValidationError: ``stated`` is of no ID form the catalog declares.
        """
        fields = self.gate.catalog.record_types[CUSTOMER].fields
        names = [n for n in ID_FIELDS if n in fields]
        normalised: dict[str, str] = {}
        for name in names:
            try:
                normalised[name] = self.vault.normalize(CUSTOMER, name, stated)
            except ValidationError:
                continue
        if not normalised:
            raise ValidationError("is not a resident ID or passport number", "id_number")
        stored = self.vault.read(CUSTOMER, customer_id, names).values
        matched = False
        for name, value in normalised.items():
            on_record = stored.get(name)
            if on_record:
                matched |= hmac.compare_digest(on_record.encode(), value.encode())
        return matched

    def check_out(self, ctx: RequestContext, stay_id: str) -> dict[str, Any]:
        """Check ``stay_id`` out: the desk's scope over the guest ends.

        :raises Conflict: the stay is not checked in.
        """
        self._require_stays()

        def handler(call: Call) -> dict[str, Any]:
            with call.transaction() as conn:
                self.checkins.check_out(conn, stay_id, by=call.ctx.actor.id)
            return {"stay_id": stay_id, "status": "checked_out"}

        return self.gate.run(ctx, STAY_CHECK_OUT, handler, subject=RecordRef("", CHECK_IN_RECORD, stay_id))
