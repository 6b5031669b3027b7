"""Plain data of the consent layer: records, state, notices, results.

Everything here is immutable and holds no customer values: customers appear by
their random id, guardians by a keyed reference (:mod:`piguard.consent.identity`),
birth dates never (only the derived age band and the next review date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Literal, get_args

from piguard.consent.age import AgeBand, AgeInfo

#: What a consent record is about (R-COL-4). ``general`` is the consent to a purpose
#: (PIPL 14); the others are the separate consents (单独同意) of PIPL 29, 23, 25 and 39.
ConsentKind = Literal["general", "sensitive", "provision", "public_disclosure", "cross_border"]
#: ``refuse`` records that the customer declined when asked (R-COL-7 rate limit).
ConsentAction = Literal["grant", "withdraw", "refuse"]
#: Who a guardian is to the minor (matches the default catalog's ``guardian_relation``).
GuardianRelation = Literal["father", "mother", "legal_guardian"]
NoticeKind = Literal["privacy", "children"]

CONSENT_KINDS: Final[tuple[ConsentKind, ...]] = get_args(ConsentKind)
SEPARATE_KINDS: Final[tuple[ConsentKind, ...]] = CONSENT_KINDS[1:]
#: Separate consents that name their recipient (PIPL 23, 39): given only with one.
RECIPIENT_KINDS: Final[frozenset[ConsentKind]] = frozenset({"provision", "cross_border"})
GUARDIAN_RELATIONS: Final[tuple[GuardianRelation, ...]] = get_args(GuardianRelation)
NOTICE_KINDS: Final[tuple[NoticeKind, ...]] = get_args(NoticeKind)


@dataclass(frozen=True, slots=True)
class Guardian:
    """The guardian who consents for a child under 14 (PIPL 31, R-MIN-1).

    :param relationship: one of :data:`GUARDIAN_RELATIONS`.
    :param identity_ref: an opaque reference to the guardian's identity: a keyed
        digest made by :meth:`ConsentLedger.guardian` from the guardian's ID number,
        or the id of a verified identity document. Never the ID number itself.
    """

    relationship: GuardianRelation
    identity_ref: str


@dataclass(frozen=True, slots=True)
class ConsentEvidence:
    """What proves a consent given outside piguard (import rows, paper forms).

    :param channel: how it was given, e.g. ``paper_form``, ``app``, ``counter``.
    :param evidence_ref: where the proof is kept (scan id, form number, log id).
    :param notice_version: the notice the customer was shown; ``None`` = the current one.
    :param purposes: what was consented to; empty = the purpose of the write.
    :param kinds: the consents given; separate kinds are recorded as distinct records.
    :param given_at: when the customer consented; ``None`` = when recorded.
    :param guardian: set when a guardian consented for a child under 14.
    """

    channel: str
    evidence_ref: str
    notice_version: int | None = None
    purposes: tuple[str, ...] = ()
    kinds: tuple[ConsentKind, ...] = ("general",)
    given_at: datetime | None = None
    guardian: Guardian | None = None


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One immutable row of the consent ledger (R-COL-2).

    ``categories`` and ``retention`` are copied from the catalog at recording time, so
    the record still says what was agreed after the catalog changes.
    """

    id: int
    customer_id: str
    action: ConsentAction
    kind: ConsentKind
    purposes: tuple[str, ...]
    categories: tuple[str, ...]
    retention: tuple[str, ...]
    notice_version: int | None
    notice_hash: str | None
    channel: str
    operator: str
    given_at: datetime
    recorded_at: datetime
    evidence_ref: str | None = None
    guardian: Guardian | None = None
    recipient: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "action": self.action,
            "kind": self.kind,
            "purposes": list(self.purposes),
            "categories": list(self.categories),
            "retention": list(self.retention),
            "notice_version": self.notice_version,
            "notice_hash": self.notice_hash,
            "channel": self.channel,
            "operator": self.operator,
            "given_at": self.given_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "evidence_ref": self.evidence_ref,
            "guardian_relationship": self.guardian.relationship if self.guardian else None,
            "guardian_ref": self.guardian.identity_ref if self.guardian else None,
            "recipient": self.recipient,
        }


@dataclass(frozen=True, slots=True)
class ActiveConsent:
    """A consent in force for one ``(kind, purpose)``: the record that granted it."""

    record_id: int
    notice_version: int | None
    given_at: datetime
    by_guardian: bool
    #: The recipient a ``provision`` or ``cross_border`` consent names (PIPL 23, 39).
    recipient: str | None = None


@dataclass(frozen=True, slots=True)
class Marketing:
    """Marketing preferences (R-COL-9). The default allows marketing the customer consented to."""

    opt_out: bool = False
    personalised: bool = True
    changed_at: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "opt_out": self.opt_out,
            "personalised": self.personalised,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
        }


@dataclass(frozen=True, slots=True)
class ConsentState:
    """A customer's consent position at one moment, folded from the ledger."""

    customer_id: str
    active: dict[tuple[ConsentKind, str], ActiveConsent] = field(default_factory=dict)
    refused: dict[str, datetime] = field(default_factory=dict)
    marketing: Marketing = Marketing()
    age: AgeInfo | None = None
    has_guardian: bool = False

    def has(self, kind: ConsentKind, purpose: str) -> bool:
        return (kind, purpose) in self.active

    def as_dict(self, today: date | None = None) -> dict[str, object]:
        consents: dict[str, dict[str, object]] = {}
        for (kind, purpose), grant in sorted(self.active.items()):
            consents.setdefault(purpose, {})[kind] = {
                "record": grant.record_id,
                "notice_version": grant.notice_version,
                "given_at": grant.given_at.isoformat(),
                "by_guardian": grant.by_guardian,
            }
        age: dict[str, object] | None = None
        if self.age is not None:
            age = {
                "band": self.age.band_on(today) if today else self.age.band,
                "next_review": self.age.next_review.isoformat() if self.age.next_review else None,
            }
        return {
            "customer_id": self.customer_id,
            "consents": consents,
            "refused": {p: t.isoformat() for p, t in sorted(self.refused.items())},
            "marketing": self.marketing.as_dict(),
            "age": age,
            "guardian_on_record": self.has_guardian,
        }


@dataclass(frozen=True, slots=True)
class DeletionMark:
    """A hand-off to the retention job: these fields lost their last legal basis (R-COL-6, R-DST-1)."""

    id: int
    customer_id: str
    record_type: str
    fields: tuple[str, ...]
    reason: str
    source_record: int | None
    marked_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "record_type": self.record_type,
            "fields": list(self.fields),
            "reason": self.reason,
            "source_record": self.source_record,
            "marked_at": self.marked_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class WithdrawResult:
    """What one withdrawal call did."""

    customer_id: str
    records: tuple[ConsentRecord, ...]
    stopped: tuple[str, ...]
    marked_for_deletion: tuple[DeletionMark, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "customer_id": self.customer_id,
            "records": [r.as_dict() for r in self.records],
            "stopped": list(self.stopped),
            "marked_for_deletion": [m.as_dict() for m in self.marked_for_deletion],
        }


@dataclass(frozen=True, slots=True)
class Notice:
    """A published privacy notice version (R-COL-8) in Chinese and English."""

    version: int
    kind: NoticeKind
    title: str
    text_zh: str
    text_en: str
    content_hash: str
    material: bool
    purposes_changed: tuple[str, ...]
    published_at: datetime
    effective_at: datetime
    operator: str

    def as_dict(self, *, texts: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "version": self.version,
            "kind": self.kind,
            "title": self.title,
            "content_hash": self.content_hash,
            "material": self.material,
            "purposes_changed": list(self.purposes_changed),
            "published_at": self.published_at.isoformat(),
            "effective_at": self.effective_at.isoformat(),
            "operator": self.operator,
        }
        if texts:
            out["text_zh"] = self.text_zh
            out["text_en"] = self.text_en
        return out


@dataclass(frozen=True, slots=True)
class Reevaluation:
    """One customer whose age band changed at a 14th or 18th birthday (R-MIN-4).

    :param needs_own_consent: consent-based purposes that rested on a guardian's consent
        only; from the 14th birthday the customer must consent personally.
    """

    customer_id: str
    previous: AgeBand
    band: AgeBand
    birthday: date
    next_review: date | None
    needs_own_consent: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "customer_id": self.customer_id,
            "previous": self.previous,
            "band": self.band,
            "birthday": self.birthday.isoformat(),
            "next_review": self.next_review.isoformat() if self.next_review else None,
            "needs_own_consent": list(self.needs_own_consent),
        }
