"""E-mail addresses, with an ASCII-only local part so CJK text before it is never swallowed."""

from __future__ import annotations

from piguard.detect.checks import email_candidate_ok
from piguard.detect.context import CueBook, adjust, cue_reason
from piguard.detect.finding import Finding
from piguard.detect.prefilter import Trigger
from piguard.detect.recognizer import PatternRecognizer, ScanContext

__all__ = ["EmailRecognizer"]

# Presidio's local part is \w+, which in Python includes CJK, so
# "联系方式为junguo@example.org" came back whole. ASCII classes only here.
_PATTERN = (
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)

#: Score of a syntactically valid address.
BASE_SCORE = 0.95


class EmailRecognizer(PatternRecognizer):
    """Finds e-mail addresses valid for :func:`piguard.validate.email.is_valid` (same rule: checks.py)."""

    name = "email"
    token_start = True
    types = frozenset({"email"})
    pattern = _PATTERN

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """An at sign."""
        return (("@", ""),)

    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Report the address if the validator accepts it."""
        if email_candidate_ok(text[start:end]):
            cue = ctx.cues.nearest(text, start, ctx.window)
            reason = "email: pattern=email; check=dot-atom, length" + cue_reason(cue, "email")
            out.append(Finding(start, end, "email", adjust(BASE_SCORE, cue, "email"), reason))
