"""A registry of recognizers, compiled into one scanner per set of wanted types."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from piguard.detect.recognizer import TOKEN_START_GUARD, PatternRecognizer, Recognizer, ScanRecognizer
from piguard.errors import ConfigError

__all__ = ["CompiledScanner", "RecognizerRegistry"]


@dataclass(frozen=True, slots=True)
class CompiledScanner:
    """The recognizers for a set of types, with their fragments joined into one regex.

    :param regex: the alternation of every pattern fragment, one named group each,
        or None when no pattern recognizer is wanted.
    :param by_group: group name -> pattern recognizer.
    :param scanners: the scan recognizers, in registration order.
    :param guarded: when every pattern recognizer is ``token_start``, the same
        alternation behind a token-start guard (positions inside words fail
        one test, not one per fragment); matches starting at a lead character
        must be tried apart.
    :param lead_chars: the union of the pattern recognizers' lead characters.
    """

    regex: re.Pattern[str] | None
    by_group: dict[str, PatternRecognizer]
    scanners: tuple[ScanRecognizer, ...]
    guarded: re.Pattern[str] | None = None
    lead_chars: frozenset[str] = frozenset()


class RecognizerRegistry:
    """Holds recognizers by name; order of registration is the order of alternation.

    Order matters for pattern recognizers: at a given position the first
    fragment that matches wins, so more specific shapes (e-mail, IPv4, dates)
    are registered before the generic digit run.
    """

    def __init__(self, recognizers: Iterable[Recognizer] = ()) -> None:
        self._recognizers: dict[str, Recognizer] = {}
        self._compiled: dict[frozenset[str], CompiledScanner] = {}
        for recognizer in recognizers:
            self.add(recognizer)

    def add(self, recognizer: Recognizer) -> None:
        """Register ``recognizer``.

        :raises ConfigError: if the name is taken or is not a valid identifier.
        """
        if not recognizer.name.isidentifier():
            raise ConfigError(f"recognizer name {recognizer.name!r} is not an identifier")
        if recognizer.name in self._recognizers:
            raise ConfigError(f"recognizer {recognizer.name!r} is already registered")
        self._recognizers[recognizer.name] = recognizer
        self._compiled.clear()

    def remove(self, name: str) -> None:
        """Unregister the recognizer called ``name``.

        :raises ConfigError: if there is none.
        """
        if self._recognizers.pop(name, None) is None:
            raise ConfigError(f"no recognizer named {name!r}")
        self._compiled.clear()

    def recognizers(self, types: frozenset[str] | None = None) -> list[Recognizer]:
        """Return the recognizers that can report at least one of ``types`` (all when None)."""
        return [r for r in self._recognizers.values() if types is None or r.types & types]

    def supported_types(self) -> frozenset[str]:
        """Return every type some registered recognizer reports."""
        return frozenset().union(*(r.types for r in self._recognizers.values()))

    def compile(self, types: frozenset[str]) -> CompiledScanner:
        """Return (and cache) the scanner for ``types``."""
        compiled = self._compiled.get(types)
        if compiled is None:
            chosen = self.recognizers(types)
            patterns = [r for r in chosen if isinstance(r, PatternRecognizer)]
            alternation = "|".join(f"(?P<{r.name}>{r.pattern})" for r in patterns)
            regex = re.compile(alternation) if patterns else None
            anchored = bool(patterns) and all(r.token_start for r in patterns)
            compiled = CompiledScanner(
                regex=regex,
                by_group={r.name: r for r in patterns},
                scanners=tuple(r for r in chosen if isinstance(r, ScanRecognizer)),
                guarded=re.compile(TOKEN_START_GUARD + f"(?:{alternation})") if anchored else None,
                lead_chars=frozenset("".join(r.lead_chars for r in patterns)),
            )
            self._compiled[types] = compiled
        return compiled
