"""The compliance capability's plain data: check results, requirement statuses, governance records.

A check's status is one of :data:`CHECK_STATUSES`; a requirement's, one of
:data:`REQUIREMENT_STATUSES`. ``pass`` is only ever the outcome of a check that ran against the
installation and found what it looks for; a check whose capability is not built reports
``not_available``, and a check that could not run reports ``fail`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

CheckStatus = Literal["pass", "fail", "not_available", "record", "manual"]
CHECK_STATUSES: Final[tuple[CheckStatus, ...]] = ("pass", "fail", "not_available", "record", "manual")
RequirementStatus = Literal["pass", "fail", "partial", "not_available", "record"]
REQUIREMENT_STATUSES: Final[tuple[RequirementStatus, ...]] = (
    "fail",
    "partial",
    "pass",
    "record",
    "not_available",
)


@dataclass(frozen=True)
class CheckResult:
    """What one live check found: a status, and the evidence (counts, ids of catalog entries,
    never a customer value)."""

    check: str
    requirements: tuple[str, ...]
    status: CheckStatus
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "requirements": list(self.requirements),
            "status": self.status,
            "summary": self.summary,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class RequirementResult:
    """One requirement of the checklist in a report: its status, the checks and tests behind it."""

    id: str
    title: str
    kind: str
    status: RequirementStatus
    checks: tuple[CheckResult, ...]
    tests: tuple[dict[str, Any], ...]
    gaps: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "status": self.status,
            "checks": [c.as_dict() for c in self.checks],
            "tests": list(self.tests),
            "gaps": list(self.gaps),
        }
