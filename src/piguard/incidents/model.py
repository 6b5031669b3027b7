"""The incident register's vocabulary: categories, stages, and the record as it is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

#: Incident categories (GB/T 20986-2023's classes of network and data security incidents, as far
#: as they concern PI): name -> (zh, en).
CATEGORIES: Final[dict[str, tuple[str, str]]] = {
    "data_leak": ("数据泄露事件", "data leak"),
    "data_tampering": ("数据篡改事件", "data tampering"),
    "data_loss": ("数据丢失事件", "data loss"),
    "data_misuse": ("数据违规使用事件", "unlawful use of data"),
    "unauthorised_access": ("非授权访问事件", "unauthorised access"),
    "malware": ("恶意程序事件", "malware"),
    "network_attack": ("网络攻击事件", "network attack"),
    "equipment_failure": ("设备设施故障事件", "equipment failure"),
    "violation": ("违规操作事件", "violation of rules"),
    "other": ("其他事件", "other"),
}

#: Stages in order; a stage is entered with a justification (``closed`` only by closing).
STAGES: Final[tuple[str, ...]] = (
    "reported",
    "assessing",
    "containing",
    "notifying",
    "resolved",
    "closed",
)

#: Free text staff type, kept sealed (bound to the incident): never in a column in clear.
TEXT_FIELDS: Final[tuple[str, ...]] = (
    "title",
    "place",
    "cause",
    "harm",
    "measures",
    "contact",
    "description",
    # GDPR 33(1): a notification made after 72 h is "accompanied by reasons for the delay".
    "delay_reason",
)


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident as the register shows it (texts opened for those who may see them)."""

    id: str
    status: str
    stage: str
    category: str
    pi_types: list[str]
    discovered_at: datetime
    occurred_at: datetime | None
    persons: int
    persons_source: str
    sensitive: int
    minors: int
    proposed_grade: str
    grade: str | None
    large_amount: bool
    cause_known: bool
    owner: str
    discoverer: str
    from_alert: str | None
    handling_ended_at: datetime | None
    reports: dict[str, str]
    texts: dict[str, str]
    created_by: str
    created_at: datetime
    deadlines: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "stage": self.stage,
            "category": self.category,
            "pi_types": list(self.pi_types),
            "discovered_at": self.discovered_at.isoformat(),
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "persons": self.persons,
            "persons_source": self.persons_source,
            "sensitive": self.sensitive,
            "minors": self.minors,
            "proposed_grade": self.proposed_grade,
            "grade": self.grade or self.proposed_grade,
            "grade_confirmed": self.grade is not None,
            "large_amount": self.large_amount,
            "cause_known": self.cause_known,
            "owner": self.owner,
            "discoverer": self.discoverer,
            "from_alert": self.from_alert,
            "handling_ended_at": self.handling_ended_at.isoformat() if self.handling_ended_at else None,
            "reports": dict(self.reports),
            **{name: self.texts.get(name, "") for name in TEXT_FIELDS},
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "deadlines": list(self.deadlines),
        }
