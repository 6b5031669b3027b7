"""Figures for the dashboard, from the audit trail (read through the trail capability, so the
dashboard's own look at the trail is authorised and recorded)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from piguard.calendar import local_date
from piguard.catalog.vocabulary import DATA_ACTIONS
from piguard.gate import RequestContext
from piguard.gate.trail import Trail

#: Actions that show customer data (or its existence) to someone.
ACCESS_ACTIONS: frozenset[str] = DATA_ACTIONS
DAYS = 14
#: The dashboard looks at this many trail entries at most (newest window), to stay fast.
MAX_ENTRIES = 200_000


@dataclass
class Figures:
    source: str
    per_day: list[tuple[str, int]] = field(default_factory=list)
    denied_per_day: list[tuple[str, int]] = field(default_factory=list)
    by_role: list[tuple[str, int]] = field(default_factory=list)
    alerts: list[tuple[str, int]] = field(default_factory=list)
    total_accesses: int = 0
    total_denied: int = 0
    open_alerts: int = 0


def _day(when: Any) -> date | None:
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when)
        except ValueError:
            return None
    if isinstance(when, datetime):
        return local_date(when)
    return None


def figures(trail: Trail, ctx: RequestContext, now: datetime) -> Figures:
    """Accesses per day and by role, denials per day, alerts by severity, over the last :data:`DAYS`.

    :raises AccessDenied: ``ctx``'s role may not read the trail.
    """
    since = now - timedelta(days=DAYS)
    entries, alerts = trail.dashboard(ctx, since=since, limit=MAX_ENTRIES)
    rows: Iterable[Any] = entries
    source = "audit"
    today = local_date(now)
    days = [today - timedelta(days=i) for i in range(DAYS - 1, -1, -1)]
    access: Counter[date] = Counter()
    denied: Counter[date] = Counter()
    roles: Counter[str] = Counter()
    for row in rows:
        day = _day(row.time)
        if day is None or day < days[0]:
            continue
        if row.decision == "deny":
            denied[day] += 1
        elif row.action in ACCESS_ACTIONS:
            access[day] += 1
            roles[row.role or "?"] += 1
    out = Figures(source)
    out.per_day = [(d.strftime("%m-%d"), access[d]) for d in days]
    out.denied_per_day = [(d.strftime("%m-%d"), denied[d]) for d in days]
    out.by_role = roles.most_common(12)
    out.total_accesses = sum(access.values())
    out.total_denied = sum(denied.values())
    severities: Counter[str] = Counter()
    for alert in alerts:
        severities[f"{alert.severity} / {alert.status}"] += 1
        out.open_alerts += alert.status == "open"
    out.alerts = sorted(severities.items())
    return out
