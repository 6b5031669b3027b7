"""IPv4 and IPv6 addresses, checked with :mod:`ipaddress`."""

from __future__ import annotations

import ipaddress

from piguard.detect.checks import ipv4_ok
from piguard.detect.context import CueBook, adjust, cue_reason
from piguard.detect.finding import Finding
from piguard.detect.prefilter import Trigger
from piguard.detect.recognizer import PatternRecognizer, ScanContext
from piguard.detect.recognizers.digits import DIGITS, RUN_START

__all__ = ["IPv4Recognizer", "IPv6Recognizer"]

#: Score of a valid address with no cue.
BASE_SCORE = 0.85


class IPv4Recognizer(PatternRecognizer):
    """Dotted quads; version strings (``v1.2.3.4``, ``版本1.2.3.4``) are turned away by cue or letter."""

    name = "ipv4"
    token_start = True
    types = frozenset({"ip"})
    # A trailing "." is a full stop; a "." followed by a digit means a longer dotted number.
    pattern = r"(?:(?<![0-9A-Za-z.])|(?<=IP)|(?<=ip))[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9A-Za-z]|\.[0-9])"

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """A digit, then three dot-separated digit groups."""
        return ((DIGITS, rf"{RUN_START}[0-9]{{0,2}}\.[0-9]{{1,3}}\.[0-9]{{1,3}}\.[0-9]"),)

    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Report the address if every octet is 0–255 without leading zeros."""
        if not ipv4_ok(text[start:end]):
            return
        cue = ctx.cues.nearest(text, start, ctx.window)
        score = adjust(BASE_SCORE, cue, "ip")
        if score > 0.0:
            out.append(
                Finding(start, end, "ip", score, "ip: pattern=ipv4; check=octets" + cue_reason(cue, "ip"))
            )


class IPv6Recognizer(PatternRecognizer):
    """Colon-hex addresses, compressed (``::``) or full; clock times fail :mod:`ipaddress`."""

    name = "ipv6"
    token_start = True
    types = frozenset({"ip"})
    # The first look-ahead (a colon within five characters) is a cheap guard:
    # it turns away every digit run before the costlier second one runs.
    pattern = (
        r"(?:(?<![0-9A-Za-z:])|(?<=IP)|(?<=ip))(?=[0-9A-Fa-f]{0,4}:)(?=[0-9A-Fa-f:.]*::|(?:[0-9A-Fa-f]{1,4}:){7})"
        r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?<=:)[0-9]{1,3}(?:\.[0-9]{1,3}){3})?"
        r"(?![0-9A-Za-z:])"
    )

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """``::``, or seven colons between hex groups (the pattern's own look-ahead)."""
        return ((":", r":|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){5}:"),)

    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Report the address if :class:`ipaddress.IPv6Address` accepts it."""
        value = text[start:end]
        if value == "::":
            return
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return
        cue = ctx.cues.nearest(text, start, ctx.window)
        score = adjust(BASE_SCORE, cue, "ip")
        if score > 0.0:
            out.append(
                Finding(start, end, "ip", score, "ip: pattern=ipv6; check=ipaddress" + cue_reason(cue, "ip"))
            )
