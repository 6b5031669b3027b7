"""Bank card numbers: 16–19 digits, Luhn, issuer prefix, grouping and context."""

from __future__ import annotations

from piguard.detect.checks import luhn_ok
from piguard.detect.context import Cue, adjust

__all__ = ["BankCardKind"]

#: Score of a Luhn-valid number with a known issuer prefix and no cue.
KNOWN_ISSUER_SCORE = 0.75
#: Score of a Luhn-valid number with an unknown prefix and no cue: below the
#: default threshold, because one random number in ten passes Luhn.
UNKNOWN_ISSUER_SCORE = 0.3


def _known_issuer(digits: str) -> bool:
    # UnionPay 62, Visa 4, Mastercard 51-55 and 2221-2720, JCB 35, Discover 60/64/65.
    head2 = digits[:2]
    if head2 in ("62", "35", "60", "64", "65") or digits[0] == "4" or "51" <= head2 <= "55":
        return True
    return "2221" <= digits[:4] <= "2720"


def _grouping_ok(groups: tuple[int, ...]) -> bool:
    # Either one run, or groups of four with a shorter last group (4-4-4-4-3).
    if len(groups) == 1:
        return True
    return all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4


class BankCardKind:
    """Decides whether a digit run is a payment card number."""

    type = "bank_card"
    lengths = frozenset({16, 17, 18, 19})

    def check(self, digits: str, groups: tuple[int, ...], prefixed: bool) -> float:
        """Return the score before context if grouping and Luhn fit, else 0."""
        if prefixed or digits[-1] == "X" or not _grouping_ok(groups) or not luhn_ok(digits):
            return 0.0
        return KNOWN_ISSUER_SCORE if _known_issuer(digits) else UNKNOWN_ISSUER_SCORE

    def with_cue(self, base: float, digits: str, cue: Cue | None) -> float:
        """Return the final score given the nearest cue."""
        return adjust(base, cue, self.type)
