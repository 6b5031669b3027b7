"""The collection and read rules, as pure functions of the catalog and a consent state.

:class:`~piguard.consent.ledger.ConsentLedger` loads the state and calls these; keeping
them free of I/O makes every rule testable on its own and keeps the hot read path to a
few dictionary look-ups.

Which basis a field needs (PIPL 13, 29, 31; R-COL-1, R-COL-3, R-COL-4, R-MIN-1):

- every purpose needs a legal basis in the catalog;
- a purpose resting on consent needs a live ``general`` consent of the customer;
- a purpose that declares ``separate_consent_for`` needs each of those separate consents;
  ``sensitive`` applies per field, to sensitive fields only, and also whenever the
  purpose rests on consent (PIPL 29);
- all PI of a child under 14 is sensitive, and the consents must come from a guardian;
  from the 14th birthday a guardian's consent no longer counts: the person consents;
- a consent given before a material notice change to its purpose is stale (R-COL-5).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from piguard.catalog import Catalog, Purpose
from piguard.consent.age import AgeBand
from piguard.consent.model import ConsentKind, ConsentState
from piguard.errors import ConsentRequired, ValidationError


@dataclass(frozen=True, slots=True)
class MaterialChange:
    """A material notice version and the purposes it changed, from ``effective_at`` on."""

    version: int
    effective_at: datetime
    purposes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Moment:
    """What the rules need to know about "now"."""

    now: datetime
    today: date
    material: Sequence[MaterialChange] = field(default_factory=tuple)

    def stale_before(self, purpose: str) -> int:
        """Consents to ``purpose`` recorded against a notice older than this are stale."""
        newest = 0
        for change in self.material:
            if purpose in change.purposes and change.effective_at <= self.now and change.version > newest:
                newest = change.version
        return newest


def purpose_of(catalog: Catalog, name: str) -> Purpose:
    """:raises ValidationError: unknown purpose."""
    try:
        return catalog.purposes[name]
    except KeyError:
        raise ValidationError(f"unknown purpose '{name}'", "purpose") from None


def require_basis(purpose: Purpose) -> None:
    """R-COL-1: a purpose without a legal basis processes nothing."""
    if purpose.legal_basis is None:
        raise ConsentRequired(
            f"purpose '{purpose.name}' has no legal basis in the catalog (R-COL-1)", "R-COL-1"
        )


def rests_on_consent(purpose: Purpose) -> bool:
    return purpose.legal_basis == "consent"


def needs_sensitive_consent(purpose: Purpose) -> bool:
    """Whether sensitive fields under ``purpose`` need the separate ``sensitive`` consent (PIPL 29)."""
    return rests_on_consent(purpose) or "sensitive" in purpose.separate_consent_for


def band_of(state: ConsentState, today: date) -> AgeBand | None:
    return state.age.band_on(today) if state.age is not None else None


def why_not(
    state: ConsentState, kind: ConsentKind, purpose: str, band: AgeBand | None, moment: Moment
) -> tuple[str, str] | None:
    """Why the customer's ``kind`` consent to ``purpose`` does not hold, or ``None`` if it does.

    :returns: ``(reason, requirement id)``.
    """
    grant = state.active.get((kind, purpose))
    what = "consent" if kind == "general" else f"separate consent '{kind}'"
    if grant is None:
        if purpose in state.refused and kind == "general":
            return f"the customer refused {what}", "R-COL-7"
        return f"no {what} on record (or it was withdrawn)", "R-COL-6"
    stale = moment.stale_before(purpose)
    if stale and (grant.notice_version or 0) < stale:
        return f"the privacy notice changed materially (version {stale}); fresh {what} is required", "R-COL-5"
    if band == "under14" and not grant.by_guardian:
        return f"the customer is under 14: the {what} must come from a guardian (PIPL 31)", "R-MIN-1"
    if band in ("minor", "adult") and grant.by_guardian:
        return (
            f"the customer has turned 14: the guardian's {what} no longer counts; the customer must consent",
            "R-MIN-4",
        )
    return None


def _refuse(purpose: str, reason: tuple[str, str], subject: str | None = None) -> ConsentRequired:
    text, rule = reason
    prefix = f"{subject}: " if subject else ""
    return ConsentRequired(f"{prefix}purpose '{purpose}': {text} ({rule})", rule)


def check_purpose(state: ConsentState, purpose: Purpose, moment: Moment, band: AgeBand | None) -> None:
    """Purpose-level checks shared by reads and writes."""
    require_basis(purpose)
    if purpose.marketing and state.marketing.opt_out:
        raise _refuse(purpose.name, ("the customer opted out of marketing", "R-COL-9"))
    if purpose.marketing and purpose.automated_decision and band in ("under14", "minor"):
        raise _refuse(purpose.name, ("no automated marketing decisions about minors", "R-USE-7"))
    kinds: list[ConsentKind] = ["general"] if rests_on_consent(purpose) else []
    kinds.extend(k for k in sorted(purpose.separate_consent_for) if k != "sensitive")
    for kind in kinds:
        reason = why_not(state, kind, purpose.name, band, moment)
        if reason is not None:
            raise _refuse(purpose.name, reason)


def check_fields(
    catalog: Catalog,
    state: ConsentState,
    purpose: Purpose,
    record_type: str,
    fields: Collection[str],
    moment: Moment,
    band: AgeBand | None,
) -> None:
    """Field-level checks: sensitive PI and the non-personalised marketing option."""
    record = catalog.record_types.get(record_type)
    if record is None:
        raise ValidationError(f"unknown record type '{record_type}'", "record_type")
    sensitive_needed = needs_sensitive_consent(purpose)
    for name in sorted(fields):
        fdef = record.fields.get(name)
        if fdef is None:
            raise ValidationError(f"unknown field for record type '{record_type}'", name)
        if sensitive_needed and (fdef.sensitive or band == "under14"):
            reason = why_not(state, "sensitive", purpose.name, band, moment)
            if reason is not None:
                text, rule = reason
                raise _refuse(purpose.name, (f"sensitive personal information; {text}", rule), name)
        if purpose.marketing and not state.marketing.personalised and fdef.category == "preference":
            raise _refuse(purpose.name, ("the customer chose non-personalised marketing", "R-COL-9"), name)


def check_read(
    catalog: Catalog,
    state: ConsentState,
    purpose_name: str,
    moment: Moment,
    *,
    record_type: str = "customer",
    fields: Collection[str] | None = None,
) -> None:
    """:raises ConsentRequired: naming the purpose (and the field) and the missing basis."""
    purpose = purpose_of(catalog, purpose_name)
    band = band_of(state, moment.today)
    check_purpose(state, purpose, moment, band)
    if fields:
        check_fields(catalog, state, purpose, record_type, fields, moment, band)


def check_write(
    catalog: Catalog,
    state: ConsentState,
    purpose_name: str,
    record_type: str,
    fields: Collection[str],
    moment: Moment,
    *,
    band: AgeBand | None,
    guardian_in_values: bool,
    new_customer: bool,
    guardian_recorded_here: bool = True,
) -> None:
    """:raises ValidationError: a field the purpose does not need (R-COL-3).
    :raises ConsentRequired: a missing basis, naming the purpose, the field and the requirement.
    """
    purpose = purpose_of(catalog, purpose_name)
    require_basis(purpose)
    try:
        allowed = catalog.fields_for(purpose_name, record_type)
    except KeyError:
        raise ValidationError(f"unknown record type '{record_type}'", "record_type") from None
    for name in sorted(fields):
        if name not in allowed:
            raise ValidationError(f"not needed for purpose '{purpose_name}' (R-COL-3)", name)
    if new_customer and (rests_on_consent(purpose) or purpose.separate_consent_for - {"sensitive"}):
        raise _refuse(purpose_name, ("record the customer's consent before collecting", "R-COL-1"))
    check_purpose(state, purpose, moment, band)
    check_fields(catalog, state, purpose, record_type, fields, moment, band)
    # The guardian is recorded with the child's profile (the record type that declares guardian
    # fields); the child's orders or stays, written later, do not repeat it.
    if (
        band == "under14"
        and guardian_recorded_here
        and not rests_on_consent(purpose)
        and not (guardian_in_values or state.has_guardian)
    ):
        raise _refuse(
            purpose_name,
            (
                "the customer is under 14: record the guardian's identity and relationship (PIPL 31)",
                "R-MIN-1",
            ),
        )


def covered_categories(catalog: Catalog, purposes: Collection[str]) -> tuple[str, ...]:
    """The PI categories the fields of ``purposes`` belong to, for the consent record."""
    return tuple(sorted({f.category for _, f in catalog.iter_fields() if f.purposes & set(purposes)}))


def covered_retention(catalog: Catalog, purposes: Collection[str]) -> tuple[str, ...]:
    """The retention rules of the fields of ``purposes``, spelled out, for the consent record."""
    out: set[str] = set()
    for _, fdef in catalog.iter_fields():
        if not fdef.purposes & set(purposes):
            continue
        rule = catalog.retention_for(fdef)
        if rule is None:
            continue
        span = f"{rule.duration_years} years" if rule.duration_years else f"{rule.duration_days} days"
        out.add(f"{rule.name}: {span} from {rule.anchor}")
    return tuple(sorted(out))


def orphaned_fields(
    catalog: Catalog, state: ConsentState, stopped: Collection[str], moment: Moment
) -> dict[str, tuple[str, ...]]:
    """Fields of the ``stopped`` purposes that no purpose can still process for this customer.

    A field keeps a basis if some purpose covering it has a legal basis other than
    consent (and, for sensitive fields, any separate consent it declares) or a live
    consent of the customer. What is left is handed to retention for deletion (R-COL-6).
    """
    band = band_of(state, moment.today)
    out: dict[str, tuple[str, ...]] = {}
    for record_type, record in catalog.record_types.items():
        lost: list[str] = []
        for name, fdef in record.fields.items():
            if not fdef.purposes & set(stopped):
                continue
            if not any(_keeps_basis(catalog, state, p, fdef.sensitive, band, moment) for p in fdef.purposes):
                lost.append(name)
        if lost:
            out[record_type] = tuple(lost)
    return out


def _keeps_basis(
    catalog: Catalog,
    state: ConsentState,
    purpose_name: str,
    sensitive: bool,
    band: AgeBand | None,
    moment: Moment,
) -> bool:
    purpose = catalog.purposes[purpose_name]
    if purpose.legal_basis is None or purpose.ancillary:
        return False
    if rests_on_consent(purpose) and why_not(state, "general", purpose_name, band, moment) is not None:
        return False
    needs = needs_sensitive_consent(purpose) and (sensitive or band == "under14")
    return not (needs and why_not(state, "sensitive", purpose_name, band, moment) is not None)


def guardian_given(
    values: Mapping[str, str], guardian_fields: Collection[str], record_fields: Collection[str]
) -> bool:
    """Whether a write carries the guardian's identity fields the record type declares."""
    wanted = [f for f in guardian_fields if f in record_fields]
    return bool(wanted) and all(values.get(f) for f in wanted)
