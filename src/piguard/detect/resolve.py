"""Overlap resolution across types: at most one finding per character."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from piguard.detect.finding import Finding

__all__ = ["resolve"]


def resolve(
    findings: Iterable[Finding], threshold: float, thresholds: Mapping[str, float] | None = None
) -> list[Finding]:
    """Drop findings under their type's threshold and keep, among overlapping ones, the longest.

    ``thresholds`` maps a type to its own lowest score; types it does not name
    use ``threshold``.

    Length decides first because the longer span is the more specific reading
    (an address that contains a surname-like street name, a card run that
    contains a phone-shaped group); the score breaks ties. Arbitration
    between types that read the *same* characters (ID versus card) is done by
    the digit-run recognizer with both checksums and the cue, before this.

    :returns: non-overlapping findings sorted by start.
    """
    if thresholds:
        kept = sorted(f for f in findings if f.score >= thresholds.get(f.type, threshold))
    else:
        kept = sorted(f for f in findings if f.score >= threshold)
    # Fast path: usually nothing overlaps, and sorting by start is all there is to do.
    for i in range(1, len(kept)):
        if kept[i].start < kept[i - 1].end:
            break
    else:
        return kept
    ranked = sorted(
        kept,
        key=lambda f: (f.start - f.end, -f.score, f.start),
    )
    kept = []
    for f in ranked:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    kept.sort()
    return kept
