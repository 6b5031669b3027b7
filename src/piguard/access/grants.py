"""Just-in-time grants: time-boxed approvals for clear access and for exports (R-USE-2, R-USE-3).

A ``clear`` grant lets one principal see named fields (or ``*``) of one customer in clear,
for one purpose, until it expires. An ``export`` grant lets one principal export up to
``max_rows`` records of one record type for one purpose, once. A ``check_in`` grant lets one
principal check in one stay of one customer, once (``stay_check_in``), and shows no field. All
are requested by the principal who will use them and approved by another principal whose role has the
``approve`` action and lists the requester's role in ``can_approve``. Nobody approves
their own request.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from piguard.access import duties
from piguard.access.credentials import new_id
from piguard.access.decision import Policy
from piguard.access.tables import grants
from piguard.catalog import Catalog
from piguard.clock import Clock
from piguard.detect import mask_free_text
from piguard.errors import AccessDenied, Conflict, NotFound, ValidationError
from piguard.principal import Actor
from piguard.store import Database

KINDS = frozenset({"clear", "export", "check_in"})
#: The record a ``check_in`` grant is about: one check-in of one of the customer's hotel stays,
#: approved by a second person when the guest's ID number cannot be matched (issue 11, item 5).
CHECK_IN_RECORD = "hotel_stay"
MAX_MINUTES = 8 * 60
DEFAULT_MINUTES = 60
#: A request nobody decided on within a day lapses.
PENDING_TTL = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Grant:
    """One grant, as stored."""

    id: str
    kind: str
    requester_id: str
    requester_role: str
    customer_id: str | None
    record_type: str | None
    purpose: str
    fields: tuple[str, ...] | None  # None: every field
    reason: str
    minutes: int
    max_rows: int | None
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    expires_at: datetime | None

    def covers(self, record_type: str, field: str) -> bool:
        return (
            self.fields is None
            or f"{record_type}.{field}" in self.fields
            or f"{record_type}.*" in self.fields
        )

    def state(self, now: datetime) -> str:
        """The status as of ``now``: approved grants past their end read ``expired``."""
        if self.status == "approved" and self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.status == "pending" and self.created_at + PENDING_TTL <= now:
            return "lapsed"
        return self.status

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "requester_id": self.requester_id,
            "requester_role": self.requester_role,
            "customer_id": self.customer_id,
            "record_type": self.record_type,
            "purpose": self.purpose,
            "fields": list(self.fields) if self.fields is not None else "*",
            "reason": self.reason,
            "minutes": self.minutes,
            "max_rows": self.max_rows,
            "status": self.state(now),
            "created_at": self.created_at.isoformat(),
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decided_by": self.decided_by,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


def _grant(row: Mapping[Any, Any]) -> Grant:
    data = dict(row)
    raw = data.pop("fields")
    return Grant(fields=None if raw == "*" else tuple(json.loads(raw)), **data)


class GrantBook:
    """Requests, approvals and look-ups of grants."""

    def __init__(self, db: Database, catalog: Catalog, clock: Clock, policy: Policy | None = None) -> None:
        self.db = db
        self.catalog = catalog
        self.clock = clock
        self.policy = policy or Policy(catalog)

    # ------------------------------------------------------------------ requests

    def request(
        self,
        requester: Actor,
        *,
        kind: str,
        purpose: str,
        reason: str,
        customer_id: str | None = None,
        record_type: str | None = None,
        fields: Collection[str] | None = None,
        minutes: int = DEFAULT_MINUTES,
        max_rows: int | None = None,
    ) -> Grant:
        """File a pending request for ``requester`` itself.

        :raises ValidationError: bad kind, purpose, fields, duration, rows or empty reason.
        :raises AccessDenied: the requester's role may not act for ``purpose``, or sees a named field
            at most masked (a grant cannot widen a role: :meth:`_check_reach`).
        """
        if kind not in KINDS:
            raise ValidationError("must be 'clear', 'export' or 'check_in'", "kind")
        if not reason.strip():
            raise ValidationError("a reason is required", "reason")
        if not 1 <= minutes <= MAX_MINUTES:
            raise ValidationError(f"must be between 1 and {MAX_MINUTES} minutes", "minutes")
        if purpose not in self.catalog.purposes:
            raise ValidationError(f"unknown purpose '{purpose}'", "purpose")
        role = self.catalog.roles.get(requester.role)
        if role is None or purpose not in role.purposes:
            raise AccessDenied(
                f"role '{requester.role}' may not act for purpose '{purpose}'",
                f"roles.{requester.role}.purposes",
            )
        if kind == "check_in":
            if not customer_id:
                raise ValidationError("a check-in grant names one customer", "customer_id")
            if CHECK_IN_RECORD not in self.catalog.record_types:
                raise ValidationError("this catalog declares no hotel stays to check in", "kind")
            record_type = CHECK_IN_RECORD
            names: set[str] | None = set()  # it unmasks nothing
        elif kind == "clear":
            if not customer_id:
                raise ValidationError("a clear-access grant names one customer", "customer_id")
            names = self._check_fields(fields)
            self._check_reach(requester.role, purpose, names)
        else:
            if not record_type or record_type not in self.catalog.record_types:
                raise ValidationError("an export grant names a record type of the catalog", "record_type")
            if max_rows is None or max_rows < 1:
                raise ValidationError("an export grant needs max_rows >= 1", "max_rows")
            names = self._check_fields(fields)
        row = {
            "id": new_id("grt"),
            "kind": kind,
            "requester_id": requester.id,
            "requester_role": requester.role,
            "customer_id": customer_id,
            "record_type": record_type,
            "purpose": purpose,
            "fields": "*" if names is None else json.dumps(sorted(names)),
            "reason": mask_free_text(reason.strip()[:500]),  # stored for years: no PI in it
            "minutes": minutes,
            "max_rows": max_rows,
            "status": "pending",
            "created_at": self.clock.now(),
            "decided_at": None,
            "decided_by": None,
            "expires_at": None,
        }
        with self.db.transaction() as conn:
            conn.execute(insert(grants).values(**row))
        return _grant(row)

    def _check_fields(self, fields: Collection[str] | None) -> set[str] | None:
        if fields is None or "*" in fields:
            return None
        names = set(fields)
        for name in names:
            rt, _, fname = name.partition(".")
            if rt not in self.catalog.record_types or (
                fname != "*" and fname not in self.catalog.record_types[rt].fields
            ):
                raise ValidationError("fields are 'record_type.field' names of the catalog", "fields")
        if not names:
            raise ValidationError("name at least one field, or '*'", "fields")
        return names

    def _check_reach(self, role: str, purpose: str, names: set[str] | None) -> None:
        """Refuse a clear grant that could change nothing: a grant only lifts step-up and approval
        on what the catalog lets ``role`` see in clear, so a field the role sees at most masked stays
        masked whatever is approved. Named fields must each be reachable; a wildcard (``*`` or
        ``record_type.*``) must reach at least one field.

        :raises AccessDenied: with the reason and the roles that do see the field in clear.
        """
        if names is None:
            # Every field of every record type: some field must be one a grant can unmask.
            if all(
                self.policy.never_clear(role, rt, f, purpose) is not None
                for rt, spec in self.catalog.record_types.items()
                for f in spec.fields.values()
            ):
                raise AccessDenied(
                    f"role '{role}' sees no field in clear for purpose '{purpose}': "
                    "a grant cannot unmask any of them",
                    f"roles.{role}: no clear access",
                )
            return
        wanted: list[tuple[str, str]] = []
        wildcards: list[str] = []
        for name in sorted(names):
            rt, _, fname = name.partition(".")
            if fname == "*":
                wildcards.append(rt)
            else:
                wanted.append((rt, fname))
        for rt, fname in wanted:
            why = self.policy.never_clear(role, rt, self.catalog.record_types[rt].fields[fname], purpose)
            if why is not None:
                raise AccessDenied(why, f"roles.{role}: no clear access to {rt}.{fname}")
        for rt in wildcards:
            fdefs = self.catalog.record_types[rt].fields.values()
            if all(self.policy.never_clear(role, rt, f, purpose) is not None for f in fdefs):
                raise AccessDenied(
                    f"role '{role}' sees no field of {rt} in clear for purpose '{purpose}': "
                    "a grant cannot unmask any of them",
                    f"roles.{role}: no clear access to {rt}.*",
                )

    # ------------------------------------------------------------------ decisions

    def get(self, grant_id: str, conn: Connection | None = None) -> Grant:
        query = select(grants).where(grants.c.id == grant_id)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.db.read() as c:
                row = c.execute(query).first()
        if row is None:
            raise NotFound("no such grant")
        return _grant(row._mapping)

    def check_approver(self, approver: Actor, grant: Grant) -> str:
        """Return the rule that lets ``approver`` decide ``grant``.

        :raises AccessDenied: self-approval, or the approver's role may not approve the requester's role.
        """
        if approver.id == grant.requester_id:
            raise AccessDenied(
                "no self-approval: another principal must approve this grant", "no self-approval"
            )
        role = self.catalog.roles.get(approver.role)
        if role is None or "approve" not in role.actions:
            raise AccessDenied(f"role '{approver.role}' may not approve", f"roles.{approver.role}.actions")
        if grant.requester_role not in role.can_approve:
            raise AccessDenied(
                f"role '{approver.role}' may not approve requests of role '{grant.requester_role}'",
                f"roles.{approver.role}.can_approve",
            )
        return f"roles.{approver.role}.can_approve"

    def decide(self, approver: Actor, grant_id: str, *, approve: bool, minutes: int | None = None) -> Grant:
        """Approve (starting the clock) or reject a pending grant.

        :param minutes: shorten the approved duration (never lengthen it).
        :raises NotFound: no such grant.
        :raises Conflict: the grant is not pending any more.
        :raises AccessDenied: see :meth:`check_approver`.
        """
        now = self.clock.now()
        with self.db.transaction() as conn:
            grant = self.get(grant_id, conn)
            self.check_approver(approver, grant)
            # Separate from the role rules above: who created whose account (issue 11.3).
            duties.check_separation(conn, approver.id, grant.requester_id)
            if grant.state(now) != "pending":
                raise Conflict(f"grant is {grant.state(now)}, not pending")
            length = grant.minutes if minutes is None else minutes
            if not 1 <= length <= grant.minutes:
                raise ValidationError(f"must be between 1 and {grant.minutes} minutes", "minutes")
            values: dict[str, Any] = {"decided_at": now, "decided_by": approver.id}
            if approve:
                values.update(status="approved", expires_at=now + timedelta(minutes=length))
            else:
                values.update(status="rejected")
            conn.execute(update(grants).where(grants.c.id == grant_id).values(**values))
            return self.get(grant_id, conn)

    def revoke(self, actor: Actor, grant_id: str, *, may_revoke_any: bool) -> Grant:
        """End a grant early; the requester, its approver or an administrator may.

        :raises AccessDenied: anyone else.
        """
        with self.db.transaction() as conn:
            grant = self.get(grant_id, conn)
            if actor.id not in (grant.requester_id, grant.decided_by) and not may_revoke_any:
                raise AccessDenied("only the requester, the approver or an administrator may revoke a grant")
            conn.execute(update(grants).where(grants.c.id == grant_id).values(status="revoked"))
            return self.get(grant_id, conn)

    def mark_used(self, grant_id: str, conn: Connection) -> bool:
        """Use up an export grant; returns False if it was not approved (someone got there first)."""
        result = conn.execute(
            update(grants).where(grants.c.id == grant_id, grants.c.status == "approved").values(status="used")
        )
        return result.rowcount == 1

    # ------------------------------------------------------------------ look-ups

    def active_clear(self, principal_id: str, customer_id: str, purpose: str) -> list[Grant]:
        """Approved, unexpired clear grants of ``principal_id`` for ``customer_id`` and ``purpose``."""
        now = self.clock.now()
        query = select(grants).where(
            grants.c.requester_id == principal_id,
            grants.c.customer_id == customer_id,
            grants.c.purpose == purpose,
            grants.c.status == "approved",
            grants.c.kind == "clear",
        )
        with self.db.read() as conn:
            found = [_grant(r._mapping) for r in conn.execute(query)]
        return [g for g in found if g.state(now) == "approved"]

    def list(self, *, requester_id: str | None = None, status: str | None = None) -> list[Grant]:
        query = select(grants).order_by(grants.c.created_at)
        if requester_id is not None:
            query = query.where(grants.c.requester_id == requester_id)
        with self.db.read() as conn:
            found = [_grant(r._mapping) for r in conn.execute(query)]
        now = self.clock.now()
        return [g for g in found if status is None or g.state(now) == status]
