"""Bank card numbers: 13–19 digits, Luhn, issuer prefix, grouping and context.

Card schemes and their lengths (ISO/IEC 7812 issuer ranges as the schemes
publish them): UnionPay 62 (16–19), Visa 4 (13, 16, 19), Mastercard 51–55 and
2221–2720 (16), American Express 34/37 (15, grouped 4-6-5), JCB 3528–3589
(16–19), Diners Club 300–305/36/38/39 (14, grouped 4-6-4), Discover 6011/644–649/65
(16–19). A number of 13–15 digits is only a card with its scheme's prefix: so
many other numbers have those lengths that an unknown prefix is not enough.
"""

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
    n = len(digits)
    head2 = digits[:2]
    if n == 13:
        return head2[0] == "4"
    if n == 14:
        return head2 in ("36", "38", "39") or "300" <= digits[:3] <= "305"
    if n == 15:
        return head2 in ("34", "37")
    # UnionPay 62, Visa 4, Mastercard 51-55 and 2221-2720, JCB 35, Discover 60/64/65.
    if head2 in ("62", "35", "60", "64", "65") or digits[0] == "4" or "51" <= head2 <= "55":
        return True
    return "2221" <= digits[:4] <= "2720"


# How card numbers are grouped when they are: 4-6-5 (Amex), 4-6-4 (Diners),
# otherwise fours with a shorter or five-digit last group (4-4-4-4-3, 4-4-5).
_SPLIT_GROUPINGS = frozenset({(4, 6, 5), (4, 6, 4)})


def _grouping_ok(groups: tuple[int, ...]) -> bool:
    if len(groups) == 1 or groups in _SPLIT_GROUPINGS:
        return True
    return all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 5


class BankCardKind:
    """Decides whether a digit run is a payment card number."""

    type = "bank_card"
    lengths = frozenset(range(13, 20))
    checks = "checksum=luhn; issuer=scheme prefix"

    def check(self, digits: str, groups: tuple[int, ...], prefixed: bool) -> float:
        """Return the score before context if grouping and Luhn fit, else 0."""
        if prefixed or digits[-1] == "X" or not _grouping_ok(groups) or not luhn_ok(digits):
            return 0.0
        if _known_issuer(digits):
            return KNOWN_ISSUER_SCORE
        return UNKNOWN_ISSUER_SCORE if len(digits) >= 16 else 0.0

    def with_cue(self, base: float, digits: str, cue: Cue | None) -> float:
        """Return the final score given the nearest cue."""
        return adjust(base, cue, self.type)
