"""The compliance-audit schedule (R-AUD-5, R-MIN-5), a pure function of the person count, the
minors count and the audits on file.

- A processor of more than :data:`LARGE_PROCESSOR` persons audits at least every 2 years (Audit
  Measures 2025); below it no periodic audit is required (an audit the regulator orders is
  recorded the same way).
- A processor of minors' PI audits that processing every year (Minors Regs 37).

An audit is due ``interval`` years after the last one of its scope was completed; without one it
is due today. It is ``due_soon`` within :data:`WARN_DAYS` of that date and ``overdue`` after it;
the ``compliance_schedule`` job records the counts, and the ``compliance_audit_due`` monitoring
rule raises the alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

LARGE_PROCESSOR = 10_000_000
WARN_DAYS = 60
#: scope -> (interval in years, the requirement)
SCOPES: dict[str, tuple[int, str]] = {"general": (2, "R-AUD-5"), "minors": (1, "R-MIN-5")}


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def schedule(
    persons: int,
    minors: int,
    audits: Iterable[Mapping[str, Any]],
    today: date,
    *,
    threshold: int = LARGE_PROCESSOR,
) -> list[dict[str, Any]]:
    """One item per scope: ``required``, ``last`` and ``due`` (ISO dates or None), ``status``
    (``not_required``, ``ok``, ``due_soon``, ``overdue``)."""
    required = {"general": persons > threshold, "minors": minors > 0}
    done = list(audits)
    out = []
    for scope, (years, requirement) in SCOPES.items():
        last = max(
            (date.fromisoformat(str(a["effective_on"])) for a in done if a.get("scope") == scope),
            default=None,
        )
        item: dict[str, Any] = {
            "scope": scope,
            "requirement": requirement,
            "interval_years": years,
            "required": required[scope],
            "last": last.isoformat() if last else None,
            "due": None,
            "status": "not_required",
        }
        if required[scope]:
            due = _years_later(last, years) if last else today
            item["due"] = due.isoformat()
            item["status"] = (
                "overdue" if due < today else "due_soon" if due <= today + timedelta(days=WARN_DAYS) else "ok"
            )
        out.append(item)
    return out
