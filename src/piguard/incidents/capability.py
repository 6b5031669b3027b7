"""Incidents as a capability on the gate (R-INC-1..7).

An incident is opened by hand or from a monitoring alert (its id kept as evidence), moves through
stages with justifications, and is closed. Everything staff type is sealed, bound to the incident;
what the columns hold are names, counts, times and principal ids, never customer PI.

**Scope from the audit trail.** :meth:`Incidents.scope` reads the trail back through the SDK's
:class:`~piguard.gate.sdk.TrailReader`: the chain over the window is verified first (a broken
chain is reported in the result and the entry, never skipped), then every allowed entry about a
customer by the given actors / clients under the given catalog actions gives the exact set of
customers touched, with the fields and levels seen, split into sensitive (a sensitive field was
touched, or the customer is under 14) and minors (the consent ledger's recorded age band). The
set is stored as the trail's keyed references, and feeds the count, the grade and the notices.

**Grading and clocks** are :mod:`.grading`'s; the ``incident_clock`` job counts clocks due now,
nearly due and overdue, and the audit rule ``incident_deadline`` raises the alert from its entry.

**Notices**: the regulator draft (zh, :mod:`.notices`) is sealed at rest; individual notices go
through the one outbox (:class:`~piguard.gate.sdk.Messenger`) in the notify operation's
transaction, one per affected customer, and for a customer under 14 a second one to the guardian.
Skipping individual notice needs a recorded reason (harm effectively avoided).

**Containment** freezes a principal (user or API client: every token and key stops working on the
next request) through the accounts' own freeze, handed in by the installation, linked to the
incident in its timeline.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from piguard.calendar import local_date
from piguard.catalog import Catalog
from piguard.catalog.vocabulary import DATA_ACTIONS
from piguard.clock import Clock, SystemClock
from piguard.errors import AuditFailure, Conflict, NotFound, StorageError, ValidationError
from piguard.gate.sdk import (
    Call,
    Kernel,
    Messenger,
    Operation,
    RequestContext,
    SecretBox,
    Storage,
    TrailReader,
    check_id,
)
from piguard.incidents import grading
from piguard.incidents.grading import Thresholds
from piguard.incidents.model import CATEGORIES, STAGES, TEXT_FIELDS, Incident
from piguard.incidents.notices import notice_params, public_announcement, regulator_draft
from piguard.incidents.tables import affected, alerted, drills, events, incidents, notices, plans

__all__ = ["OPERATIONS", "Incidents"]

NAME = "incidents"
MAX_TEXT = 4000
#: Catalog actions a scope may name (those that show data); an entry counts when its operation
#: declares one of them.
SCOPE_ACTIONS = DATA_ACTIONS
#: A drill at least this often (R-INC-5: yearly).
DRILL_EVERY = timedelta(days=365)
#: The clock job alerts about a clock again only after this long in the same state (a clock that
#: changes state, nearly due to overdue, alerts at once). Kept per clock in ``incident_alerted``.
ALERT_COOLDOWN = timedelta(hours=1)
#: The key of the yearly drill's clock in ``incident_alerted`` (not an incident's).
DRILL_CLOCK = "drill"

#: Freeze a principal (name or id) with a reason: the accounts' own freeze, which revokes every
#: token and key and is itself audited.
Freeze = Callable[[str, str], None]
#: Which of some customers are under 14 (the consent ledger's one rule, in bulk).
MinorsAmong = Callable[[Collection[str]], set[str]]
#: Release a child's contact details to the outbox's sender for a notice (R-USE-2, R-INC-6): a clear
#: grant for the notifier, for the notification purpose, requested and approved by the acting officer
#: through the accounts' own operations (both audited). Takes the officer's context, the customer
#: and the reason; returns the grant's id.
Release = Callable[[RequestContext, str, str], str]
#: Suspend a partner's agreements in force (the sharing register's own ``agreement_suspend``, run
#: with the officer's context, each audited); takes the context and the partner id, returns the
#: agreement ids suspended.
Suspend = Callable[[RequestContext, str], list[str]]
#: Rotate the key-encryption key (the key store's own ``key_rotate``, audited, run by the
#: installation as ``system:incidents``: the officer's containment decision, an operator's act);
#: returns ``{"kek_version", "rewrapped"}``.
Rotate = Callable[[RequestContext], Mapping[str, int]]


def _op(name: str, actions: tuple[Any, ...], summary: str, **kw: Any) -> Operation:
    detail = {"incident": "token", **kw.pop("detail", {})}
    return Operation(
        name,
        actions,
        "none",
        NAME,
        purpose=False,
        summary=summary,
        detail=detail,
        requirements=kw.pop("requirements", ("R-INC-1",)),
        **kw,
    )


OPEN = _op(
    "incident_open",
    ("approve",),
    "open an incident by hand or from an alert (its evidence attached)",
    writes=True,
    detail={"from_alert": "bool", "grade": "token"},
)
UPDATE = _op(
    "incident_update",
    ("approve",),
    "change an incident's facts or stage, with a justification",
    writes=True,
    detail={"stage": "token", "changed": "names"},
)
SHOW = _op("incident_show", ("approve", "audit"), "one incident with its timeline, clocks and notices")
LIST = _op("incident_list", ("approve", "audit"), "the register (no texts)", detail={"count": "int"})
SCOPE = _op(
    "incident_scope",
    ("approve",),
    "the customers an actor or client touched in a window, computed from the verified audit trail",
    writes=True,
    requirements=("R-INC-1", "R-INC-2"),
    detail={"count": "int", "sensitive": "int", "minors": "int", "entries": "int", "verified": "bool"},
)
GRADE = _op(
    "incident_grade",
    ("approve",),
    "propose the grade from the counts, or confirm it (the officer)",
    writes=True,
    requirements=("R-INC-3",),
    detail={"grade": "token", "confirmed": "bool"},
)
NOTIFY = _op(
    "incident_notify",
    ("approve",),
    "draft the regulator's report, send individual and guardian notices, or record why not",
    writes=True,
    requirements=("R-INC-2", "R-INC-4", "R-INC-6"),
    detail={"mode": "token", "count": "int", "guardians": "int"},
)
CONTAIN = _op(
    "incident_contain",
    ("approve",),
    "contain: freeze a principal or API client, suspend a partner's agreements, rotate the keys",
    writes=True,
    detail={"principal": "principal", "partner": "token", "suspended": "int", "kek_version": "int"},
)
CLOSE = _op(
    "incident_close",
    ("approve",),
    "close an incident (handling ended; the final report's clock runs)",
    writes=True,
)
CLOCK = Operation(
    "incident_clock",
    ("administer",),
    "none",
    NAME,
    purpose=False,
    writes=True,
    summary="count reporting clocks due now, nearly due and overdue, and an overdue yearly drill",
    requirements=("R-INC-3", "R-INC-5", "R-INC-7"),
    detail={
        "overdue": "int",
        "nearly_due": "int",
        "due_now": "int",
        "drill_overdue": "bool",
        "open_clocks": "int",
    },
)
PLAN = Operation(
    "incident_plan",
    ("approve",),
    "none",
    NAME,
    purpose=False,
    writes=True,
    summary="publish a new version of the emergency plan",
    requirements=("R-INC-5",),
    detail={"version": "int"},
)
DRILL = Operation(
    "incident_drill",
    ("approve",),
    "none",
    NAME,
    purpose=False,
    writes=True,
    summary="record a drill of the emergency plan (date, scenario, participants, findings)",
    requirements=("R-INC-5",),
    detail={"drill": "token"},
)
DRILLS = Operation(
    "incident_drills",
    ("approve", "audit"),
    "none",
    NAME,
    purpose=False,
    summary="the emergency plan's versions and the drills",
    requirements=("R-INC-5",),
    detail={"count": "int"},
)

OPERATIONS: tuple[Operation, ...] = (
    OPEN,
    UPDATE,
    SHOW,
    LIST,
    SCOPE,
    GRADE,
    NOTIFY,
    CONTAIN,
    CLOSE,
    CLOCK,
    PLAN,
    DRILL,
    DRILLS,
)


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationError("a time needs its offset (ISO 8601 with a zone)", what)
    return value


def _text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(f"at most {MAX_TEXT} characters", what)
    return text


class Incidents:
    """The incident register, scope, grading, clocks, notices, containment and drills."""

    name = NAME
    operations = OPERATIONS

    def __init__(
        self,
        db: Storage,
        catalog: Catalog,
        tenant: str,
        *,
        box: SecretBox,
        trail: TrailReader,
        messenger: Messenger,
        freeze: Freeze,
        minors_among: MinorsAmong,
        release: Release | None = None,
        suspend: Suspend | None = None,
        rotate: Rotate | None = None,
        operator: str = "other",
        profile: str = "cn",
        thresholds: Thresholds | None = None,
        organisation: str = "",
        alert_cooldown: timedelta = ALERT_COOLDOWN,
        clock: Clock | None = None,
    ) -> None:
        if operator not in grading.REPORT_HOURS:
            raise ValidationError(f"operator type must be one of {', '.join(grading.OPERATOR_TYPES)}")
        self._db = db
        self._catalog = catalog
        self._tenant = tenant
        self._box = box
        self._trail = trail
        self._messenger = messenger
        self._freeze = freeze
        self._minors_among = minors_among
        self._release = release
        self._suspend = suspend
        self._rotate = rotate
        self.operator = operator
        self.profile = profile
        self.thresholds = thresholds or Thresholds()
        self.organisation = organisation
        if alert_cooldown <= timedelta(0):
            raise ValidationError("the alert cool-down must be positive")
        self.alert_cooldown = alert_cooldown
        self._clock = clock or SystemClock()
        self._kernel: Kernel | None = None

    def bind(self, kernel: Kernel) -> None:
        self._kernel = kernel

    @property
    def kernel(self) -> Kernel:
        if self._kernel is None:
            raise RuntimeError("the incidents capability is not mounted on a gate")
        return self._kernel

    # ------------------------------------------------------------------ the register

    def open(
        self,
        ctx: RequestContext,
        *,
        title: str,
        discovered: datetime,
        occurred: datetime | None = None,
        category: str = "other",
        pi_types: Collection[str] = (),
        persons: int = 0,
        sensitive: int = 0,
        owner: str | None = None,
        discoverer: str | None = None,
        from_alert: str | None = None,
        cause_known: bool = False,
        texts: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Open an incident; the grade is proposed from the (estimated) counts at once.

        :returns: ``{"id", "grade", "deadlines"}`` (the CLI contract).
        :raises ValidationError: a naive time, an unknown category or PI field, an empty title.
        """
        _aware(discovered, "discovered")
        if occurred is not None:
            _aware(occurred, "occurred")
        if category not in CATEGORIES:
            raise ValidationError(f"category must be one of the {len(CATEGORIES)} listed", "category")
        types = self._pi_types(pi_types)
        if persons < 0 or sensitive < 0:
            raise ValidationError("counts cannot be negative", "persons")
        given = {"title": title, **(texts or {})}
        unknown = set(given) - set(TEXT_FIELDS)
        if unknown:
            raise ValidationError(f"unknown text {sorted(unknown)[0]!r}", "texts")
        clean = {k: _text(v, k) for k, v in given.items()}
        if not clean["title"]:
            raise ValidationError("an incident needs a title", "title")
        if from_alert is not None:
            check_id(from_alert, "from_alert")
        proposed = grading.grade(persons, sensitive, thresholds=self.thresholds)

        def handler(call: Call) -> dict[str, Any]:
            evidence = None
            if from_alert is not None:
                evidence = self._trail.alert(from_alert)
                if evidence is None:
                    raise NotFound("no such alert")
            incident_id = "inc_" + secrets.token_hex(8)
            now = self._clock.now()
            call.note(incident=incident_id, from_alert=from_alert is not None, grade=proposed)
            with call.transaction() as conn:
                conn.execute(
                    insert(incidents).values(
                        tenant=self._tenant,
                        id=incident_id,
                        status="open",
                        stage="reported",
                        category=category,
                        pi_types=json.dumps(types),
                        discovered_at=discovered,
                        occurred_at=occurred,
                        persons=persons,
                        persons_source="estimated",
                        sensitive=sensitive,
                        minors=0,
                        proposed_grade=proposed,
                        grade=None,
                        large_amount=False,
                        cause_known=cause_known,
                        owner=owner or ctx.actor.id,
                        discoverer=discoverer
                        or (f"monitoring:{evidence['rule']}" if evidence else ctx.actor.id),
                        from_alert=from_alert,
                        handling_ended_at=None,
                        reports="{}",
                        sealed=self._seal_texts(incident_id, clean),
                        created_by=ctx.actor.id,
                        created_at=now,
                        updated_at=now,
                    )
                )
                facts = {"from_alert": from_alert, "grade": proposed, "evidence": dict(evidence or {})}
                self._event(conn, incident_id, ctx, "opened", facts)
                incident = self._get(conn, incident_id)
            return {"id": incident_id, "grade": proposed, "deadlines": self._deadlines(incident)}

        return self.kernel.run(ctx, OPEN, handler)

    def update(
        self,
        ctx: RequestContext,
        incident_id: str,
        *,
        justification: str,
        stage: str | None = None,
        texts: Mapping[str, str] | None = None,
        category: str | None = None,
        pi_types: Collection[str] | None = None,
        cause_known: bool | None = None,
        owner: str | None = None,
        reports: Mapping[str, datetime] | None = None,
    ) -> dict[str, Any]:
        """Change facts or the stage; every change names its justification (sealed) in the timeline.

        :param reports: reports sent (``regulator``, ``follow_up``, ``final``, ``gdpr``, ``individuals``)
            and when: they stop their clocks.
        :raises Conflict: the incident is closed. :raises ValidationError: no justification, bad stage.
        """
        reason = _text(justification, "justification")
        if not reason:
            raise ValidationError("a change needs a justification", "justification")
        if stage is not None and stage not in STAGES[:-1]:
            raise ValidationError("stage must be one of the listed stages (close to close)", "stage")
        if category is not None and category not in CATEGORIES:
            raise ValidationError("unknown category", "category")
        types = self._pi_types(pi_types) if pi_types is not None else None
        unknown = set(texts or {}) - set(TEXT_FIELDS)
        if unknown:
            raise ValidationError(f"unknown text {sorted(unknown)[0]!r}", "texts")
        for name, when in (reports or {}).items():
            if name not in ("regulator", "follow_up", "final", "gdpr", "individuals"):
                raise ValidationError(f"unknown report {name!r}", "reports")
            _aware(when, "reports")

        def handler(call: Call) -> dict[str, Any]:
            with call.transaction() as conn:
                current = self._get(conn, incident_id, lock=True)
                if current.status == "closed":
                    raise Conflict("the incident is closed")
                values: dict[str, Any] = {"updated_at": self._clock.now()}
                changed: list[str] = []
                if stage is not None and stage != current.stage:
                    values["stage"] = stage
                    changed.append("stage")
                if texts:
                    merged = {**current.texts, **{k: _text(v, k) for k, v in texts.items()}}
                    values["sealed"] = self._seal_texts(incident_id, merged)
                    changed.extend(sorted(texts))
                if category is not None:
                    values["category"] = category
                    changed.append("category")
                if types is not None:
                    values["pi_types"] = json.dumps(types)
                    changed.append("pi_types")
                if cause_known is not None:
                    values["cause_known"] = cause_known
                    changed.append("cause_known")
                if owner is not None:
                    values["owner"] = owner
                    changed.append("owner")
                if reports and "gdpr" in reports and self.profile == "gdpr":
                    late = reports["gdpr"] > current.discovered_at + timedelta(hours=grading.GDPR_HOURS)
                    given = _text((texts or {}).get("delay_reason"), "delay_reason") or current.texts.get(
                        "delay_reason", ""
                    )
                    if late and not given:
                        raise ValidationError(
                            "a GDPR notification after 72 h needs the reasons for the delay (GDPR 33(1))",
                            "delay_reason",
                        )
                if reports:
                    merged_reports = {**current.reports, **{k: v.isoformat() for k, v in reports.items()}}
                    values["reports"] = json.dumps(merged_reports, sort_keys=True)
                    changed.append("reports")
                call.note(incident=incident_id, stage=values.get("stage", current.stage), changed=changed)
                conn.execute(update(incidents).where(self._where(incident_id)).values(**values))
                self._event(conn, incident_id, ctx, "updated", {"changed": changed, "stage": stage}, reason)
                return self._show(conn, incident_id)

        return self.kernel.run(ctx, UPDATE, handler)

    def show(self, ctx: RequestContext, incident_id: str) -> dict[str, Any]:
        """The incident with its texts, timeline (justifications opened), clocks, affected counts by
        field and level, and notices."""

        def handler(call: Call) -> dict[str, Any]:
            call.note(incident=incident_id)
            with self._db.read() as conn:
                return self._show(conn, incident_id)

        return self.kernel.run(ctx, SHOW, handler)

    def find(self, ctx: RequestContext, *, status: str | None = None) -> list[dict[str, Any]]:
        """The register, newest first: ids, stages, grades, counts, deadlines (no texts)."""

        def handler(call: Call) -> list[dict[str, Any]]:
            query = select(incidents.c.id).where(incidents.c.tenant == self._tenant)
            if status is not None:
                query = query.where(incidents.c.status == status)
            out: list[dict[str, Any]] = []
            with self._db.read() as conn:
                for incident_id in conn.execute(query.order_by(incidents.c.created_at.desc())).scalars():
                    item = self._get(conn, incident_id).as_dict()
                    out.append({k: v for k, v in item.items() if k not in TEXT_FIELDS or k == "title"})
            call.note(count=len(out))
            return out

        return self.kernel.run(ctx, LIST, handler)

    def evidence(self, ctx: RequestContext) -> dict[str, Any]:
        """What the compliance checks read (R-INC-1..7), under the register's own list operation:
        per incident its status, grade, counts, which register items are filled (never the texts),
        reports sent, clocks' states and notices by kind; the plan's current version, the newest
        drill and the clock profile. Counts, names and times only."""

        def handler(call: Call) -> dict[str, Any]:
            now = self._clock.now()
            found: list[dict[str, Any]] = []
            with self._db.read() as conn:
                ids = (
                    conn.execute(
                        select(incidents.c.id)
                        .where(incidents.c.tenant == self._tenant)
                        .order_by(incidents.c.created_at)
                    )
                    .scalars()
                    .all()
                )
                kinds: dict[str, dict[str, int]] = {}
                for incident_id, kind, n in conn.execute(
                    select(notices.c.incident_id, notices.c.kind, func.count())
                    .where(notices.c.tenant == self._tenant)
                    .group_by(notices.c.incident_id, notices.c.kind)
                ):
                    kinds.setdefault(incident_id, {})[kind] = int(n)
                for incident_id in ids:
                    incident = self._get(conn, incident_id)
                    found.append(
                        {
                            "id": incident.id,
                            "status": incident.status,
                            "grade": incident.grade or incident.proposed_grade,
                            "discovered_at": incident.discovered_at.isoformat(),
                            "persons": incident.persons,
                            "minors": incident.minors,
                            "pi_types": len(incident.pi_types),
                            "filled": sorted(k for k, v in incident.texts.items() if v),
                            "reports": dict(incident.reports),
                            "clocks": {
                                str(c["name"]): str(c["state"]) for c in self._deadlines(incident, now)
                            },
                            "notices": kinds.get(incident_id, {}),
                        }
                    )
                plan = conn.execute(
                    select(func.max(plans.c.version)).where(plans.c.tenant == self._tenant)
                ).scalar_one_or_none()
                drill = conn.execute(
                    select(func.max(drills.c.held_on)).where(drills.c.tenant == self._tenant)
                ).scalar_one_or_none()
            call.note(count=len(found))
            return {
                "incidents": found,
                "plan_version": plan,
                "last_drill": drill.isoformat() if drill else None,
                "profile": self.profile,
                "drill_every_days": DRILL_EVERY.days,
            }

        return self.kernel.run(ctx, LIST, handler)

    def close(self, ctx: RequestContext, incident_id: str, *, justification: str) -> dict[str, Any]:
        """Close: handling has ended; the final report's 30-day clock starts now."""
        reason = _text(justification, "justification")
        if not reason:
            raise ValidationError("closing needs a justification", "justification")

        def handler(call: Call) -> dict[str, Any]:
            call.note(incident=incident_id)
            with call.transaction() as conn:
                current = self._get(conn, incident_id, lock=True)
                if current.status == "closed":
                    raise Conflict("the incident is already closed")
                now = self._clock.now()
                conn.execute(
                    update(incidents)
                    .where(self._where(incident_id))
                    .values(status="closed", stage="closed", handling_ended_at=now, updated_at=now)
                )
                self._event(conn, incident_id, ctx, "closed", {}, reason)
                return self._show(conn, incident_id)

        return self.kernel.run(ctx, CLOSE, handler)

    # ------------------------------------------------------------------ scope from the trail

    def scope(
        self,
        ctx: RequestContext,
        incident_id: str,
        *,
        actors: Collection[str] = (),
        clients: Collection[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        actions: Collection[str] = DATA_ACTIONS,
        record_types: Collection[str] = (),
        fields: Collection[str] = (),
    ) -> dict[str, Any]:
        """Compute the affected customers from the audit trail and store them as references.

        :param actions: catalog actions; an entry counts when its operation declares one of them.
        :returns: ``{"persons", "sensitive", "minors", "chain_verified", "findings", "by_field",
            "entries", "unresolved"}``; ``by_field`` maps ``record_type.field`` to the number of
            customers per level seen.
        :raises ValidationError: no actor or client (a scope is about someone), an unknown action.
        """
        if not actors and not clients:
            raise ValidationError("a scope names at least one actor or API client", "actor")
        bad = set(actions) - set(SCOPE_ACTIONS)
        if bad or not actions:
            raise ValidationError(f"actions must be among {', '.join(sorted(SCOPE_ACTIONS))}", "actions")
        for when, what in ((since, "since"), (until, "until")):
            if when is not None:
                _aware(when, what)
        op_names = sorted(op["name"] for op in self.kernel.operations() if set(op["actions"]) & set(actions))
        wanted_types, wanted_fields = set(record_types), set(fields)

        def handler(call: Call) -> dict[str, Any]:
            try:
                touches, window = self._trail.touches(
                    actors=actors, clients=clients, actions=op_names, since=since, until=until
                )
            except StorageError as exc:
                # The scope rests on the trail: a trail that cannot be read is an audit failure.
                raise AuditFailure("the audit trail could not be read for the scope") from exc
            per: dict[str, dict[str, str]] = {}
            counts: dict[str, int] = {}
            sensitive_refs: set[str] = set()
            for t in touches:
                if wanted_types and t.record_type not in wanted_types:
                    continue
                names = [
                    f
                    for f in t.fields
                    if (not wanted_fields or f in wanted_fields) and t.levels.get(f, "") != "deny"
                ]
                if not names and (wanted_fields or t.levels):
                    continue  # nothing of the customer was shown (every field refused)
                seen = per.setdefault(t.customer_ref, {})
                counts[t.customer_ref] = counts.get(t.customer_ref, 0) + 1
                for name in names:
                    key = f"{t.record_type or 'customer'}.{name}"
                    level = t.levels.get(name, "unrecorded")
                    if _rank(level) > _rank(seen.get(key, "")):
                        seen[key] = level
                    if self._sensitive(t.record_type or "customer", name):
                        sensitive_refs.add(t.customer_ref)
            ids = self._resolve(set(per))
            under_14 = self._minors_among(list(ids.values()))
            minors = {ref for ref, cid in ids.items() if cid in under_14}
            # All PI of a child under 14 is sensitive (R-MIN-1).
            sensitive_refs |= minors
            by_field: dict[str, dict[str, int]] = {}
            for seen in per.values():
                for key, level in seen.items():
                    by_field.setdefault(key, {}).setdefault(level, 0)
                    by_field[key][level] += 1
            result = {
                "persons": len(per),
                "sensitive": len(sensitive_refs),
                "minors": len(minors),
                "chain_verified": window.verified,
                "findings": window.findings,
                "window": {
                    "first_seq": window.first_seq,
                    "last_seq": window.last_seq,
                    "entries": window.entries,
                },
                "entries": sum(counts.values()),
                "unresolved": len(per) - len(ids),
                "by_field": by_field,
            }
            call.note(
                incident=incident_id,
                count=len(per),
                sensitive=len(sensitive_refs),
                minors=len(minors),
                entries=sum(counts.values()),
                verified=window.verified,
            )
            with call.transaction() as conn:
                current = self._get(conn, incident_id, lock=True)
                if current.status == "closed":
                    raise Conflict("the incident is closed")
                conn.execute(
                    affected.delete().where(
                        affected.c.tenant == self._tenant, affected.c.incident_id == incident_id
                    )
                )
                rows = [
                    {
                        "tenant": self._tenant,
                        "incident_id": incident_id,
                        "customer_ref": ref,
                        "fields": json.dumps(seen, sort_keys=True),
                        "sensitive": ref in sensitive_refs,
                        "minor": ref in minors,
                        "entries": counts[ref],
                    }
                    for ref, seen in sorted(per.items())
                ]
                if rows:
                    conn.execute(insert(affected), rows)
                proposed = grading.grade(
                    len(per),
                    len(sensitive_refs),
                    large_amount=current.large_amount,
                    thresholds=self.thresholds,
                )
                types = sorted(set(current.pi_types) | {k for seen in per.values() for k in seen})
                conn.execute(
                    update(incidents)
                    .where(self._where(incident_id))
                    .values(
                        persons=len(per),
                        persons_source="computed",
                        sensitive=len(sensitive_refs),
                        minors=len(minors),
                        proposed_grade=proposed,
                        pi_types=json.dumps(types),
                        updated_at=self._clock.now(),
                    )
                )
                facts = {
                    "actors": sorted(actors),
                    "clients": sorted(clients),
                    "actions": sorted(actions),
                    "since": since.isoformat() if since else None,
                    "until": until.isoformat() if until else None,
                    "persons": len(per),
                    "chain_verified": window.verified,
                    "findings": [f.get("kind") for f in window.findings],
                }
                self._event(conn, incident_id, ctx, "scoped", facts)
            result["proposed_grade"] = proposed
            return result

        return self.kernel.run(ctx, SCOPE, handler)

    def _resolve(self, refs: set[str]) -> dict[str, str]:
        """Customer ids for trail references (walking the vault's ids; nothing decrypted). Erased
        customers stay unresolved: they can no longer be told or harmed further."""
        out: dict[str, str] = {}
        if not refs:
            return out
        for cid in self.kernel.customer_ids():
            ref = self._trail.customer_ref(cid)
            if ref in refs:
                out[ref] = cid
                if len(out) == len(refs):
                    break
        return out

    def _sensitive(self, record_type: str, name: str) -> bool:
        try:
            return bool(self._catalog.field(record_type, name).sensitive)
        except (KeyError, LookupError, ValueError):
            return False

    # ------------------------------------------------------------------ grading and clocks

    def grade(
        self,
        ctx: RequestContext,
        incident_id: str,
        *,
        persons: int | None = None,
        sensitive: int | None = None,
        large_amount: bool | None = None,
        confirm: str | None = None,
        justification: str = "",
    ) -> dict[str, Any]:
        """Propose the grade from the counts (given ones replace computed ones as estimates), or
        confirm a grade (the officer's decision, with a justification when it differs).

        :returns: ``{"id", "grade", "proposed_grade", "confirmed", "deadlines"}``.
        """
        if confirm is not None and confirm not in grading.GRADES:
            raise ValidationError("unknown grade", "grade")
        for n in (persons, sensitive):
            if n is not None and n < 0:
                raise ValidationError("counts cannot be negative", "persons")
        reason = _text(justification, "justification")

        def handler(call: Call) -> dict[str, Any]:
            with call.transaction() as conn:
                current = self._get(conn, incident_id, lock=True)
                if current.status == "closed":
                    raise Conflict("the incident is closed")
                p = current.persons if persons is None else persons
                s = current.sensitive if sensitive is None else sensitive
                large = current.large_amount if large_amount is None else large_amount
                proposed = grading.grade(p, s, large_amount=large, thresholds=self.thresholds)
                if confirm is not None and confirm != proposed and not reason:
                    raise ValidationError(
                        "a grade other than the proposed one needs a justification", "justification"
                    )
                values: dict[str, Any] = {
                    "persons": p,
                    "sensitive": s,
                    "large_amount": large,
                    "proposed_grade": proposed,
                    "updated_at": self._clock.now(),
                }
                if persons is not None or sensitive is not None:
                    values["persons_source"] = "estimated"
                if confirm is not None:
                    values["grade"] = confirm
                conn.execute(update(incidents).where(self._where(incident_id)).values(**values))
                graded = confirm or current.grade or proposed
                call.note(incident=incident_id, grade=graded, confirmed=confirm is not None)
                self._event(
                    conn,
                    incident_id,
                    ctx,
                    "graded",
                    {"proposed": proposed, "confirmed": confirm, "persons": p, "sensitive": s},
                    reason or None,
                )
                incident = self._get(conn, incident_id)
            return {
                "id": incident_id,
                "grade": graded,
                "proposed_grade": proposed,
                "confirmed": incident.grade is not None,
                "deadlines": self._deadlines(incident),
            }

        return self.kernel.run(ctx, GRADE, handler)

    def _deadlines(self, incident: Incident, now: datetime | None = None) -> list[dict[str, Any]]:
        reports = {k: datetime.fromisoformat(v) for k, v in incident.reports.items()}
        found = grading.clocks(
            discovered=incident.discovered_at,
            grade_=incident.grade or incident.proposed_grade,
            operator=self.operator,
            profile=self.profile,
            cause_known=incident.cause_known,
            handling_ended=incident.handling_ended_at,
            reports=reports,
        )
        at = now or self._clock.now()
        return [c.as_dict(at) for c in found]

    def tick(self, ctx: RequestContext) -> dict[str, int]:
        """The clock job: count open incidents' clocks overdue, nearly due and due now, and whether
        the yearly drill is overdue. Returns every such clock; its audit entry, which the
        ``incident_deadline`` rule alerts from, counts only the clocks to alert about now: new, in
        a new state, or last alerted at least :attr:`alert_cooldown` ago (``incident_alerted``, in
        the database: any node's job sees the same cool-down). ``open_clocks`` in the entry is the
        total.

        :returns: ``{"overdue", "nearly_due", "due_now", "drill_overdue", "alerting"}``; the last is
            how many of them the entry reports.
        """

        def handler(call: Call) -> dict[str, int]:
            counts = {"overdue": 0, "nearly_due": 0, "due_now": 0}
            fresh = dict.fromkeys(counts, 0)
            now = self._clock.now()
            with call.transaction() as conn:
                ids = (
                    conn.execute(
                        select(incidents.c.id).where(
                            incidents.c.tenant == self._tenant,
                            # Closed incidents still owe their final report.
                            (incidents.c.status == "open") | incidents.c.handling_ended_at.is_not(None),
                        )
                    )
                    .scalars()
                    .all()
                )
                last_alerts = {
                    (r.incident_id, r.clock): (r.state, r.alerted_at)
                    for r in conn.execute(select(alerted).where(alerted.c.tenant == self._tenant))
                }
                due: list[tuple[str, str, str]] = []
                for incident_id in ids:
                    for clock in self._deadlines(self._get(conn, incident_id), now):
                        state = str(clock["state"])
                        if state in counts:
                            counts[state] += 1
                            due.append((incident_id, str(clock["name"]), state))
                last = conn.execute(
                    select(func.max(drills.c.held_on)).where(drills.c.tenant == self._tenant)
                ).scalar_one_or_none()
                drill_overdue = last is None or local_date(now) - last > DRILL_EVERY
                if drill_overdue:
                    due.append(("", DRILL_CLOCK, "overdue"))
                drill_fresh = False
                for incident_id, name, state in due:
                    before = last_alerts.get((incident_id, name))
                    if before is not None and before[0] == state and now - before[1] < self.alert_cooldown:
                        continue  # alerted about this clock in this state lately
                    if name == DRILL_CLOCK:
                        drill_fresh = True
                    else:
                        fresh[state] += 1
                    key = (
                        (alerted.c.tenant == self._tenant)
                        & (alerted.c.incident_id == incident_id)
                        & (alerted.c.clock == name)
                    )
                    values = {"state": state, "alerted_at": now}
                    if before is None:
                        conn.execute(
                            insert(alerted).values(
                                tenant=self._tenant, incident_id=incident_id, clock=name, **values
                            )
                        )
                    else:
                        conn.execute(update(alerted).where(key).values(**values))
                # Noted inside the transaction: its entry commits with it.
                call.note(**fresh, drill_overdue=drill_fresh, open_clocks=len(due))
            alerting = sum(fresh.values()) + int(drill_fresh)
            return {**counts, "drill_overdue": int(drill_overdue), "alerting": alerting}

        return self.kernel.run(ctx, CLOCK, handler)

    # ------------------------------------------------------------------ notices

    def notify(
        self,
        ctx: RequestContext,
        incident_id: str,
        *,
        mode: str = "draft",
        locale: str = "zh",
        skip_reason: str | None = None,
    ) -> dict[str, Any]:
        """``draft``: the regulator's report (zh), sealed at rest and returned. ``send``: one PIPL 57
        notice per affected customer through the outbox (email when configured, else SMS), and to
        the guardian of each customer under 14. ``public``: the announcement text, when one-by-one
        notice is impractical. ``skip``: record why individuals are not told (harm effectively
        avoided); ``skip_reason`` is required.
        """
        if mode not in ("draft", "send", "public", "skip"):
            raise ValidationError("mode must be draft, send, public or skip", "mode")
        reason = _text(skip_reason, "skip_reason")
        if mode == "skip" and not reason:
            raise ValidationError(
                "skipping individual notice needs a reason (harm effectively avoided)", "skip_reason"
            )

        def handler(call: Call) -> dict[str, Any]:
            released = self._release_children(ctx, incident_id) if mode == "send" else []
            with call.transaction() as conn:
                current = self._get(conn, incident_id, lock=True)
                record = {**current.as_dict(), "grade": current.grade or current.proposed_grade}
                now = self._clock.now()
                out: dict[str, Any] = {"id": incident_id, "mode": mode}
                sent = guardians = 0
                if mode == "draft":
                    text = regulator_draft(record, organisation=self.organisation, pi_labels=self._labels())
                    self._notice(conn, incident_id, ctx, "regulator_draft", sealed=text)
                    out["draft"] = text
                elif mode == "public":
                    text = public_announcement(record, organisation=self.organisation, locale=locale)
                    self._notice(conn, incident_id, ctx, "public", sealed=text)
                    out["announcement"] = text
                elif mode == "skip":
                    self._notice(conn, incident_id, ctx, "individuals_skipped", sealed=reason)
                    self._report(conn, incident_id, current, "individuals", now)
                else:
                    channel = "email" if self._messenger.has_channel("email") else "sms"
                    # A guardian is told at their own address when the catalog holds one a channel
                    # reaches (guardian_mobile by SMS), else at the child's account contact.
                    to_guardian = next(iter(self._messenger.guardian_channels()), channel)
                    rows = conn.execute(
                        select(affected.c.customer_ref, affected.c.fields, affected.c.minor).where(
                            affected.c.tenant == self._tenant, affected.c.incident_id == incident_id
                        )
                    ).all()
                    already = set(
                        conn.execute(
                            select(notices.c.customer_ref).where(
                                notices.c.tenant == self._tenant,
                                notices.c.incident_id == incident_id,
                                notices.c.kind == "individual",
                            )
                        ).scalars()
                    )
                    ids = self._resolve({r[0] for r in rows} - already)
                    base = notice_params(record, pi_labels=self._labels(), organisation=self.organisation)
                    for ref, fields_json, minor in rows:
                        cid = ids.get(ref)
                        if cid is None:
                            continue
                        labels = self._labels()
                        own = {
                            **base,
                            "pi_types": "、".join(labels.get(k, k) for k in sorted(json.loads(fields_json))),
                        }
                        mid = self._messenger.enqueue(
                            conn,
                            cid,
                            "incident_notice",
                            own,
                            channel=channel,
                            locale=locale,
                            reference=incident_id,
                        )
                        self._notice(
                            conn, incident_id, ctx, "individual", channel=channel, ref=ref, message=mid
                        )
                        sent += 1
                        if minor:
                            gid = self._messenger.enqueue(
                                conn,
                                cid,
                                "incident_notice_guardian",
                                own,
                                channel=to_guardian,
                                locale=locale,
                                reference=incident_id,
                            )
                            self._notice(
                                conn, incident_id, ctx, "guardian", channel=to_guardian, ref=ref, message=gid
                            )
                            guardians += 1
                    if rows:  # with no one in scope yet there is no one told
                        self._report(conn, incident_id, current, "individuals", now)
                    out.update(
                        sent=sent,
                        guardians=guardians,
                        channel=channel,
                        guardian_channel=to_guardian,
                        released=len(released),
                        skipped_unresolved=len(rows) - len(already) - len(ids),
                    )
                call.note(incident=incident_id, mode=mode, count=sent, guardians=guardians)
                self._event(
                    conn, incident_id, ctx, "notice", {"mode": mode, "sent": sent, "guardians": guardians}
                )
            return out

        return self.kernel.run(ctx, NOTIFY, handler)

    def _release_children(self, ctx: RequestContext, incident_id: str) -> list[str]:
        """Before a send: release each child's (and guardian's) contact details to the outbox's
        sender, one clear grant per child not yet told, approved by the officer who sends (the
        gate's minors rule keeps them from the notifier otherwise, R-USE-2). Runs before the
        notice's own transaction: the grants commit in the accounts' (a thread never holds two
        write transactions). Without the installation's hook nothing is released, and the
        children's notices fail as ``no_contact`` (the public announcement covers them)."""
        if self._release is None:
            return []
        with self._db.read() as conn:
            refs = set(
                conn.execute(
                    select(affected.c.customer_ref).where(
                        affected.c.tenant == self._tenant,
                        affected.c.incident_id == incident_id,
                        affected.c.minor.is_(True),
                    )
                ).scalars()
            )
            refs -= set(
                conn.execute(
                    select(notices.c.customer_ref).where(
                        notices.c.tenant == self._tenant,
                        notices.c.incident_id == incident_id,
                        notices.c.kind == "guardian",
                    )
                ).scalars()
            )
        ids = self._resolve(refs)
        return [self._release(ctx, cid, f"incident notice {incident_id}") for cid in sorted(ids.values())]

    def _report(self, conn: Connection, incident_id: str, current: Incident, name: str, at: datetime) -> None:
        if name in current.reports:
            return
        merged = {**current.reports, name: at.isoformat()}
        conn.execute(
            update(incidents)
            .where(self._where(incident_id))
            .values(reports=json.dumps(merged, sort_keys=True))
        )

    def _notice(
        self,
        conn: Connection,
        incident_id: str,
        ctx: RequestContext,
        kind: str,
        *,
        sealed: str | None = None,
        channel: str | None = None,
        ref: str | None = None,
        message: str | None = None,
    ) -> None:
        notice_id = "ntc_" + secrets.token_hex(10)
        conn.execute(
            insert(notices).values(
                tenant=self._tenant,
                id=notice_id,
                incident_id=incident_id,
                kind=kind,
                channel=channel,
                customer_ref=ref,
                message_id=message,
                sealed=self._box.seal(sealed, self._ctx("notice", notice_id)) if sealed is not None else None,
                by=ctx.actor.id,
                at=self._clock.now(),
            )
        )

    # ------------------------------------------------------------------ containment

    def contain(
        self,
        ctx: RequestContext,
        incident_id: str,
        *,
        freeze: str | None = None,
        suspend_partner: str | None = None,
        rotate_keys: bool = False,
        justification: str = "",
    ) -> dict[str, Any]:
        """Containment steps, each done by its owner's own audited operation and linked to the
        incident (its timeline and measures):

        - ``freeze``: a staff user or API client (by name or id); every token and key stops working on
          its next request (the accounts' ``principal_freeze``);
        - ``suspend_partner``: every agreement in force with the partner is suspended, so no transfer
          runs under it (the sharing register's ``agreement_suspend``, reason ``incident``);
        - ``rotate_keys``: a new key-encryption key wraps every data key (``key_rotate``).

        :raises ValidationError: no step named. :raises Conflict: the incident is closed, or a
            step's owner is not installed.
        """
        if freeze is None and suspend_partner is None and not rotate_keys:
            raise ValidationError(
                "name a containment step (freeze, suspend a partner, rotate keys)", "freeze"
            )
        if freeze is not None:
            check_id(freeze, "freeze")
        if suspend_partner is not None:
            check_id(suspend_partner, "suspend_partner")
        reason = _text(justification, "justification")

        def handler(call: Call) -> dict[str, Any]:
            named = {"principal": freeze, "partner": suspend_partner}
            call.note(incident=incident_id, **{k: v for k, v in named.items() if v is not None})
            with self._db.read() as conn:
                current = self._get(conn, incident_id)
            if current.status == "closed":
                raise Conflict("the incident is closed")
            if suspend_partner is not None and self._suspend is None:
                raise Conflict("this installation has no sharing register to suspend a partner in")
            if rotate_keys and self._rotate is None:
                raise Conflict("this installation cannot rotate its keys from an incident")
            # Each step commits in its owner's own transaction first (a thread never holds two write
            # transactions); the link below records what happened.
            out: dict[str, Any] = {"id": incident_id}
            facts: dict[str, Any] = {}
            done: list[str] = []
            if freeze is not None:
                self._freeze(freeze, f"incident {incident_id}")
                out["frozen"] = facts["froze"] = freeze
                done.append(f"froze {freeze}")
            if suspend_partner is not None and self._suspend is not None:
                ids = self._suspend(ctx, suspend_partner)
                out["suspended"] = facts["suspended"] = ids
                facts["partner"] = suspend_partner
                call.note(suspended=len(ids))
                done.append(f"suspended {len(ids)} agreement(s) of partner {suspend_partner}")
            if rotate_keys and self._rotate is not None:
                rotated = dict(self._rotate(ctx))
                out["rotated"] = facts["rotated"] = rotated
                call.note(kek_version=int(rotated.get("kek_version", 0)))
                done.append(f"rotated keys (KEK v{rotated.get('kek_version')})")
            with call.transaction() as conn:
                fresh = self._get(conn, incident_id, lock=True)
                measures = fresh.texts.get("measures", "")
                line = "; ".join(done)
                merged = {**fresh.texts, "measures": f"{measures}\n{line}".strip() if measures else line}
                conn.execute(
                    update(incidents)
                    .where(self._where(incident_id))
                    .values(sealed=self._seal_texts(incident_id, merged), updated_at=self._clock.now())
                )
                self._event(conn, incident_id, ctx, "contained", facts, reason or None)
            return out

        return self.kernel.run(ctx, CONTAIN, handler)

    # ------------------------------------------------------------------ plan and drills

    def publish_plan(self, ctx: RequestContext, document: str) -> dict[str, Any]:
        """A new version of the emergency plan (sealed; its SHA-256 kept to cite)."""
        text = (document or "").strip()
        if not text:
            raise ValidationError("the plan is empty", "document")

        def handler(call: Call) -> dict[str, Any]:
            with call.transaction() as conn:
                last = conn.execute(
                    select(func.max(plans.c.version)).where(plans.c.tenant == self._tenant)
                ).scalar_one_or_none()
                version = int(last or 0) + 1
                digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
                conn.execute(
                    insert(plans).values(
                        tenant=self._tenant,
                        version=version,
                        document=self._box.seal(text, self._ctx("plan", str(version))),
                        sha256=digest,
                        by=ctx.actor.id,
                        at=self._clock.now(),
                    )
                )
                call.note(version=version)
            return {"version": version, "sha256": digest}

        return self.kernel.run(ctx, PLAN, handler)

    def record_drill(
        self,
        ctx: RequestContext,
        *,
        held_on: date,
        scenario: str,
        participants: int,
        findings: str = "",
    ) -> dict[str, Any]:
        """Record a drill against the current plan version."""
        if participants < 1:
            raise ValidationError("a drill has participants", "participants")
        texts = {"scenario": _text(scenario, "scenario"), "findings": _text(findings, "findings")}
        if not texts["scenario"]:
            raise ValidationError("a drill needs its scenario", "scenario")

        def handler(call: Call) -> dict[str, Any]:
            drill_id = "drl_" + secrets.token_hex(8)
            call.note(drill=drill_id)
            with call.transaction() as conn:
                version = conn.execute(
                    select(func.max(plans.c.version)).where(plans.c.tenant == self._tenant)
                ).scalar_one_or_none()
                conn.execute(
                    insert(drills).values(
                        tenant=self._tenant,
                        id=drill_id,
                        held_on=held_on,
                        plan_version=version,
                        participants=participants,
                        sealed=self._box.seal(
                            json.dumps(texts, ensure_ascii=False), self._ctx("drill", drill_id)
                        ),
                        by=ctx.actor.id,
                        at=self._clock.now(),
                    )
                )
            return {"id": drill_id, "held_on": held_on.isoformat(), "plan_version": version}

        return self.kernel.run(ctx, DRILL, handler)

    def drills(self, ctx: RequestContext) -> dict[str, Any]:
        """The plan's versions (hashes) and the drills, newest first, with whether one is overdue."""

        def handler(call: Call) -> dict[str, Any]:
            with self._db.read() as conn:
                versions = [
                    {"version": r.version, "sha256": r.sha256, "by": r.by, "at": r.at.isoformat()}
                    for r in conn.execute(
                        select(plans).where(plans.c.tenant == self._tenant).order_by(plans.c.version.desc())
                    )
                ]
                found = []
                for r in conn.execute(
                    select(drills).where(drills.c.tenant == self._tenant).order_by(drills.c.held_on.desc())
                ):
                    texts = json.loads(self._box.open(r.sealed, self._ctx("drill", r.id)))
                    found.append(
                        {
                            "id": r.id,
                            "held_on": r.held_on.isoformat(),
                            "plan_version": r.plan_version,
                            "participants": r.participants,
                            **texts,
                        }
                    )
            call.note(count=len(found))
            today = local_date(self._clock.now())
            overdue = not found or today - date.fromisoformat(found[0]["held_on"]) > DRILL_EVERY
            return {"plans": versions, "drills": found, "drill_overdue": overdue}

        return self.kernel.run(ctx, DRILLS, handler)

    # ------------------------------------------------------------------ helpers

    def _ctx(self, kind: str, ident: str) -> str:
        return f"incidents:{self._tenant}:{kind}:{ident}"

    def _seal_texts(self, incident_id: str, texts: Mapping[str, str]) -> str:
        return self._box.seal(
            json.dumps(dict(texts), ensure_ascii=False, sort_keys=True), self._ctx("texts", incident_id)
        )

    def _where(self, incident_id: str) -> Any:
        return (incidents.c.tenant == self._tenant) & (incidents.c.id == incident_id)

    def _pi_types(self, names: Collection[str]) -> list[str]:
        out: set[str] = set()
        for name in names:
            record_type, _, field_name = name.rpartition(".")
            try:
                self._catalog.field(record_type or "customer", field_name)
            except (KeyError, LookupError, ValueError) as exc:
                raise ValidationError(f"unknown field {name!r}", "pi_types") from exc
            out.add(f"{record_type or 'customer'}.{field_name}")
        return sorted(out)

    def _labels(self) -> dict[str, str]:
        return {f"{rt}.{f.name}": f.label.zh or f.name for rt, f in self._catalog.iter_fields()}

    def _get(self, conn: Connection, incident_id: str, *, lock: bool = False) -> Incident:
        query = select(incidents).where(self._where(incident_id))
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).mappings().one_or_none()
        if row is None:
            raise NotFound("no such incident")
        texts = json.loads(self._box.open(row["sealed"], self._ctx("texts", incident_id)))
        return Incident(
            id=row["id"],
            status=row["status"],
            stage=row["stage"],
            category=row["category"],
            pi_types=json.loads(row["pi_types"]),
            discovered_at=row["discovered_at"],
            occurred_at=row["occurred_at"],
            persons=row["persons"],
            persons_source=row["persons_source"],
            sensitive=row["sensitive"],
            minors=row["minors"],
            proposed_grade=row["proposed_grade"],
            grade=row["grade"],
            large_amount=bool(row["large_amount"]),
            cause_known=bool(row["cause_known"]),
            owner=row["owner"],
            discoverer=row["discoverer"],
            from_alert=row["from_alert"],
            handling_ended_at=row["handling_ended_at"],
            reports=json.loads(row["reports"]),
            texts=texts,
            created_by=row["created_by"],
            created_at=row["created_at"],
        )

    def _show(self, conn: Connection, incident_id: str) -> dict[str, Any]:
        incident = self._get(conn, incident_id)
        out = incident.as_dict()
        out["deadlines"] = self._deadlines(incident)
        timeline = []
        for r in conn.execute(
            select(events)
            .where(events.c.tenant == self._tenant, events.c.incident_id == incident_id)
            .order_by(events.c.seq)
        ):
            why = (
                self._box.open(r.justification, self._ctx(f"event{r.seq}", incident_id))
                if r.justification
                else None
            )
            timeline.append(
                {
                    "seq": r.seq,
                    "at": r.at.isoformat(),
                    "by": r.by,
                    "kind": r.kind,
                    "facts": json.loads(r.facts),
                    "justification": why,
                }
            )
        out["timeline"] = timeline
        by_field: dict[str, dict[str, int]] = {}
        for (fields_json,) in conn.execute(
            select(affected.c.fields).where(
                affected.c.tenant == self._tenant, affected.c.incident_id == incident_id
            )
        ):
            for key, level in json.loads(fields_json).items():
                by_field.setdefault(key, {}).setdefault(level, 0)
                by_field[key][level] += 1
        out["by_field"] = by_field
        sent: dict[str, int] = {}
        drafts: list[dict[str, Any]] = []
        for r in conn.execute(
            select(notices)
            .where(notices.c.tenant == self._tenant, notices.c.incident_id == incident_id)
            .order_by(notices.c.at)
        ):
            sent[r.kind] = sent.get(r.kind, 0) + 1
            if r.kind in ("regulator_draft", "public", "individuals_skipped") and r.sealed:
                drafts.append(
                    {
                        "kind": r.kind,
                        "at": r.at.isoformat(),
                        "by": r.by,
                        "text": self._box.open(r.sealed, self._ctx("notice", r.id)),
                    }
                )
        out["notices"] = {"counts": sent, "documents": drafts}
        return out

    def _event(
        self,
        conn: Connection,
        incident_id: str,
        ctx: RequestContext,
        kind: str,
        facts: Mapping[str, Any],
        justification: str | None = None,
    ) -> None:
        last = conn.execute(
            select(func.max(events.c.seq)).where(
                events.c.tenant == self._tenant, events.c.incident_id == incident_id
            )
        ).scalar_one_or_none()
        seq = int(last or 0) + 1
        conn.execute(
            insert(events).values(
                tenant=self._tenant,
                incident_id=incident_id,
                seq=seq,
                at=self._clock.now(),
                by=ctx.actor.id,
                kind=kind,
                facts=json.dumps(dict(facts), sort_keys=True),
                justification=self._box.seal(justification, self._ctx(f"event{seq}", incident_id))
                if justification
                else None,
            )
        )


_RANKS = {"": 0, "unrecorded": 1, "masked": 2, "clear": 3}


def _rank(level: str) -> int:
    return _RANKS.get(level, 1)
