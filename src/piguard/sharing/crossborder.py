"""Cross-border thresholds (R-SHR-6): which mechanisms cover a year's count of persons.

The 2024 Provisions on Promoting and Regulating Cross-Border Data Flows count distinct persons
per calendar year from 1 January, sensitive and non-sensitive apart:

- non-sensitive: fewer than 100,000 persons: exempt; 100,000 to under 1,000,000: standard
  contract or certification; 1,000,000 or more: CAC security assessment;
- sensitive: fewer than 10,000: standard contract or certification; 10,000 or more: assessment;
- a critical-information-infrastructure operator (CIIO): assessment, whatever the count.

Pure functions: the capability counts, this module judges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Mechanism = Literal["security_assessment", "certification", "standard_contract", "exemption"]
MECHANISMS: Final[tuple[Mechanism, ...]] = (
    "security_assessment",
    "certification",
    "standard_contract",
    "exemption",
)
#: Strength of each mechanism: a stronger one covers what a weaker one covers.
STRENGTH: Final[dict[str, int]] = {
    "exemption": 0,
    "standard_contract": 1,
    "certification": 1,
    "security_assessment": 2,
}
NON_SENSITIVE_EXEMPT: Final = 100_000
NON_SENSITIVE_ASSESSMENT: Final = 1_000_000
SENSITIVE_ASSESSMENT: Final = 10_000
#: A warning is given once a count reaches this share of the next threshold.
WARN_RATIO: Final = 0.9


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a count needs: the weakest covering mechanism, whether the given one covers it, and a
    warning when the count nears the next threshold."""

    needed: Mechanism
    covered: bool
    warning: str | None


def needed(count: int, *, sensitive: bool, ciio: bool = False) -> Mechanism:
    """The weakest mechanism that covers ``count`` persons in a year."""
    if ciio:
        return "security_assessment"
    if sensitive:
        return "security_assessment" if count >= SENSITIVE_ASSESSMENT else "standard_contract"
    if count >= NON_SENSITIVE_ASSESSMENT:
        return "security_assessment"
    return "standard_contract" if count >= NON_SENSITIVE_EXEMPT else "exemption"


def _next_threshold(count: int, sensitive: bool) -> int | None:
    if sensitive:
        return SENSITIVE_ASSESSMENT if count < SENSITIVE_ASSESSMENT else None
    for limit in (NON_SENSITIVE_EXEMPT, NON_SENSITIVE_ASSESSMENT):
        if count < limit:
            return limit
    return None


def judge(count: int, mechanism: str, *, sensitive: bool, ciio: bool = False) -> Verdict:
    """Judge the year's count *after* a transfer under ``mechanism``."""
    need = needed(count, sensitive=sensitive, ciio=ciio)
    covered = STRENGTH.get(mechanism, -1) >= STRENGTH[need]
    warning = None
    limit = _next_threshold(count, sensitive)
    if covered and limit is not None and count >= WARN_RATIO * limit and not ciio:
        above = needed(limit, sensitive=sensitive)
        if STRENGTH.get(mechanism, -1) < STRENGTH[above]:
            kind = "sensitive" if sensitive else "non-sensitive"
            warning = f"{count} {kind} persons this year: at {limit} the transfer needs {above}"
    return Verdict(need, covered, warning)
