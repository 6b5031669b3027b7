"""Resident identity card numbers (GB 11643): checksum, birth date and province code."""

from __future__ import annotations

from piguard.detect.checks import luhn_ok, resident_id_18_ok
from piguard.detect.context import Cue, adjust
from piguard.validate import resident_id

__all__ = ["ResidentIdKind"]

# First two digits of GB/T 2260 address codes: the provincial-level divisions
# (71 Taiwan, 81/82 Hong Kong/Macau residence permits, 83 Taiwan residents' permits).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82 83".split()
)
# How agents group an ID when they group it at all.
_GROUPINGS = frozenset({(18,), (6, 8, 4), (6, 4, 4, 4), (4, 4, 4, 4, 2), (15,), (6, 6, 3)})

#: Score of a number that passes checksum, date and province checks with no cue.
BASE_SCORE = 0.9


class ResidentIdKind:
    """Decides whether a digit run is an 18-digit (or, with a cue, 15-digit) resident ID."""

    type = "resident_id"
    lengths = frozenset({15, 18})
    checks = "checksum=gb11643; birth date; province"

    def check(self, digits: str, groups: tuple[int, ...], prefixed: bool) -> float:
        """Return the score before context if the shape and checksum fit, else 0."""
        if prefixed or groups not in _GROUPINGS or digits[:2] not in _PROVINCES:
            return 0.0
        if len(digits) == 15:
            # Legacy 15-digit numbers have no check character: decided with the cue.
            return BASE_SCORE
        return BASE_SCORE if resident_id_18_ok(digits) else 0.0

    def with_cue(self, base: float, digits: str, cue: Cue | None) -> float:
        """Return the final score given the nearest cue (0 to reject)."""
        if len(digits) == 15:
            # Too weak without its own cue; rare, so the full validator is fine.
            if cue is None or self.type not in cue.types or not resident_id.is_valid(digits):
                return 0.0
        elif (
            cue is not None
            and "bank_card" in cue.types
            and self.type not in cue.types
            and digits[-1] != "X"
            and luhn_ok(digits)
        ):
            # Both checksums pass and the agent wrote 卡号: let the card win.
            return 0.0
        return adjust(base, cue, self.type)
