"""Resident identity card numbers (GB 11643): checksum, birth date and province code."""

from __future__ import annotations

from piguard.detect.context import Cue, adjust
from piguard.validate import bank_card, resident_id

__all__ = ["ResidentIdKind"]

# First two digits of GB/T 2260 address codes: the provincial-level divisions
# (71 Taiwan, 81/82 Hong Kong/Macau residence permits, 83 Taiwan residents' permits).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82 83".split()
)
# How agents group an ID when they group it at all.
_GROUPINGS = frozenset({(18,), (6, 8, 4), (6, 4, 4, 4), (15,), (6, 6, 3)})

#: Score of a number that passes checksum, date and province checks with no cue.
BASE_SCORE = 0.9


class ResidentIdKind:
    """Decides whether a digit run is an 18-digit (or, with a cue, 15-digit) resident ID."""

    type = "resident_id"
    lengths = frozenset({15, 18})

    def score(self, digits: str, groups: tuple[int, ...], prefixed: bool, cue: Cue | None) -> float:
        """Return the confidence that ``digits`` is a resident ID, 0 if it is not one."""
        if prefixed or groups not in _GROUPINGS or digits[:2] not in _PROVINCES:
            return 0.0
        if len(digits) == 15 and (cue is None or self.type not in cue.types):
            # Legacy 15-digit numbers have no check character: too weak alone.
            return 0.0
        if not resident_id.is_valid(digits):
            return 0.0
        if (
            cue is not None
            and "bank_card" in cue.types
            and self.type not in cue.types
            and bank_card.luhn_ok(digits)
        ):
            # Both checksums pass and the agent wrote 卡号: let the card win.
            return 0.0
        return adjust(BASE_SCORE, cue, self.type)
