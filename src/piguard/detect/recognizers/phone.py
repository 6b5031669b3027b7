"""Mainland mobile and fixed-line numbers, with ``+86``/``0086`` and separators."""

from __future__ import annotations

import itertools

from piguard.detect.checks import mobile_ok
from piguard.detect.context import Cue, adjust
from piguard.validate import landline

__all__ = ["LandlineKind", "MobileKind"]

_MOBILE_GROUPINGS = frozenset({(11,), (3, 4, 4), (3, 8), (7, 4)})

#: Score of a number in a mobile range with no cue.
MOBILE_SCORE = 0.8
#: Score of a valid fixed-line number written with its area code apart.
LANDLINE_GROUPED_SCORE = 0.75
#: Score of a valid fixed-line number written as one run of digits.
LANDLINE_RUN_SCORE = 0.55


class MobileKind:
    """Decides whether a digit run is a mainland mobile number."""

    type = "mobile"
    lengths = frozenset({11})
    checks = "range=mainland mobile"

    def check(self, digits: str, groups: tuple[int, ...], prefixed: bool) -> float:
        """Return the score before context if the number is in a mobile range, else 0."""
        if groups not in _MOBILE_GROUPINGS or not mobile_ok(digits):
            return 0.0
        return 0.95 if prefixed else MOBILE_SCORE

    def with_cue(self, base: float, digits: str, cue: Cue | None) -> float:
        """Return the final score given the nearest cue."""
        return adjust(base, cue, self.type)


class LandlineKind:
    """Decides whether a digit run is a fixed-line number with area code (and extension)."""

    type = "landline"
    lengths = frozenset(range(10, 19))
    checks = "range=area code + subscriber (phonenumbers)"

    def check(self, digits: str, groups: tuple[int, ...], prefixed: bool) -> float:
        """Return the score before context if the digits are a fixed-line number, else 0."""
        if digits[-1] == "X":
            return 0.0
        if len(groups) == 1:
            if not (prefixed or digits[0] == "0") or len(digits) > 12:
                return 0.0
            candidate, base = digits, LANDLINE_RUN_SCORE
        elif len(groups) <= 3 and 2 <= groups[0] <= 4 and 7 <= groups[1] <= 8:
            cuts = [0]
            for g in groups:
                cuts.append(cuts[-1] + g)
            parts = [digits[a:b] for a, b in itertools.pairwise(cuts)]
            if not prefixed and not parts[0].startswith("0"):
                return 0.0
            candidate, base = "-".join(parts), LANDLINE_GROUPED_SCORE
        else:
            return 0.0
        if prefixed:
            candidate = "+86" + candidate
        # Rare (a leading 0 or a grouped area code): the full validator is fine here.
        return base if landline.is_valid(candidate) else 0.0

    def with_cue(self, base: float, digits: str, cue: Cue | None) -> float:
        """Return the final score given the nearest cue."""
        return adjust(base, cue, self.type)
