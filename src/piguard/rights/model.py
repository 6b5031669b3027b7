"""What a rights case is: its types, channels, statuses and the transitions between them.

A case is a request (PIPL 44-49, NDSMR 23/25) or a complaint (NDSMR 20), about one customer,
taken in through a channel, on a clock (:mod:`piguard.rights.deadline`). It holds no PI of its
own: the customer is a random id; reasons staff type are sealed; contact details are read from
the vault through the gate when a message is sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Final, Literal, get_args

__all__ = [
    "CHANNELS",
    "GUARDIANS",
    "RELATIONS",
    "RELATIONSHIPS",
    "RELATIVES",
    "RELATIVE_TYPES",
    "REQUEST_TYPES",
    "STATUSES",
    "Case",
    "Event",
]

RequestType = Literal[
    "access",  # PIPL 45: a copy of everything held
    "portability",  # PIPL 45, NDSMR 25: to another processor
    "correction",  # PIPL 46
    "deletion",  # PIPL 47
    "explanation",  # PIPL 48: the processing rules, automated decisions
    "restriction",  # PIPL 44: restrict or object
    "withdrawal",  # PIPL 15: withdraw consent
    "marketing_optout",  # PIPL 24: marketing and personalisation
    "account_closure",  # NDSMR 23
    "complaint",  # NDSMR 20, CSL 49
]
Channel = Literal["web", "phone", "counter", "letter", "email"]
Relation = Literal["self", "guardian", "relative"]
Status = Literal["received", "verified", "paused", "completed", "refused"]

#: PIPL 49 with Civil Code 1045: a deceased customer's close relatives.
RELATIVES: Final[tuple[str, ...]] = ("spouse", "parent", "child", "sibling", "grandparent", "grandchild")
#: Who acts for a minor (Civil Code 27): a parent, or another guardian appointed by law.
GUARDIANS: Final[tuple[str, ...]] = ("parent", "legal_guardian")
#: Every relationship a requester other than the customer may state.
RELATIONSHIPS: Final[tuple[str, ...]] = tuple(dict.fromkeys(RELATIVES + GUARDIANS))
#: What a close relative may ask for (PIPL 49: 查阅、复制、更正、删除), for their own lawful interests.
RELATIVE_TYPES: Final[frozenset[str]] = frozenset({"access", "correction", "deletion"})
#: Age bands (:mod:`piguard.consent.age`) for which refusals are in writing and guardians act.
MINOR_BANDS: Final[frozenset[str]] = frozenset({"under14", "minor"})

REQUEST_TYPES: Final[tuple[RequestType, ...]] = get_args(RequestType)
CHANNELS: Final[tuple[Channel, ...]] = get_args(Channel)
RELATIONS: Final[tuple[Relation, ...]] = get_args(Relation)
STATUSES: Final[tuple[Status, ...]] = get_args(Status)
#: A case in one of these is closed: nothing more may happen to it.
TERMINAL: Final[frozenset[str]] = frozenset({"completed", "refused"})

#: How the requester may be told about their case: email and web requests by email, phone by
#: SMS; counter and letter requests are answered in person or on paper by the officer.
MESSAGE_CHANNEL: Final[dict[str, str | None]] = {
    "email": "email",
    "web": "email",
    "phone": "sms",
    "counter": None,
    "letter": None,
}

#: Chinese names of the request types, for messages and the console.
TYPE_LABELS: Final[dict[str, tuple[str, str]]] = {
    "access": ("查阅复制", "access and copy"),
    "portability": ("转移", "portability"),
    "correction": ("更正补充", "correction"),
    "deletion": ("删除", "deletion"),
    "explanation": ("解释说明", "explanation"),
    "restriction": ("限制处理", "restriction"),
    "withdrawal": ("撤回同意", "consent withdrawal"),
    "marketing_optout": ("拒绝营销", "marketing opt-out"),
    "account_closure": ("注销账户", "account closure"),
    "complaint": ("投诉", "complaint"),
}


@dataclass(frozen=True, slots=True)
class Event:
    """One step of a case's timeline (the audit trail holds the same, under the operation)."""

    at: datetime
    event: str
    actor: str
    reason: str | None
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class Case:
    """A rights request or complaint, as staff see it."""

    id: str
    type: str
    customer_id: str
    channel: str
    relation: str
    relationship: str | None
    source: str | None
    intake_by: str
    status: str
    received_at: datetime
    due: date
    provisional: bool
    paused: bool
    extension: int
    verified: str | None
    closed_at: datetime | None
    outcome: str | None
    timeline: tuple[Event, ...] = ()

    @property
    def kind(self) -> str:
        return "complaint" if self.type == "complaint" else "request"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "type": self.type,
            "customer_id": self.customer_id,
            "channel": self.channel,
            "relation": self.relation,
            "relationship": self.relationship,
            "source": self.source,
            "intake_by": self.intake_by,
            "status": self.status,
            "received_at": self.received_at.isoformat(),
            "due": self.due.isoformat(),
            "provisional": self.provisional,
            "paused": self.paused,
            "extension": self.extension,
            "verified": self.verified,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "outcome": self.outcome,
            "timeline": [e.as_dict() for e in self.timeline],
        }
