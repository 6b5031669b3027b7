"""Detection settings: per-type thresholds, the context window and the context words.

They are data, not code: the shipped values are ``piguard/detect/data/detection.json``;
an installation overrides any part of them under ``"detection"`` in its
``piguard.json`` (:attr:`piguard.config.Settings.detection`), and ``piguard scan
--settings FILE`` reads a JSON file of the same shape. An override names only
what changes::

    {"thresholds": {"bank_card": 0.8},
     "cues": {"bank_card": ["会员卡"]},
     "negative_cues": ["积分卡"],
     "remove_cues": ["卡"]}

``cues`` and ``negative_cues`` *add* words; ``remove_cues`` drops words (positive
or negative) from the shipped lists; ``thresholds`` set a type's lowest score.

>>> s = DetectionSettings.shipped().merged({"thresholds": {"bank_card": 0.9}})
>>> s.thresholds["bank_card"]
0.9
>>> [f.type for f in s.detector().detect("客户来电，卡号4111111111111111")]
['bank_card']
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from piguard.detect.context import SHIPPED_SETTINGS, CueBook
from piguard.detect.engine import Detector
from piguard.detect.finding import ALL_TYPES
from piguard.errors import ConfigError

__all__ = ["DetectionSettings"]

_KEYS = frozenset({"default_threshold", "window", "thresholds", "cues", "negative_cues", "remove_cues"})


def _score(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"detection settings: {where} must be a number between 0 and 1")
    return float(value)


def _words(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        raise ConfigError(f"detection settings: {where} must be a list of non-empty words")
    return tuple(w.strip() for w in value)


@dataclass(frozen=True)
class DetectionSettings:
    """What the detector reports, and on what evidence.

    :param default_threshold: the lowest score of a type not in ``thresholds``.
    :param window: characters before a candidate searched for context words.
    :param thresholds: PI type -> its lowest reported score.
    :param cues: PI type -> words that announce it.
    :param negative_cues: words that announce a number that is not PI.
    """

    default_threshold: float
    window: int
    thresholds: Mapping[str, float] = field(default_factory=dict)
    cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    negative_cues: tuple[str, ...] = ()

    @classmethod
    def shipped(cls) -> DetectionSettings:
        """The settings shipped in ``data/detection.json``."""
        return cls._parse(SHIPPED_SETTINGS, base=None)

    @classmethod
    def load(cls, path: Path) -> DetectionSettings:
        """The shipped settings with the overrides of the JSON file ``path``.

        :raises ConfigError: if the file is unreadable, not JSON, or an override is invalid.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"detection settings {path}: {exc.__class__.__name__}") from exc
        return cls.shipped().merged(data)

    def merged(self, overrides: Mapping[str, Any] | None) -> DetectionSettings:
        """Return these settings with ``overrides`` applied (see the module docstring).

        :raises ConfigError: on an unknown key, an unknown PI type, a score outside
            ``[0, 1]``, a negative window or a word list that is not one.
        """
        if not overrides:
            return self
        return self._parse(overrides, base=self)

    @classmethod
    def _parse(cls, data: Mapping[str, Any], base: DetectionSettings | None) -> DetectionSettings:
        if not isinstance(data, Mapping):
            raise ConfigError("detection settings must be a JSON object")
        unknown = {k for k in data if not k.startswith("_")} - _KEYS
        if unknown:
            raise ConfigError(f"detection settings: unknown keys {', '.join(sorted(unknown))}")
        default = base.default_threshold if base else 0.5
        if "default_threshold" in data:
            default = _score(data["default_threshold"], "default_threshold")
        window = base.window if base else 12
        if "window" in data:
            window = data["window"]
            if isinstance(window, bool) or not isinstance(window, int) or window < 0:
                raise ConfigError("detection settings: window must be a whole number ≥ 0")
        thresholds = dict(base.thresholds) if base else {}
        for type_, value in _typed(data.get("thresholds", {}), "thresholds").items():
            thresholds[type_] = _score(value, f"thresholds.{type_}")
        cues = {t: list(w) for t, w in (base.cues if base else {}).items()}
        for type_, words in _typed(data.get("cues", {}), "cues").items():
            # The shipped file states every list; an override adds to them.
            listed = cues.setdefault(type_, [])
            listed.extend(w for w in _words(words, f"cues.{type_}") if w not in listed)
        negative = list(base.negative_cues) if base else []
        negative.extend(
            w for w in _words(data.get("negative_cues", []), "negative_cues") if w not in negative
        )
        removed = set(_words(data.get("remove_cues", []), "remove_cues"))
        return cls(
            default_threshold=default,
            window=window,
            thresholds=thresholds,
            cues={t: tuple(w for w in ws if w not in removed) for t, ws in cues.items()},
            negative_cues=tuple(w for w in negative if w not in removed),
        )

    def cue_book(self) -> CueBook:
        """The compiled context words."""
        return CueBook(dict(self.cues), self.negative_cues)

    def detector(self, *, bulk: bool = False) -> Detector:
        """A detector that applies these settings."""
        if self == _shipped():
            from piguard.detect import default_detector

            if not bulk:
                return default_detector()
        return Detector(
            threshold=self.default_threshold,
            thresholds=self.thresholds,
            window=self.window,
            cues=self.cue_book(),
            bulk=bulk,
        )

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data (the shape ``piguard scan --settings`` reads)."""
        return {
            "default_threshold": self.default_threshold,
            "window": self.window,
            "thresholds": dict(self.thresholds),
            "cues": {t: list(w) for t, w in self.cues.items()},
            "negative_cues": list(self.negative_cues),
        }

    def with_threshold(self, type_: str, value: float) -> DetectionSettings:
        """These settings with ``type_``'s threshold set to ``value``."""
        return replace(self, thresholds={**self.thresholds, type_: _score(value, f"thresholds.{type_}")})


def _typed(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"detection settings: {where} must be an object keyed by PI type")
    unknown = set(value) - ALL_TYPES
    if unknown:
        raise ConfigError(f"detection settings: {where}: unknown PI types {', '.join(sorted(unknown))}")
    return dict(value)


_SHIPPED_CACHE: list[DetectionSettings] = []


def _shipped() -> DetectionSettings:
    if not _SHIPPED_CACHE:
        _SHIPPED_CACHE.append(DetectionSettings.shipped())
    return _SHIPPED_CACHE[0]
