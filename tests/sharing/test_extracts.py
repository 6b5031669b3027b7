"""Anonymised extracts (PIPL 4, 73; R-STO-4): k-anonymity and l-diversity reached by
generalisation and suppression, measured by pycanon, recomputed here independently."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import date

import pytest

from piguard.errors import ValidationError
from piguard.gate import RequestContext
from tests.access.conftest import World
from tests.sharing.conftest import adult, consented, sharing

LEVELS = ("standard", "silver", "gold", "platinum")


def _analyst(world: World) -> RequestContext:
    return RequestContext(world.step_up(world.staff_of("sharing_officer")), "analytics", client="test")


def _population(world: World, n: int) -> list[str]:
    ids = []
    for i in range(n):
        born = date(1960 + (i * 7) % 40, 1 + i % 12, 1 + i % 27)
        values = adult(i, birth_date=born.isoformat(), gender="MF"[i % 2], membership_level=LEVELS[i % 4])
        ids.append(consented(world, "analytics", values, ("general",)))
    return ids


@pytest.mark.req("R-STO-4")
def test_an_extract_reaches_k_and_l_and_the_test_recomputes_them(world: World) -> None:
    """R-STO-4: the recorded k and l equal those recomputed here; both meet the target; no direct
    identifier is present."""
    ids = _population(world, 40)
    result = sharing(world).extract(
        _analyst(world),
        fields=["gender", "birth_date", "membership_level"],
        quasi=["gender", "birth_date"],
        sensitive="membership_level",
        k=5,
        l=2,
        customers=ids,
    )
    rows = list(csv.DictReader(io.StringIO(result.content.decode())))
    assert len(rows) == result.rows == 40 - result.suppressed
    classes = Counter((r["gender"], r["birth_date"]) for r in rows)
    diversity: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        diversity[(r["gender"], r["birth_date"])].add(r["membership_level"])
    k, ell = min(classes.values()), min(len(v) for v in diversity.values())
    assert (k, ell) == (result.k, result.l)
    assert k >= 5 and ell >= 2
    assert result.manifest["k"] == k and result.manifest["l"] == ell
    assert set(rows[0]) == {"gender", "birth_date", "membership_level"}
    text = result.content.decode()
    assert "1390000" not in text and "@example.com" not in text and "欧阳" not in text
    [entry] = world.inst.audit.query(action="extract", limit=10)
    assert entry.detail["k"] == k and entry.detail["l"] == ell


@pytest.mark.req("R-STO-4")
def test_an_unreachable_target_and_direct_identifiers_are_refused(world: World) -> None:
    """R-STO-4: k larger than the population cannot be reached (refused, nothing logged); a direct
    identifier is never in an extract."""
    ids = _population(world, 8)
    with pytest.raises(ValidationError, match="cannot be reached"):
        sharing(world).extract(
            _analyst(world),
            fields=["gender", "birth_date"],
            quasi=["gender", "birth_date"],
            k=20,
            customers=ids,
        )
    with pytest.raises(ValidationError, match="direct identifier"):
        sharing(world).extract(
            _analyst(world), fields=["mobile", "gender"], quasi=["gender"], k=2, customers=ids
        )
    assert world.inst.audit.query(action="extract", decision="allow", limit=10) == []
