"""When each record's data may go: the catalog's retention rules counted from their anchors (R-STO-5).

A pure function of the catalog, one customer's record times and their life-cycle events, so the
plan (``piguard retention plan``) and the sweeper to come decide the same way. Per record, every
field's rule (its own, else its record type's) is counted from its anchor:

- ``collected``: when the record was created;
- ``transaction_completed``: when the record was created (a transaction is recorded when it is
  made; a record type whose completion comes later should anchor on ``last_activity``);
- ``last_activity``: the customer's latest change to any record;
- ``relationship_end``: the customer's recorded account closure (none: the relationship goes on,
  nothing anchored on it expires);
- ``consent_withdrawn``: when the consent ledger marked the field for deletion (its last legal basis
  withdrawn), else the relationship's end (the purpose is achieved, PIPL 47(1)); neither: it goes on.

A rule's ``legal_floor_years`` is a minimum the keep can never be shorter than. A record whose every
rule has expired is destroyed; one with some expired is stripped of those fields. A field with no
rule is kept (``piguard catalog check`` flags it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from piguard.calendar import local_date
from piguard.catalog import Catalog, RetentionRule

__all__ = ["RecordPlan", "expiry", "plan_records", "years_later"]


@dataclass(frozen=True, slots=True)
class RecordPlan:
    """What retention does to one record as of a date: ``destroy`` it, ``strip`` the fields of
    ``rules``, or nothing (``keep``)."""

    record_type: str
    record_id: str
    action: str
    rules: tuple[str, ...]
    fields: tuple[str, ...]


def expiry(rule: RetentionRule, anchor: date) -> date:
    """The first day data anchored at ``anchor`` may be destroyed, never before the legal floor."""
    due = rule.expires(anchor)
    if rule.legal_floor_years:
        due = max(due, years_later(anchor, rule.legal_floor_years))
    return due


def years_later(day: date, years: int) -> date:
    """``day`` moved by whole calendar years (negative: earlier); 29 February becomes 28 February,
    as :meth:`RetentionRule.expires` counts, so a floor and its rule agree on the day."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def plan_records(
    catalog: Catalog,
    records: list[tuple[str, str, datetime, datetime, frozenset[str]]],
    *,
    as_of: date,
    relationship_end: date | None,
    withdrawn: Mapping[str, date],
) -> list[RecordPlan]:
    """The plan for one customer's ``records`` (``(record_type, record_id, created, updated, the
    names of the fields it holds)``: only rules over fields a record still holds count, so what was
    stripped is not planned again); ``withdrawn`` maps ``record_type.field`` to the day it was marked
    for deletion."""
    last_activity = max((local_date(r[3]) for r in records), default=None)
    out = []
    for record_type, record_id, created, _, present in records:
        spec = catalog.record_types.get(record_type)
        if spec is None:
            continue
        by_rule: dict[str, list[str]] = {}
        for name, field in spec.fields.items():
            if name not in present:
                continue
            rule_name = field.retention or spec.retention
            if rule_name:
                by_rule.setdefault(rule_name, []).append(name)
        expired: list[str] = []
        for rule_name, names in sorted(by_rule.items()):
            rule = catalog.retention_rules.get(rule_name)
            if rule is None:
                continue
            anchors: list[date | None]
            if rule.anchor in ("collected", "transaction_completed"):
                anchors = [local_date(created)]
            elif rule.anchor == "last_activity":
                anchors = [last_activity]
            elif rule.anchor == "relationship_end":
                anchors = [relationship_end]
            else:  # consent_withdrawn: per field; the relationship's end ends consent-based use too
                anchors = [withdrawn.get(f"{record_type}.{n}") or relationship_end for n in names]
            if anchors and all(a is not None and expiry(rule, a) <= as_of for a in anchors):
                expired.append(rule_name)
        if not expired:
            continue
        fields = tuple(sorted(n for r in expired for n in by_rule[r]))
        action = "destroy" if len(expired) == len(by_rule) else "strip"
        out.append(RecordPlan(record_type, record_id, action, tuple(expired), fields))
    return out
