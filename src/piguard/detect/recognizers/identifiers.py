"""Alphanumeric identifiers: unified social credit codes, passports, licence plates, birth dates."""

from __future__ import annotations

from datetime import date

from piguard.detect.context import CueBook, adjust, cue_reason
from piguard.detect.finding import Finding
from piguard.detect.prefilter import Trigger, caseless_words
from piguard.detect.recognizer import PatternRecognizer, ScanContext
from piguard.detect.recognizers.digits import DIGITS, RUN_START
from piguard.validate import passport, uscc

__all__ = ["BirthDateRecognizer", "LicensePlateRecognizer", "PassportRecognizer", "UsccRecognizer"]

_USCC_CHAR = "[0-9A-HJ-NP-RTUW-Y]"


class UsccRecognizer(PatternRecognizer):
    """Unified social credit codes with at least one letter (all-digit ones are digit runs)."""

    name = "uscc"
    token_start = True
    types = frozenset({"uscc"})
    pattern = (
        rf"(?<![0-9A-Za-z])(?=[0-9]{{0,17}}[A-Z]){_USCC_CHAR}{{2}}[0-9]{{6}}{_USCC_CHAR}{{10}}(?![0-9A-Za-z])"
    )

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """The code itself, boundaries included (the letter requirement aside)."""
        return (
            (
                DIGITS[:10] + "ABCDEFGHJKLMNPQRTUWXY",
                f"{RUN_START}(?<![A-Za-z].){_USCC_CHAR}[0-9]{{6}}{_USCC_CHAR}{{10}}(?![0-9A-Za-z])",
            ),
        )

    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Report the code if its GB 32100 check character is right."""
        if uscc.is_valid(text[start:end]):
            cue = ctx.cues.nearest(text, start, ctx.window)
            score = adjust(0.85, cue, "uscc")
            if score > 0.0:
                reason = "uscc: pattern=uscc; checksum=gb32100" + cue_reason(cue, "uscc")
                out.append(Finding(start, end, "uscc", score, reason))


class PassportRecognizer(PatternRecognizer):
    """PRC passports: ``E12345678``, ``EA1234567``; G/D/S/P books need a cue."""

    name = "passport"
    token_start = True
    types = frozenset({"passport"})
    pattern = r"(?<![0-9A-Za-z])[EGDSPegdsp][A-Za-z]?[0-9]{7,8}(?![0-9A-Za-z])"

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """Seven or eight digits after the series letter(s).

        Led by the first digit, not the letter: a letter-led trigger would stop
        the prefilter at every e, g, d, s and p of English text.
        """
        return (
            (DIGITS[:10], f"{RUN_START}(?<=[EGDSPegdsp].)[0-9]{{6,7}}(?![0-9A-Za-z])"),
            (DIGITS[:10], f"{RUN_START}(?<=[EGDSPegdsp][A-Za-z].)[0-9]{{6,7}}(?![0-9A-Za-z])"),
        )

    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Report the number if it has a PRC passport shape, scored by letter and cue."""
        value = text[start:end]
        if not passport.is_valid(value):
            return
        # E-series ordinary passports are the common case; other letters start
        # too many product and part codes to report without a cue.
        base = 0.6 if value[0] in "Ee" else 0.35
        cue = ctx.cues.nearest(text, start, ctx.window)
        score = adjust(base, cue, "passport")
        if score > 0.0:
            reason = f"passport: pattern=passport {value[0].upper()}-series" + cue_reason(cue, "passport")
            out.append(Finding(start, end, "passport", score, reason))


_PROVINCE_ABBREVIATIONS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "[A-HJ-NP-Z0-9]"


class LicensePlateRecognizer(PatternRecognizer):
    """Mainland licence plates: ``京A12345``, ``粤B·D12345`` (new energy), ``甘Q-69073``."""

    name = "license_plate"
    token_start = True
    lead_chars = _PROVINCE_ABBREVIATIONS
    types = frozenset({"license_plate"})
    pattern = (
        rf"[{_PROVINCE_ABBREVIATIONS}][A-HJ-Z][·•\- ]?{_PLATE_CHAR}{{5}}"
        rf"(?:{_PLATE_CHAR}|[挂学警港澳])?(?![0-9A-Za-z])"
    )

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """A province abbreviation and a capital letter."""
        return ((_PROVINCE_ABBREVIATIONS, "[A-HJ-Z]"),)

    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Report the plate; a plate needs at least two digits to tell it from a word."""
        value = text[start:end]
        if sum(c.isdigit() for c in value) < 2:
            return
        cue = ctx.cues.nearest(text, start, ctx.window)
        score = adjust(0.7, cue, "license_plate")
        reason = "license_plate: pattern=plate; check=province" + cue_reason(cue, "license_plate")
        out.append(Finding(start, end, "license_plate", score, reason))


class BirthDateRecognizer(PatternRecognizer):
    """Dates announced as a birth date (出生日期, 生日, DOB); other dates are not PI here.

    Registered before the digit run so that a date glued to a phone number is
    consumed as a date and does not merge with the phone into one long run.
    """

    name = "birth_date"
    token_start = True
    types = frozenset({"birth_date"})
    pattern = (
        r"(?<![0-9A-Za-z])(?:19|20)[0-9]{2}(?:-|/|\.|年)(?:1[0-2]|0?[1-9])(?:-|/|\.|月)"
        r"(?:3[01]|[12][0-9]|0?[1-9])日?(?![0-9])"
    )

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...]:
        """A birth cue: dates alone (every log timestamp) are not reported."""
        return tuple(caseless_words(cues.words_for("birth_date")))

    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Report the date only if it is real and a birth cue announces it."""
        cue = ctx.cues.nearest(text, start, ctx.window)
        if cue is None or "birth_date" not in cue.types:
            return
        parts = [int(p) for p in _split_date(text[start:end])]
        try:
            date(parts[0], parts[1], parts[2])
        except ValueError:
            return
        out.append(
            Finding(
                start, end, "birth_date", 0.9, f"birth_date: pattern=date; check=calendar; cue={cue.word}"
            )
        )


def _split_date(value: str) -> list[str]:
    for sep in "-/.年月日":
        value = value.replace(sep, " ")
    return value.split()
