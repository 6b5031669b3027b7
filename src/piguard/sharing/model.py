"""Plain data of the sharing capability: partners, agreements, assessments, transfers, results.

Every value here describes an organisation, a contract or a count: customers appear by random id
only, and shared values only inside a :class:`ShareResult`'s content, desensitised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal

PartnerRole = Literal["entrusted", "recipient", "joint"]
PARTNER_ROLES: Final[tuple[PartnerRole, ...]] = ("entrusted", "recipient", "joint")
AgreementType = Literal["entrustment", "provision", "joint", "cross_border"]
AGREEMENT_TYPES: Final[tuple[AgreementType, ...]] = ("entrustment", "provision", "joint", "cross_border")
#: Separate consent kinds (the catalog's ``separate_consent_for``) an agreement type needs of its
#: purpose: provision to another processor (PIPL 23), abroad (PIPL 39); entrustment needs none
#: (PIPL 21: the processor acts for us).
CONSENT_FOR: Final[dict[str, frozenset[str]]] = {
    "entrustment": frozenset(),
    "provision": frozenset({"provision"}),
    "joint": frozenset({"provision"}),
    "cross_border": frozenset({"provision", "cross_border"}),
}
Conclusion = Literal["acceptable", "acceptable_with_measures", "not_acceptable"]
CONCLUSIONS: Final[tuple[Conclusion, ...]] = ("acceptable", "acceptable_with_measures", "not_acceptable")
#: The GB/T 39335-2020 sections a PIPIA record holds, each a short text.
SECTIONS: Final[tuple[str, ...]] = (
    "scope",
    "data_flows",
    "legality_necessity",
    "impact_on_persons",
    "security_measures",
    "residual_risk",
)
#: Records of transfers and assessments are kept at least this long (R-SHR-4, R-AUD-3).
KEEP_YEARS: Final = 3
EndOutcome = Literal["returned", "deleted"]


@dataclass(frozen=True, slots=True)
class Partner:
    id: str
    name: str
    uscc: str | None
    contact: str
    country: str
    role: str
    authority: bool
    security_basis: str
    assessed_on: date
    assessment_expires: date
    assessor: str
    status: str
    #: The partner's endpoint for deletion notices (signed JSON POSTs), if they have one.
    notify_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["assessed_on"] = self.assessed_on.isoformat()
        out["assessment_expires"] = self.assessment_expires.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class Rule:
    """How one field leaves: a desensitisation rule and its declared parameters."""

    rule: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Agreement:
    id: str
    partner_id: str
    type: str
    purpose: str
    record_type: str
    fields: dict[str, Rule]
    method: str
    safeguards: str
    sub_entrustment: bool
    mechanism: str | None
    destination: str | None
    starts_on: date
    ends_on: date
    document_sha256: str
    state: str
    end_outcome: str | None = None
    end_evidence_sha256: str | None = None
    ended_at: datetime | None = None
    suspended_reason: str | None = None

    def is_active(self, today: date) -> bool:
        return self.state == "active" and self.starts_on <= today <= self.ends_on

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "partner_id": self.partner_id,
            "type": self.type,
            "purpose": self.purpose,
            "record_type": self.record_type,
            "fields": {n: {"rule": r.rule, "params": r.params} for n, r in self.fields.items()},
            "method": self.method,
            "safeguards": self.safeguards,
            "sub_entrustment": self.sub_entrustment,
            "mechanism": self.mechanism,
            "destination": self.destination,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "document_sha256": self.document_sha256,
            "state": self.state,
            "end_outcome": self.end_outcome,
            "end_evidence_sha256": self.end_evidence_sha256,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "suspended_reason": self.suspended_reason,
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    id: str
    agreement_id: str | None
    purpose: str | None
    version: int
    sections: dict[str, str]
    conclusion: str
    reviewer: str
    assessed_on: date
    valid_until: date
    keep_until: date

    def is_current(self, today: date) -> bool:
        return self.conclusion != "not_acceptable" and self.assessed_on <= today <= self.valid_until

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("assessed_on", "valid_until", "keep_until"):
            out[key] = getattr(self, key).isoformat()
        return out


@dataclass(frozen=True, slots=True)
class ShareResult:
    """A share: its log row's id, persons sent, those left out by reason, the signed manifest and
    the content (CSV or JSON Lines, desensitised) the edge writes out."""

    transfer_id: str
    persons: int
    left_out: dict[str, int]
    manifest: dict[str, Any]
    signature: str
    content: bytes
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "transfer_id": self.transfer_id,
            "persons": self.persons,
            "left_out": self.left_out,
            "manifest": self.manifest,
            "signature": self.signature,
            "warnings": self.warnings,
        }


@dataclass(frozen=True, slots=True)
class ExtractResult:
    transfer_id: str
    rows: int
    k: int
    l: int | None  # noqa: E741 - the literature's name
    suppressed: int
    left_out: dict[str, int]
    manifest: dict[str, Any]
    content: bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "transfer_id": self.transfer_id,
            "rows": self.rows,
            "k": self.k,
            "l": self.l,
            "suppressed": self.suppressed,
            "left_out": self.left_out,
            "manifest": self.manifest,
        }
