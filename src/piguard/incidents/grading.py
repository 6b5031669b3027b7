"""Grading and reporting clocks: pure functions of an incident's counts and times.

- :func:`grade` proposes a grade from the CAC guide's personal-information thresholds (R-INC-3):
  at least 100 million persons 特别重大 (``particularly_major``), at least 10 million 重大
  (``major``), at least 1 million, or the officer's "large amount" judgement, 较大
  (``relatively_major``), otherwise 一般 (``general``). Sensitive-PI persons are tallied apart
  and graded against their own thresholds; the higher grade wins. The thresholds are settings
  (:class:`Thresholds`); the officer confirms the proposal.
- :func:`clocks` lists the deadlines that run from discovery: PIPL 57's "immediately" (due at
  once), the CAC report by operator type for 较大 and above (critical-infrastructure operator
  1 h, central state organ 2 h, other operators 4 h), a follow-up while the cause is unknown,
  the final report 30 days after handling ends, and under the GDPR profile 72 h from awareness
  (R-INC-7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

Grade = Literal["general", "relatively_major", "major", "particularly_major"]
OperatorType = Literal["ciio", "central", "other"]
Profile = Literal["cn", "gdpr"]

#: Lowest first.
GRADES: Final[tuple[Grade, ...]] = ("general", "relatively_major", "major", "particularly_major")
GRADE_ZH: Final[dict[str, str]] = {
    "general": "一般",
    "relatively_major": "较大",
    "major": "重大",
    "particularly_major": "特别重大",
}
OPERATOR_TYPES: Final[tuple[OperatorType, ...]] = ("ciio", "central", "other")
#: Hours to the first report for 较大 and above, by operator type (CAC measures 2025, Art. 4).
REPORT_HOURS: Final[dict[str, int]] = {"ciio": 1, "central": 2, "other": 4}
GDPR_HOURS: Final = 72
FINAL_REPORT_DAYS: Final = 30


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Persons (and sensitive-PI persons) at or above which each grade applies."""

    relatively_major: int = 1_000_000
    major: int = 10_000_000
    particularly_major: int = 100_000_000
    sensitive_relatively_major: int = 100_000
    sensitive_major: int = 1_000_000
    sensitive_particularly_major: int = 10_000_000

    def __post_init__(self) -> None:
        for a, b in (
            (self.relatively_major, self.major),
            (self.major, self.particularly_major),
            (self.sensitive_relatively_major, self.sensitive_major),
            (self.sensitive_major, self.sensitive_particularly_major),
        ):
            if not 0 < a <= b:
                raise ValueError("grade thresholds must be positive and rise with the grade")


def _by(count: int, low: int, mid: int, high: int) -> Grade:
    if count >= high:
        return "particularly_major"
    if count >= mid:
        return "major"
    if count >= low:
        return "relatively_major"
    return "general"


def grade(
    persons: int, sensitive: int = 0, *, large_amount: bool = False, thresholds: Thresholds | None = None
) -> Grade:
    """The grade the thresholds give ``persons`` affected, ``sensitive`` of them with sensitive PI.

    >>> grade(999_999), grade(1_000_000), grade(10, large_amount=True), grade(10, 100_000)
    ('general', 'relatively_major', 'relatively_major', 'relatively_major')

    :raises ValueError: a negative count.
    """
    if persons < 0 or sensitive < 0:
        raise ValueError("counts cannot be negative")
    t = thresholds or Thresholds()
    by_persons = _by(persons, t.relatively_major, t.major, t.particularly_major)
    by_sensitive = _by(
        sensitive, t.sensitive_relatively_major, t.sensitive_major, t.sensitive_particularly_major
    )
    found = max(by_persons, by_sensitive, key=GRADES.index)
    if large_amount and found == "general":
        return "relatively_major"
    return found


def reportable(g: str) -> bool:
    """Whether ``g`` is 较大 or above (the CAC clock runs)."""
    return GRADES.index(g) >= GRADES.index("relatively_major")


@dataclass(frozen=True, slots=True)
class Clock:
    """One deadline: its name, when it started and is due (``None``: no fixed time), and whether
    it is met (``done_at``)."""

    name: str
    started: datetime
    due: datetime | None
    done_at: datetime | None = None
    basis: str = ""

    def state(self, now: datetime) -> str:
        """``done``, ``overdue``, ``due_now`` (due at once and not met), ``nearly_due`` (in the last
        quarter of its span, at most one day before), ``running`` or ``open`` (no fixed time)."""
        if self.done_at is not None:
            return "done"
        if self.due is None:
            return "open"
        if self.due <= self.started:
            return "due_now"
        if now >= self.due:
            return "overdue"
        warn = min((self.due - self.started) / 4, timedelta(days=1))
        return "nearly_due" if now >= self.due - warn else "running"

    def as_dict(self, now: datetime) -> dict[str, object]:
        return {
            "name": self.name,
            "started": self.started.isoformat(),
            "due": self.due.isoformat() if self.due else None,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "state": self.state(now),
            "basis": self.basis,
        }


def clocks(
    *,
    discovered: datetime,
    grade_: str,
    operator: str = "other",
    profile: str = "cn",
    cause_known: bool = True,
    handling_ended: datetime | None = None,
    reports: dict[str, datetime] | None = None,
) -> list[Clock]:
    """The deadlines that apply, from discovery (see the module docstring).

    :param reports: when each report was sent (``individuals``, ``regulator``, ``follow_up``,
        ``final``, ``gdpr``), which stops its clock.
    :raises ValueError: an unknown operator type.
    """
    if operator not in REPORT_HOURS:
        raise ValueError(f"operator type must be one of {', '.join(OPERATOR_TYPES)}")
    sent = reports or {}
    out = [Clock("individuals", discovered, discovered, sent.get("individuals"), "PIPL 57: immediately")]
    if reportable(grade_):
        hours = REPORT_HOURS[operator]
        out.append(
            Clock(
                "regulator",
                discovered,
                discovered + timedelta(hours=hours),
                sent.get("regulator"),
                f"CAC measures 2025 Art. 4: {hours} h ({operator})",
            )
        )
        if not cause_known:
            out.append(
                Clock("follow_up", discovered, None, sent.get("follow_up"), "cause unknown at first report")
            )
        if handling_ended is not None:
            out.append(
                Clock(
                    "final",
                    handling_ended,
                    handling_ended + timedelta(days=FINAL_REPORT_DAYS),
                    sent.get("final"),
                    f"final report within {FINAL_REPORT_DAYS} days after handling ends",
                )
            )
    if profile == "gdpr":
        out.append(
            Clock(
                "gdpr",
                discovered,
                discovered + timedelta(hours=GDPR_HOURS),
                sent.get("gdpr"),
                "GDPR 33: 72 h",
            )
        )
    return out
