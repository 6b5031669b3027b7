"""The two kinds of recognizer the registry holds.

A :class:`PatternRecognizer` contributes one regex fragment to the registry's
single combined scanner (the text is scanned once, whatever the number of
recognizers) and checks each of its matches with :meth:`~PatternRecognizer.verify`
(checksums, dates, context). A :class:`ScanRecognizer` runs its own pass, for
types that need more than one regex: names and postal addresses.

Fragments must be linear-time, must not contain capturing groups, and must not
use ``\\b`` or ``\\w``: in Python both treat CJK characters as word characters,
so a number glued to Chinese text (``手机13812345678``) would have no boundary.
Boundaries are explicit ASCII look-arounds instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from mypy_extensions import mypyc_attr

from piguard.detect.context import DEFAULT_CUES, CueBook
from piguard.detect.finding import Finding
from piguard.detect.prefilter import Trigger

__all__ = ["TOKEN_START_GUARD", "PatternRecognizer", "Recognizer", "ScanContext", "ScanRecognizer"]

#: A zero-width test for a token start (see :attr:`PatternRecognizer.token_start`).
TOKEN_START_GUARD = "(?=[0-9A-Za-z+(:\uff08\uff10-\uff19\uff0b](?:(?<![0-9A-Za-z].)|(?<=IP.)|(?<=ip.)))"  # noqa: S105 (a regex, not a password)


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Settings shared by every recognizer during one scan.

    :param types: the PI types asked for.
    :param cues: the context cue book.
    :param window: how many characters before a candidate are searched for cues.
    """

    types: frozenset[str]
    cues: CueBook = DEFAULT_CUES
    window: int = 12


# Compiled by mypyc (piguard.native): a project's own recognizers may still subclass it.
@mypyc_attr(allow_interpreted_subclasses=True)
class Recognizer:
    """Base of every recognizer: a unique name and the PI types it can report."""

    #: Unique name in a registry; also the regex group name of a pattern recognizer.
    name: str = ""
    #: The PI types this recognizer can report.
    types: frozenset[str] = frozenset()

    def triggers(self, cues: CueBook) -> tuple[Trigger, ...] | None:
        """Return necessary conditions for any finding of this recognizer (bulk mode).

        Every finding must contain, or sit on the same line as, a match of one
        trigger. None (the default) means "no cheap condition": bulk mode then
        scans every line.
        """
        return None


# Compiled by mypyc (piguard.native): a project's own recognizers may still subclass it.
@mypyc_attr(allow_interpreted_subclasses=True)
class PatternRecognizer(Recognizer, ABC):
    """A recognizer made of one regex fragment plus a check of each match."""

    #: The regex fragment (no capturing groups, no ``\\b``/``\\w``).
    pattern: str = ""
    #: True if every match starts at a *token start*: a character of
    #: ``[0-9A-Za-z+(:０-９＋]`` not preceded by an ASCII letter or digit (or
    #: right after ``IP``/``ip``), or at one of :attr:`lead_chars`. The engine
    #: then puts :data:`TOKEN_START_GUARD` before the combined regex, so a
    #: position inside a word fails one test instead of one per fragment.
    #: When any wanted recognizer leaves it False, the plain alternation is used.
    token_start: bool = False
    #: Characters outside the ASCII islands a match may start with, right
    #: before an island (a licence plate's province character).
    lead_chars: str = ""

    @abstractmethod
    def verify(self, text: str, start: int, end: int, ctx: ScanContext, out: list[Finding]) -> None:
        """Check the candidate ``text[start:end]`` and append any findings to ``out``.

        Findings below the detector's threshold may be appended; the engine
        filters them. Findings may cover part of the candidate only.
        """


# Compiled by mypyc (piguard.native): a project's own recognizers may still subclass it.
@mypyc_attr(allow_interpreted_subclasses=True)
class ScanRecognizer(Recognizer, ABC):
    """A recognizer that runs its own pass over the text."""

    @abstractmethod
    def scan(self, text: str, ctx: ScanContext, out: list[Finding]) -> None:
        """Append the findings of this recognizer in ``text`` to ``out``."""
