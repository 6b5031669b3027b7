"""Anonymised extracts (PIPL 4, 73): generalise and suppress until k-anonymity (and ℓ-diversity).

The quasi-identifiers are generalised step by step along ladders (a date: age band of 5, 10, 20
years, then ``*``; an address: city, province, ``*``; a number: ranges of 10, 100, 1000 …; any
other value: kept, then ``*``); after each step rows whose equivalence class is still smaller than
``k`` (or has fewer than ``l`` distinct sensitive values) are suppressed when they are no more than
the allowed share; otherwise the next step is tried. The achieved k and ℓ are measured with
``pycanon`` on the released table, never assumed, and an extract that misses its target is refused.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from piguard.errors import ValidationError
from piguard.sharing.operators.generalise import age_band, amount_range, city_of

Row = dict[str, str]
Step = Callable[[str], str]


def _date_steps(today: date) -> list[Step]:
    def band(width: int) -> Step:
        def run(v: str) -> str:
            try:
                return age_band(date.fromisoformat(v[:10]), today, width)
            except ValueError:
                return "*"

        return run

    return [band(5), band(10), band(20), lambda v: "*"]


def _province(v: str) -> str:
    city = city_of(v)
    for end in ("省", "自治区", "特别行政区"):
        if end in city:
            return city[: city.index(end) + len(end)]
    return city


def _number_steps() -> list[Step]:
    def rng(width: int) -> Step:
        return lambda v: amount_range(v, width)

    return [rng(10), rng(100), rng(1000), rng(10000), lambda v: "*"]


def ladder(kind: str, today: date) -> list[Step]:
    """The generalisation steps for a field of catalog type ``kind`` (the first keeps the value)."""
    keep: Step = lambda v: v  # noqa: E731
    if kind in ("date", "datetime"):
        return [keep, *_date_steps(today)]
    if kind == "address":
        return [keep, city_of, _province, lambda v: "*"]
    if kind in ("amount", "integer", "decimal", "number"):
        return [keep, *_number_steps()]
    return [keep, lambda v: "*"]


@dataclass(frozen=True, slots=True)
class Extract:
    rows: list[Row]
    k: int
    l: int | None  # noqa: E741 - the name the literature uses
    suppressed: int
    levels: dict[str, int]


def measure(
    rows: Sequence[Mapping[str, str]], quasi: Sequence[str], sensitive: str | None
) -> tuple[int, int | None]:
    """k (and ℓ on ``sensitive``) of ``rows``, measured by pycanon."""
    # Loaded on first use: pandas would add a noticeable delay to every start of piguard.
    import pandas as pd
    from pycanon import anonymity

    frame = pd.DataFrame(
        list(rows), columns=list(dict.fromkeys([*quasi, *([sensitive] if sensitive else [])]))
    )
    with warnings.catch_warnings():
        # pycanon groups by a list of one column when there is one quasi-identifier: pandas warns
        # of a future change to the keys it returns, which the measure does not use.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        k = int(anonymity.k_anonymity(frame, list(quasi)))
        l_value = int(anonymity.l_diversity(frame, list(quasi), [sensitive])) if sensitive else None
    return k, l_value


def anonymise(
    rows: Sequence[Mapping[str, str]],
    quasi: Sequence[str],
    kinds: Mapping[str, str],
    *,
    k: int,
    l: int | None = None,  # noqa: E741
    sensitive: str | None = None,
    today: date,
    max_suppression: float = 0.1,
) -> Extract:
    """Generalise ``quasi`` and suppress rows until the target holds.

    :raises ValidationError: the target cannot be reached within ``max_suppression``.
    """
    if k < 2:
        raise ValidationError("k must be at least 2", "k")
    if l is not None and (sensitive is None or l < 2):
        raise ValidationError("l needs a sensitive attribute and must be at least 2", "l")
    if not rows:
        raise ValidationError("no rows to anonymise", "fields")
    ladders = {q: ladder(kinds.get(q, "text"), today) for q in quasi}
    levels = {q: 0 for q in quasi}
    while True:
        released = [{**row, **{q: ladders[q][levels[q]](row.get(q) or "") for q in quasi}} for row in rows]
        keep = _keep(released, quasi, k, l, sensitive)
        dropped = len(released) - len(keep)
        if keep and dropped <= max_suppression * len(released):
            achieved_k, achieved_l = measure(keep, quasi, sensitive)
            if achieved_k >= k and (l is None or (achieved_l or 0) >= l):
                return Extract(keep, achieved_k, achieved_l, dropped, dict(levels))
        # Generalise the quasi-identifier with the most distinct values one more step.
        open_ = [q for q in quasi if levels[q] + 1 < len(ladders[q])]
        if not open_:
            raise ValidationError(
                f"k={k}" + (f", l={l}" if l else "") + " cannot be reached: every quasi-identifier is"
                " fully generalised and more than the allowed share of rows would be suppressed",
                "k",
            )
        widest = max(open_, key=lambda q: len({r[q] for r in released}))
        levels[widest] += 1


def _keep(
    rows: Sequence[Row],
    quasi: Sequence[str],
    k: int,
    ell: int | None,
    sensitive: str | None,
) -> list[Row]:
    sizes: Counter[tuple[str, ...]] = Counter(tuple(r[q] for q in quasi) for r in rows)
    diverse: dict[tuple[str, ...], set[str]] = defaultdict(set)
    if ell is not None and sensitive is not None:
        for r in rows:
            diverse[tuple(r[q] for q in quasi)].add(r.get(sensitive) or "")
    out = []
    for r in rows:
        key = tuple(r[q] for q in quasi)
        if sizes[key] >= k and (ell is None or len(diverse[key]) >= ell):
            out.append(r)
    return out
