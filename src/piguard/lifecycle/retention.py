"""When each record's data may go: the catalog's retention rules counted from their anchors (R-STO-5).

A pure function of the catalog, one customer's record times and their life-cycle events, so the
plan (``piguard retention plan``) and the run decide the same way. Per record, every field's rule
(its own, else its record type's) is counted from its anchor:

- ``collected``: when the record was created;
- ``transaction_completed``: the record type's transaction date (``transaction_date``: its creation
  or its last change; the values themselves are sealed and the sweep opens nothing); ``catalog
  check`` refuses this anchor on a record type without one;
- ``last_activity``: the customer's latest change to any record;
- ``relationship_end``: the customer's recorded account closure (none: the relationship goes on,
  nothing anchored on it expires);
- ``contract_end``: the recorded end of the customer's contract, else the relationship's end;
- ``purpose_fulfilled``: the day the last of the purposes that collect the field was recorded as
  fulfilled for the customer (PIPL 47(1)), else the relationship's end;
- ``consent_withdrawn``: when the consent ledger marked the field for deletion (its last legal basis
  withdrawn), else the relationship's end (the purpose is achieved, PIPL 47(1)); neither: it goes on.

A rule's ``legal_floor_years`` is a minimum the keep can never be shorter than. What happens at the
end is the rule's ``action``: ``destroy`` and ``anonymise`` go ahead (a record whose every rule has
expired is destroyed, one with some expired is stripped of those fields; ``anonymise`` also counts
the record into anonymous statistics first); ``review`` waits for a person's decision (a
``review`` plan), unless one already said destroy, or keep until a day not yet reached. A field
with no rule is kept (``piguard catalog check`` flags it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from piguard.calendar import local_date
from piguard.catalog import Catalog, RetentionRule

__all__ = ["Decisions", "RecordPlan", "expiry", "plan_records", "years_later"]


@dataclass(frozen=True, slots=True)
class RecordPlan:
    """What retention does to one record as of a date: ``destroy`` it, ``strip`` the fields of
    ``rules``, or queue them for ``review`` (a person decides); ``anonymised`` names the rules among
    ``rules`` whose data is counted into anonymous statistics before it goes; ``due`` is the day the
    latest of ``rules`` expired."""

    record_type: str
    record_id: str
    action: str
    rules: tuple[str, ...]
    fields: tuple[str, ...]
    anonymised: tuple[str, ...] = ()
    due: date | None = None


#: A review's decision on one record's rule: ``None`` means destroy, a day means keep until then.
Decisions = Mapping[tuple[str, str], date | None]


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
    contract_end: date | None = None,
    fulfilled: Mapping[str, date] | None = None,
    decisions: Decisions | None = None,
) -> list[RecordPlan]:
    """The plan for one customer's ``records`` (``(record_type, record_id, created, updated, the
    names of the fields it holds)``: only rules over fields a record still holds count, so what was
    stripped is not planned again); ``withdrawn`` maps ``record_type.field`` to the day it was marked
    for deletion; ``fulfilled`` maps a purpose to the day it was recorded as fulfilled;
    ``decisions`` maps ``(record_id, rule)`` to a review's decision."""
    fulfilled = fulfilled or {}
    decisions = decisions or {}
    last_activity = max((local_date(r[3]) for r in records), default=None)
    out = []
    for record_type, record_id, created, updated, present in records:
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
        go: list[str] = []
        waiting: list[str] = []
        due: dict[str, date] = {}
        for rule_name, names in sorted(by_rule.items()):
            rule = catalog.retention_rules.get(rule_name)
            if rule is None:
                continue
            anchors: list[date | None]
            if rule.anchor == "collected":
                anchors = [local_date(created)]
            elif rule.anchor == "transaction_completed":
                anchors = [local_date(updated if spec.transaction_date == "updated" else created)]
            elif rule.anchor == "last_activity":
                anchors = [last_activity]
            elif rule.anchor == "relationship_end":
                anchors = [relationship_end]
            elif rule.anchor == "contract_end":
                anchors = [contract_end or relationship_end]
            elif rule.anchor == "purpose_fulfilled":
                anchors = [
                    _fulfilled(catalog, spec.fields[n].purposes, fulfilled) or relationship_end for n in names
                ]
            else:  # consent_withdrawn: per field; the relationship's end ends consent-based use too
                anchors = [withdrawn.get(f"{record_type}.{n}") or relationship_end for n in names]
            if not anchors or any(a is None for a in anchors):
                continue
            expires = max(expiry(rule, a) for a in anchors if a is not None)
            if expires > as_of:
                continue
            due[rule_name] = expires
            if rule.action != "review":
                go.append(rule_name)
                continue
            decided = decisions.get((record_id, rule_name), _UNDECIDED)
            if decided is None:  # a person decided: destroy
                go.append(rule_name)
            elif decided is _UNDECIDED or (isinstance(decided, date) and decided <= as_of):
                waiting.append(rule_name)  # no decision yet, or kept until a day now reached
        if waiting:
            names_waiting = tuple(sorted(n for r in waiting for n in by_rule[r]))
            out.append(
                RecordPlan(
                    record_type,
                    record_id,
                    "review",
                    tuple(waiting),
                    names_waiting,
                    due=max(due[r] for r in waiting),
                )
            )
        if not go:
            continue
        fields = tuple(sorted(n for r in go for n in by_rule[r]))
        action = "destroy" if len(go) == len(by_rule) else "strip"
        anonymised = tuple(r for r in go if catalog.retention_rules[r].action == "anonymise")
        out.append(
            RecordPlan(record_type, record_id, action, tuple(go), fields, anonymised, max(due[r] for r in go))
        )
    return out


#: No decision on a review (distinct from ``None``, a decision to destroy).
_UNDECIDED: Any = object()


def _fulfilled(catalog: Catalog, purposes: frozenset[str], fulfilled: Mapping[str, date]) -> date | None:
    """The day the last of the field's own (not ancillary) purposes was fulfilled; ``None`` while
    any of them is still going (or the field has none: ``catalog check`` refuses that)."""
    own = [p for p in purposes if p in catalog.purposes and not catalog.purposes[p].ancillary]
    if not own or any(p not in fulfilled for p in own):
        return None
    return max(fulfilled[p] for p in own)
