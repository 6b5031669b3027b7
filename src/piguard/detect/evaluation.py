"""Exact-span precision and recall of a detector on a labelled corpus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from piguard.detect.corpus import Document

__all__ = ["Score", "evaluate"]

#: Types scored together under a summary name as well as on their own.
GROUPS = {"phone": frozenset({"mobile", "landline"})}


@dataclass(frozen=True, slots=True)
class Score:
    """Counts for one type; a prediction counts only if start, end and type all match."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was predicted."""
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 1.0 when there was nothing to find."""
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0


def evaluate(
    predict: Callable[[str], Iterable[tuple[int, int, str]]], docs: Iterable[Document]
) -> dict[str, Score]:
    """Score ``predict`` (text -> ``(start, end, type)`` triples) on ``docs``, per type.

    :returns: type -> :class:`Score`, plus the groups of :data:`GROUPS`.
    """
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for doc in docs:
        gold = {(s.start, s.end, s.type) for s in doc.spans}
        predicted = set(predict(doc.text))
        for _, _, type_ in gold & predicted:
            tp[type_] += 1
        for _, _, type_ in predicted - gold:
            fp[type_] += 1
        for _, _, type_ in gold - predicted:
            fn[type_] += 1
    types = set(tp) | set(fp) | set(fn)
    scores = {t: Score(tp[t], fp[t], fn[t]) for t in types}
    for group, members in GROUPS.items():
        if members & types:
            scores[group] = Score(
                sum(tp[t] for t in members), sum(fp[t] for t in members), sum(fn[t] for t in members)
            )
    return scores
