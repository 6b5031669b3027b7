"""Consent evidence on import rows: read it, check it, record it before the row is stored.

Columns (all optional; every column starting with ``consent_`` is removed before the
row reaches the vault):

=================================  ==========================================================
``consent_channel``                how consent was given: ``paper_form``, ``app``, ``web``...
``consent_evidence_ref``           where the proof is kept: form number, scan id, log id
``consent_notice_version``         the privacy notice shown (default: the latest)
``consent_given_at``               ISO date or date-time of consent (default: import time)
``consent_purposes``               purposes consented to, ``;``-separated (default: the import's)
``consent_kinds``                  ``general;sensitive;provision;public_disclosure;cross_border``
                                   (default ``general``)
``consent_recipient``              recipient, for ``provision`` and ``cross_border``
``consent_guardian_relationship``  ``father``, ``mother`` or ``legal_guardian`` (child under 14)
``consent_guardian_id_number``     the guardian's resident ID: digested, never stored
``consent_guardian_ref``           or a ready-made guardian identity reference
=================================  ==========================================================

A row under a purpose that rests on consent, or with sensitive fields under a purpose
that needs separate consent, or of a child under 14, is rejected with the reason when
its evidence does not cover what the purpose needs; the other rows go on to the vault.
The consent of accepted rows is recorded *before* the vault stores them, so no stored
row is ever without its basis (a row the vault then rejects leaves a consent record
for a customer id that holds nothing, which is harmless).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, cast

from piguard.consent import rules
from piguard.consent.age import AgeInfo
from piguard.consent.model import (
    CONSENT_KINDS,
    ActiveConsent,
    ConsentEvidence,
    ConsentKind,
    ConsentState,
    Guardian,
    GuardianRelation,
)
from piguard.errors import ConsentRequired, NotFound, ValidationError
from piguard.gate.sdk import new_customer_id

if TYPE_CHECKING:
    from piguard.consent.ledger import ConsentLedger

PREFIX = "consent_"
#: The consent evidence columns an import file may carry: (name, zh label, en label). Import
#: headers may use either label (:class:`piguard.readers.Columns`), and templates offer them.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("consent_channel", "同意渠道", "Consent channel"),
    ("consent_evidence_ref", "同意凭证编号", "Consent evidence reference"),
    ("consent_notice_version", "告知书版本", "Notice version"),
    ("consent_given_at", "同意时间", "Consent given at"),
    ("consent_purposes", "同意目的", "Consent purposes"),
    ("consent_kinds", "同意类型", "Consent kinds"),
    ("consent_recipient", "接收方", "Recipient"),
    ("consent_guardian_relationship", "监护关系", "Guardian relationship"),
    ("consent_guardian_id_number", "监护人身份证号", "Guardian ID number"),
    ("consent_guardian_ref", "监护人标识", "Guardian reference"),
)
Row = Mapping[str, object]
NumberedRow = tuple[int, Row | ValidationError]


def _cell(row: Row, name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _list(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(dict.fromkeys(p.strip() for p in text.replace(",", ";").split(";") if p.strip()))


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError("must be an ISO date or date-time", "consent_given_at") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def evidence_from_row(row: Row, ledger: ConsentLedger | None = None) -> ConsentEvidence | None:
    """The consent evidence an import row carries, or ``None`` if it carries none.

    :param ledger: digests ``consent_guardian_id_number`` (required if that column is used).
    :raises ValidationError: evidence that is incomplete or malformed, naming the column.
    """
    if not any(_cell(row, k) for k in row if k.startswith(PREFIX)):
        return None
    channel = _cell(row, "consent_channel")
    ref = _cell(row, "consent_evidence_ref")
    if channel is None:
        raise ValidationError("consent evidence needs the channel it was given through", "consent_channel")
    if ref is None:
        raise ValidationError("consent evidence needs a reference to the proof", "consent_evidence_ref")
    version_text = _cell(row, "consent_notice_version")
    version: int | None = None
    if version_text is not None:
        if not version_text.isdigit():
            raise ValidationError("must be a notice version number", "consent_notice_version")
        version = int(version_text)
    kinds = _list(_cell(row, "consent_kinds")) or ("general",)
    for kind in kinds:
        if kind not in CONSENT_KINDS:
            raise ValidationError(f"kinds must be among {', '.join(CONSENT_KINDS)}", "consent_kinds")
    guardian = _guardian(row, ledger)
    return ConsentEvidence(
        channel=channel,
        evidence_ref=ref,
        notice_version=version,
        purposes=_list(_cell(row, "consent_purposes")),
        kinds=cast(tuple[ConsentKind, ...], kinds),
        given_at=_when(_cell(row, "consent_given_at")),
        guardian=guardian,
    )


def _guardian(row: Row, ledger: ConsentLedger | None) -> Guardian | None:
    relation = _cell(row, "consent_guardian_relationship")
    number = _cell(row, "consent_guardian_id_number")
    ref = _cell(row, "consent_guardian_ref")
    if relation is None and number is None and ref is None:
        return None
    if relation is None:
        raise ValidationError("a guardian's consent states the relationship", "consent_guardian_relationship")
    if number is not None:
        if ledger is None:
            raise ValidationError(
                "guardian ID numbers need the ledger's identity key", "consent_guardian_id_number"
            )
        return ledger.guardian(relation, number)
    if ref is None:
        raise ValidationError("a guardian's consent identifies the guardian", "consent_guardian_id_number")
    if relation not in ("father", "mother", "legal_guardian"):
        raise ValidationError("must be father, mother or legal_guardian", "consent_guardian_relationship")
    return Guardian(cast(GuardianRelation, relation), ref)


def strip_consent_columns(row: Row) -> dict[str, object]:
    """The row without its ``consent_*`` columns: what the vault stores."""
    return {k: v for k, v in row.items() if not k.startswith(PREFIX)}


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """An import row that passed: the values to store and the consent to record first."""

    values: dict[str, object]
    evidence: ConsentEvidence | None
    age: AgeInfo | None


def check_import_row(
    row: Row, ledger: ConsentLedger, purpose: str, record_type: str = "customer"
) -> CheckedRow:
    """Check one import row against what ``purpose`` needs, counting its own evidence.

    :raises ValidationError: naming the column or field and the missing basis; a
        :class:`ConsentRequired` is turned into one, as import reports are per field.
    """
    evidence = evidence_from_row(row, ledger)
    values = strip_consent_columns(row)
    customer_id = _cell(values, "customer_id")
    base = ledger.state(customer_id) if customer_id else ConsentState("")
    today = ledger.today()
    age = ledger.age_from_values(values, today, record_type)
    band = age.band if age else rules.band_of(base, today)
    state = base
    if evidence is not None:
        notice = _notice(ledger, evidence.notice_version)
        purposes = evidence.purposes or (purpose,)
        for name in purposes:
            rules.purpose_of(ledger.catalog, name)
        given = evidence.given_at or ledger.clock.now()
        active = dict(base.active)
        for kind in evidence.kinds:
            for name in purposes:
                active[(kind, name)] = ActiveConsent(0, notice, given, evidence.guardian is not None)
        state = replace(base, active=active, has_guardian=base.has_guardian or evidence.guardian is not None)
    fields = [k for k, v in values.items() if k not in ("customer_id", "record_id") and v not in (None, "")]
    record_fields = (
        ledger.catalog.record_types[record_type].fields.keys()
        if record_type in ledger.catalog.record_types
        else ()
    )
    str_values = {k: str(v) for k, v in values.items() if v is not None}
    try:
        rules.check_write(
            ledger.catalog,
            state,
            purpose,
            record_type,
            fields,
            _moment(ledger),
            band=band,
            guardian_in_values=rules.guardian_given(
                str_values, ledger.age_sources.guardian_fields, record_fields
            ),
            new_customer=False,
            guardian_recorded_here=any(f in record_fields for f in ledger.age_sources.guardian_fields),
        )
    except ConsentRequired as exc:
        field, _, _ = str(exc).partition(": purpose")
        named = field if field in values else None
        if evidence is None:
            raise ValidationError(
                f"{exc.reason}; the row carries no consent evidence (consent_channel, consent_evidence_ref)",
                named or "consent_evidence_ref",
            ) from None
        raise ValidationError(exc.reason, named or "consent_kinds") from None
    return CheckedRow(values, evidence, age)


def _notice(ledger: ConsentLedger, version: int | None) -> int:
    try:
        notice = ledger.notice(version) if version is not None else ledger.notice(kind="privacy")
    except NotFound:
        raise ValidationError("no such privacy notice (R-COL-8)", "consent_notice_version") from None
    if notice.kind != "privacy":
        raise ValidationError("consent refers to a privacy notice", "consent_notice_version")
    return notice.version


def _moment(ledger: ConsentLedger) -> rules.Moment:
    return ledger._moment()


def filter_import_rows(
    rows: Iterable[NumberedRow],
    ledger: ConsentLedger,
    purpose: str,
    *,
    record_type: str = "customer",
    operator: str = "import",
    batch_size: int = 500,
    dry_run: bool = False,
) -> Iterator[NumberedRow]:
    """Wrap the numbered rows :meth:`piguard.vault.vault.Vault.import_rows` takes.

    Rows lacking the consent their purpose needs come out as :class:`ValidationError`
    entries (the vault reports them as rejected, with the reason); the others come out
    without their ``consent_*`` columns, with a customer id assigned when a new customer
    needs one, after their consent and age band were recorded in one transaction per batch.
    With ``dry_run`` the rows are checked the same way and nothing is recorded.
    """
    pending: list[tuple[int, Row | ValidationError]] = []
    grants: list[dict[str, Any]] = []
    ages: dict[str, AgeInfo] = {}
    touched: list[str] = []

    def flush() -> Iterator[NumberedRow]:
        if (grants or ages) and not dry_run:
            ledger._append(touched, grants, ages)
        yield from pending
        pending.clear()
        grants.clear()
        ages.clear()
        touched.clear()

    for number, row in rows:
        if isinstance(row, ValidationError):
            pending.append((number, row))
        else:
            try:
                checked = check_import_row(row, ledger, purpose, record_type)
                values = checked.values
                if record_type == ledger.age_sources.record_type and not _cell(values, "customer_id"):
                    values = {**values, "customer_id": new_customer_id()}
                cid = _cell(values, "customer_id")
                if cid is not None and checked.evidence is not None:
                    ev = checked.evidence
                    grants.extend(
                        ledger.grant_rows(
                            cid,
                            ev.purposes or (purpose,),
                            channel=ev.channel,
                            operator=operator,
                            kinds=ev.kinds,
                            notice_version=ev.notice_version,
                            evidence_ref=ev.evidence_ref,
                            guardian=ev.guardian,
                            given_at=ev.given_at,
                            band=checked.age.band if checked.age else None,
                            recipient=_cell(row, "consent_recipient"),
                        )
                    )
                if cid is not None and checked.age is not None:
                    ages[cid] = checked.age
                if cid is not None:
                    touched.append(cid)
                pending.append((number, values))
            except ValidationError as exc:
                pending.append((number, exc))
        if len(pending) >= batch_size:
            yield from flush()
    yield from flush()
