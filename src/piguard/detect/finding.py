"""What the detector reports: a typed span of characters with a confidence score."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["ALL_TYPES", "Finding", "MaskResult", "Replacement"]

#: Every PI type the default recognizers report.
ALL_TYPES: frozenset[str] = frozenset(
    {
        "resident_id",
        "mobile",
        "landline",
        "bank_card",
        "email",
        "uscc",
        "passport",
        "ip",
        "license_plate",
        "address",
        "person",
        "birth_date",
    }
)


class Finding(NamedTuple):
    """One piece of personal information found in a text.

    Offsets are Python ``str`` indices (characters, not bytes), so
    ``text[finding.start:finding.end]`` is the value. A finding never holds the
    value itself, so logging one never leaks it.

    A named tuple rather than a frozen dataclass: it is built for every
    finding on the hot path, and a frozen dataclass's ``__init__`` costs 2.4x
    as much (0.43 µs against 0.18 µs). Immutable and ordered by
    ``(start, end, type, score)`` either way.

    :param start: index of the first character.
    :param end: index after the last character.
    :param type: the PI type, one of :data:`ALL_TYPES`.
    :param score: confidence in ``[0, 1]``.
    :param reason: why it was reported, for an officer tuning thresholds and
        context words: ``"<type>: "`` then ``;``-separated ``key=value`` parts
        (``pattern=digits 4-6-5; checksum=luhn; issuer=known; cue=卡号``). It
        names the pattern, the checks passed and the context word, never the value.
    """

    start: int
    end: int
    type: str
    score: float
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the finding as a JSON-ready dict."""
        return {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 3),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Replacement:
    """One masked span: where it was in the input and what replaced it."""

    type: str
    start: int
    end: int
    replacement: str

    def as_dict(self) -> dict[str, Any]:
        """Return the replacement as a JSON-ready dict."""
        return {"type": self.type, "start": self.start, "end": self.end, "replacement": self.replacement}


@dataclass(frozen=True, slots=True)
class MaskResult:
    """The masked text and every replacement made, with offsets into the input."""

    text: str
    replacements: list[Replacement] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return ``{"text", "replacements"}`` ready for JSON."""
        return {"text": self.text, "replacements": [r.as_dict() for r in self.replacements]}
