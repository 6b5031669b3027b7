"""Monitoring rules over the stream of committed entries.

Each rule watches entries in order and returns an :class:`AlertDraft` when it fires; the
audit log stores the alert, copies it to the sinks and, if the rule says so, freezes the
principal. Windows run on the entries' own times (the gate's clock), so tests drive
them with an injected clock and never sleep. After firing, a rule stays quiet for the
same principal until its cooldown has passed, so one incident raises one alert.

What a rule counts (its windows) and when it last fired (its cooldowns) live in a
:class:`RuleState`. Rules run alone (a replay, a unit test) keep it in memory
(:class:`MemoryRuleState`); the :class:`~piguard.audit.monitor.AuditMonitor` binds every rule to
the database (:class:`piguard.nodestate.rules.DatabaseRuleState`), so windows and cooldowns
hold across processes and nodes and survive a restart (issue 12, item 1).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo

from piguard.audit.entry import AuditEntry
from piguard.audit.format import parse_time
from piguard.calendar import LOCAL_TZ
from piguard.catalog.vocabulary import DATA_ACTIONS
from piguard.nodestate.rules import Tally

#: Actions that reveal customer data: the catalog's, ``export_row`` (one exported customer,
#: recorded per row by the gate), ``unmask`` (a clear-access grant being used) and ``match`` (a
#: yes/no answer about a field is a read of it, issue 11).
READ_ACTIONS: Final[frozenset[str]] = DATA_ACTIONS | {"unmask", "export_row", "match"}
#: Principals whose entries the rules ignore (the monitor's own records).
#: The purpose of the entries the trail writes about itself (``TrailContext.system_entry``).
TRAIL_PURPOSE: Final = "audit"


@dataclass(frozen=True, slots=True)
class AlertDraft:
    rule: str
    severity: str
    principal_id: str
    summary: str
    first_seq: int
    last_seq: int
    freeze: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


class Rule(Protocol):
    name: str

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None: ...


class RuleState(Protocol):
    """Where rules keep their windows and cooldowns (see :mod:`piguard.nodestate.rules`)."""

    def push(
        self,
        rule: str,
        key: object,
        when: datetime,
        seq: int,
        value: object,
        window: timedelta,
        weight: int = 1,
        cap: int | None = None,
    ) -> Tally:
        """Add an event to ``rule``'s window of ``key``; the window's tally after it.

        ``cap``: the rule only compares the tally with thresholds up to ``cap``, so a store may
        count distinct values and weights no further than ``cap`` (the tally is then
        ``min(true, cap)`` for distinct values and at least ``cap`` for the weight when the
        window holds more): a window of one busy principal costs O(cap) a push, not O(window).
        """
        ...

    def claim(self, rule: str, key: object, when: datetime, period: timedelta) -> bool:
        """Fire ``rule`` for ``key`` if its cooldown has passed; whether it fired."""
        ...


class _Window:
    """Events of one key within a sliding time window, with running tallies so each
    event costs O(1) however busy the window is."""

    def __init__(self) -> None:
        self.items: deque[tuple[datetime, int, object, int]] = deque()
        self.values: Counter[object] = Counter()
        self.total = 0

    def push(self, when: datetime, seq: int, value: object, window: timedelta, weight: int = 1) -> None:
        self.items.append((when, seq, value, weight))
        self.values[value] += 1
        self.total += weight
        while self.items and self.items[0][0] <= when - window:
            _, _, old, old_weight = self.items.popleft()
            self.total -= old_weight
            self.values[old] -= 1
            if not self.values[old]:
                del self.values[old]


class MemoryRuleState:
    """One process's windows and cooldowns: for rules run alone, never behind a served node."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, object], _Window] = {}
        self._last: dict[tuple[str, object], datetime] = {}

    def push(
        self,
        rule: str,
        key: object,
        when: datetime,
        seq: int,
        value: object,
        window: timedelta,
        weight: int = 1,
        cap: int | None = None,
    ) -> Tally:
        # Exact: one process's windows are dictionaries, the cap saves nothing here.
        win = self._windows.setdefault((rule, key), _Window())
        win.push(when, seq, value, window, weight)
        return Tally(len(win.values), win.total, win.items[0][1])

    def claim(self, rule: str, key: object, when: datetime, period: timedelta) -> bool:
        last = self._last.get((rule, key))
        if last is not None and when - last < period:
            return False
        self._last[(rule, key)] = when
        return True


def window_cap(threshold: int) -> int:
    """How far a rule counts its window: ten times its threshold, enough to say how far past it a
    principal went without counting a bulk reader's whole window on every entry."""
    return max(threshold, 1) * 10


@dataclass
class MassAccess:
    """One principal reads ``threshold`` distinct customers within ``window``."""

    threshold: int = 50
    window: timedelta = timedelta(minutes=15)
    actions: frozenset[str] = READ_ACTIONS
    freeze: bool = False
    name: str = "mass_access"
    state: RuleState = field(default_factory=MemoryRuleState, repr=False, compare=False)

    @property
    def cap(self) -> int:
        """Distinct customers counted at most (ten times the threshold): enough to say how far
        past it a principal went, without counting a bulk reader's whole window on every read."""
        return window_cap(self.threshold)

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        if entry.action not in self.actions or entry.result != "ok" or not entry.customer_ref:
            return None
        win = self.state.push(
            self.name, entry.actor_id, when, entry.seq, entry.customer_ref, self.window, cap=self.cap
        )
        distinct = win.distinct
        if distinct < self.threshold or not self.state.claim(self.name, entry.actor_id, when, self.window):
            return None
        return AlertDraft(
            self.name,
            "high",
            entry.actor_id,
            f"{'at least ' if distinct >= self.cap else ''}{distinct} distinct customers accessed "
            f"within {self.window}",
            win.first_seq,
            entry.seq,
            self.freeze,
            {"customers": distinct},
        )


@dataclass
class OffHours:
    """Customer data read outside working hours (local time, working days)."""

    start: time = time(8, 0)
    end: time = time(20, 0)
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    #: A tz database name; by default Beijing time, where the staff work (ZoneInfo caches
    #: instances, so the default zone is :data:`piguard.calendar.LOCAL_TZ` itself).
    tz: str = LOCAL_TZ.key
    actions: frozenset[str] = READ_ACTIONS
    cooldown: timedelta = timedelta(hours=1)
    freeze: bool = False
    name: str = "off_hours"
    state: RuleState = field(default_factory=MemoryRuleState, repr=False, compare=False)
    _zone: ZoneInfo | None = field(default=None, repr=False)

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        # A staff rule: customers (and the sign-in principal) come at any hour (R-AUD-1).
        if entry.action not in self.actions or entry.actor_kind != "staff":
            return None
        zone = self._zone = self._zone or ZoneInfo(self.tz)
        local = when.astimezone(zone)
        if local.weekday() in self.days and self.start <= local.time() < self.end:
            return None
        if not self.state.claim(self.name, entry.actor_id, when, self.cooldown):
            return None
        return AlertDraft(
            self.name,
            "medium",
            entry.actor_id,
            f"{entry.action} outside working hours ({local.strftime('%a %H:%M')} {self.tz})",
            entry.seq,
            entry.seq,
            self.freeze,
            {"local_time": local.strftime("%Y-%m-%dT%H:%M")},
        )


@dataclass
class _Counting:
    """Base of rules that count matching entries of one principal within a window."""

    threshold: int = 5
    window: timedelta = timedelta(minutes=5)
    freeze: bool = False
    name: str = "counting"
    severity: str = "high"
    state: RuleState = field(default_factory=MemoryRuleState, repr=False, compare=False)

    def matches(self, entry: AuditEntry) -> int:
        """How much this entry counts (0 = not at all)."""
        raise NotImplementedError

    def summary(self, total: int) -> str:
        raise NotImplementedError

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        weight = self.matches(entry)
        if not weight:
            return None
        # Weights are >= 1, so the weight of the window's first ``cap`` events reaches the
        # threshold exactly when the whole window's does (cap >= threshold).
        win = self.state.push(
            self.name,
            entry.actor_id,
            when,
            entry.seq,
            None,
            self.window,
            weight,
            cap=window_cap(self.threshold),
        )
        total = win.total
        if total < self.threshold or not self.state.claim(self.name, entry.actor_id, when, self.window):
            return None
        return AlertDraft(
            self.name,
            self.severity,
            entry.actor_id,
            self.summary(total),
            win.first_seq,
            entry.seq,
            self.freeze,
            {"count": total},
        )


@dataclass
class FailedLogins(_Counting):
    """``threshold`` failed or denied logins or step-ups of one principal within ``window``
    (a wrong step-up code is a guess at the second factor, like a wrong login)."""

    name: str = "failed_logins"

    def matches(self, entry: AuditEntry) -> int:
        return 1 if entry.action in ("login", "step_up") and entry.result in ("denied", "failed") else 0

    def summary(self, total: int) -> str:
        return f"{total} failed logins within {self.window}"


@dataclass
class FailedCheckIns(_Counting):
    """``threshold`` refused check-ins by ID number of one principal within ``window`` (issue 11,
    item 5): a desk guessing guests' ID numbers, across guests. Each guest's check-in by number
    also locks after three mismatches (``piguard.access.checkins``); this rule sees the desk."""

    threshold: int = 3
    window: timedelta = timedelta(hours=1)
    name: str = "failed_check_ins"

    def matches(self, entry: AuditEntry) -> int:
        refused = entry.action == "stay_check_in" and entry.decision == "deny"
        return 1 if refused and entry.rule in ("stays.check_in.id_match", "stays.check_in.locked") else 0

    def summary(self, total: int) -> str:
        return f"{total} check-ins refused for a mismatched ID number within {self.window}"


@dataclass
class ExportSpike:
    """Export spike of one principal within ``window``: ``threshold`` export operations or
    ``max_rows`` exported rows (seed 001: an exporting insider is frozen at once).

    The gate records one ``export`` entry per export operation, naming the export grant in
    ``detail["grant"]`` and the rows exported in ``detail["records"]`` (each row also has its
    own ``export_row`` entry); entries of one grant are one operation.
    """

    threshold: int = 3
    max_rows: int = 5000
    window: timedelta = timedelta(hours=1)
    freeze: bool = True
    actions: frozenset[str] = frozenset({"export"})
    name: str = "export_spike"
    state: RuleState = field(default_factory=MemoryRuleState, repr=False, compare=False)

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        if entry.action not in self.actions or entry.result != "ok":
            return None
        detail = entry.detail
        operation = detail.get("grant") or f"seq:{entry.seq}"
        rows = next((v for k in ("records", "rows") if isinstance(v := detail.get(k), int) and v > 0), 1)
        win = self.state.push(self.name, entry.actor_id, when, entry.seq, operation, self.window, rows)
        operations, total = win.distinct, win.total
        if (operations < self.threshold and total < self.max_rows) or not self.state.claim(
            self.name, entry.actor_id, when, self.window
        ):
            return None
        return AlertDraft(
            self.name,
            "critical",
            entry.actor_id,
            f"{operations} exports, {total} rows within {self.window}",
            win.first_seq,
            entry.seq,
            self.freeze,
            {"count": operations, "rows": total},
        )


@dataclass
class SensitiveSubject:
    """Access to customers the gate flagged (``detail["flags"]``), e.g. minors or VIPs."""

    flags: frozenset[str] = frozenset({"minor", "vip"})
    cooldown: timedelta = timedelta(hours=1)
    freeze: bool = False
    name: str = "sensitive_subject"
    state: RuleState = field(default_factory=MemoryRuleState, repr=False, compare=False)

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        raw = entry.detail.get("flags")
        hit = sorted(self.flags.intersection(raw)) if isinstance(raw, list) else []
        if not hit or entry.result != "ok":
            return None
        key = (entry.actor_id, entry.customer_ref)
        if not self.state.claim(self.name, key, when, self.cooldown):
            return None
        return AlertDraft(
            self.name,
            "high",
            entry.actor_id,
            f"{entry.action} of a customer flagged {', '.join(hit)}",
            entry.seq,
            entry.seq,
            self.freeze,
            {"flags": hit, "customer_ref": entry.customer_ref},
        )


@dataclass
class DisabledPrincipal:
    """Any attempt by a disabled or frozen principal (a denial whose rule says so)."""

    words: tuple[str, ...] = ("disabled", "frozen")
    cooldown: timedelta = timedelta(minutes=5)
    name: str = "disabled_principal"
    freeze: bool = False
    state: RuleState = field(default_factory=MemoryRuleState, repr=False, compare=False)

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        rule = entry.rule.lower()
        if entry.result != "denied" or not any(w in rule for w in self.words):
            return None
        if not self.state.claim(self.name, entry.actor_id, when, self.cooldown):
            return None
        return AlertDraft(
            self.name,
            "high",
            entry.actor_id,
            f"attempt ({entry.action}) by a disabled principal",
            entry.seq,
            entry.seq,
            self.freeze,
        )


@dataclass
class UndeliveredMessage:
    """A message to a customer was given up (the outbox's last attempt failed): someone must
    reach the customer another way (a code, an answer or a breach notice may be owed by law)."""

    action: str = "outbox_deliver"
    name: str = "undelivered_message"
    freeze: bool = False

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        if entry.action != self.action or entry.detail.get("outcome") != "failed":
            return None
        return AlertDraft(
            self.name,
            "medium",
            entry.actor_id,
            f"a {entry.detail.get('template', 'message')} message could not be delivered "
            f"by {entry.detail.get('channel', '?')} after {entry.detail.get('attempt', '?')} attempt(s)",
            entry.seq,
            entry.seq,
            self.freeze,
            {"customer_ref": entry.customer_ref},
        )


@dataclass
class RightsDeadline:
    """The rights clock found requests overdue, nearly due, or due on a provisional date (a year
    the working-day calendar does not know yet): the PI officer must act (R-RGT-3)."""

    action: str = "rights_clock"
    name: str = "rights_deadline"
    freeze: bool = False

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        if entry.action != self.action:
            return None
        counts = {k: int(entry.detail.get(k, 0) or 0) for k in ("overdue", "nearly_due", "provisional_cases")}
        if not any(counts.values()):
            return None
        return AlertDraft(
            self.name,
            "high" if counts["overdue"] else "medium",
            entry.actor_id,
            f"{counts['overdue']} rights requests overdue, {counts['nearly_due']} nearly due, "
            f"{counts['provisional_cases']} on a provisional date",
            entry.seq,
            entry.seq,
            self.freeze,
            counts,
        )


@dataclass
class ComplianceAuditDue:
    """The compliance-audit schedule found an audit due soon or overdue (R-AUD-5: above 10 million
    persons every 2 years; R-MIN-5: minors' PI every year): the PI officer must arrange it."""

    action: str = "compliance_schedule"
    name: str = "compliance_audit_due"
    freeze: bool = False

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        if entry.action != self.action:
            return None
        counts = {k: int(entry.detail.get(k, 0) or 0) for k in ("overdue", "due_soon")}
        if not any(counts.values()):
            return None
        return AlertDraft(
            self.name,
            "high" if counts["overdue"] else "medium",
            entry.actor_id,
            f"{counts['overdue']} compliance audits overdue, {counts['due_soon']} due soon",
            entry.seq,
            entry.seq,
            self.freeze,
            counts,
        )


@dataclass
class IncidentDeadline:
    """The incident clock found reporting deadlines due now (PIPL 57's "immediately"), nearly due
    or overdue (the CAC 1/2/4 h report, the 30-day final report, GDPR's 72 h), or the yearly drill
    of the emergency plan overdue (R-INC-3, R-INC-5, R-INC-7)."""

    action: str = "incident_clock"
    name: str = "incident_deadline"
    freeze: bool = False

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        if entry.action != self.action or entry.decision != "allow":
            return None
        counts = {k: int(entry.detail.get(k, 0) or 0) for k in ("overdue", "nearly_due", "due_now")}
        drill = bool(entry.detail.get("drill_overdue"))
        if not any(counts.values()) and not drill:
            return None
        return AlertDraft(
            self.name,
            "high" if counts["overdue"] or counts["due_now"] else "medium",
            entry.actor_id,
            f"incident reports: {counts['overdue']} overdue, {counts['due_now']} due now, "
            f"{counts['nearly_due']} nearly due" + ("; the yearly drill is overdue" if drill else ""),
            entry.seq,
            entry.seq,
            self.freeze,
            {**counts, "drill_overdue": drill},
        )


@dataclass
class PartnerAssessmentExpired:
    """A share was refused because the partner's security assessment has expired (issue 15): the
    officer renews the assessment or stops working with the partner."""

    action: str = "share"
    name: str = "partner_assessment_expired"
    rule: str = "sharing.partner_assessment"
    freeze: bool = False

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        if entry.action != self.action or entry.decision != "deny" or entry.rule != self.rule:
            return None
        return AlertDraft(
            self.name,
            "medium",
            entry.actor_id,
            "a share was refused: the partner's security assessment has expired",
            entry.seq,
            entry.seq,
            self.freeze,
            {},
        )


@dataclass
class MaskedProbing:
    """Many misses on one field the principal sees only masked (issue 11, item 2): someone is
    guessing the hidden part of a value by exact search or match checks. The gate counts the
    misses in the database against the role's ``probe_alert_misses`` and flags the entry
    (``detail["flags"]``); the rule raises the alert once per principal and field per cooldown."""

    flag: str = "probe_alert"
    severity: str = "high"
    cooldown: timedelta = timedelta(hours=1)
    freeze: bool = False
    name: str = "masked_probing"
    state: RuleState = field(default_factory=MemoryRuleState, repr=False, compare=False)

    def observe(self, entry: AuditEntry, when: datetime) -> AlertDraft | None:
        raw = entry.detail.get("flags")
        if not isinstance(raw, list) or self.flag not in raw or entry.detail.get("probe") is not True:
            return None
        target = f"{entry.record_type or ''}.{','.join(entry.fields)}"
        if not self.state.claim(self.name, (entry.actor_id, target), when, self.cooldown):
            return None
        misses = entry.detail.get("probe_misses")
        return AlertDraft(
            self.name,
            self.severity,
            entry.actor_id,
            f"{misses} missed {entry.action} probes of masked field {target} within the hour",
            entry.seq,
            entry.seq,
            self.freeze,
            {"field": target, "misses": misses if isinstance(misses, int) else 0},
        )


@dataclass
class MaskedEnumeration(MaskedProbing):
    """A clear enumeration pattern: misses on one masked field passed ``probe_freeze_misses``.
    The principal is frozen (the gate refuses further probes of the field in any case)."""

    flag: str = "probe_freeze"
    severity: str = "critical"
    freeze: bool = True
    name: str = "masked_enumeration"


def default_rules() -> list[Rule]:
    """The shipped rule set; pass your own list to :class:`~piguard.audit.AuditLog` to tune it."""
    return [
        MassAccess(),
        OffHours(),
        FailedLogins(),
        FailedCheckIns(),
        ExportSpike(),
        SensitiveSubject(),
        DisabledPrincipal(),
        UndeliveredMessage(),
        RightsDeadline(),
        ComplianceAuditDue(),
        IncidentDeadline(),
        PartnerAssessmentExpired(),
        MaskedProbing(),
        MaskedEnumeration(),
    ]


def evaluate(rules: Iterable[Rule], entries: Iterable[AuditEntry]) -> list[AlertDraft]:
    """Run every rule over ``entries`` in order, bar the trail's entries about itself (alerts,
    acknowledgements, prunes: watching them would loop). Jobs acting through the gate as
    ``system:<job>`` are watched like anyone else (the outbox's undelivered messages, say)."""
    drafts: list[AlertDraft] = []
    for entry in entries:
        if entry.role == "system" and entry.purpose == TRAIL_PURPOSE:
            continue
        when = parse_time(entry.time)
        for rule in rules:
            draft = rule.observe(entry, when)
            if draft is not None:
                drafts.append(draft)
    return drafts
