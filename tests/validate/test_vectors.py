"""The published vectors of requirements §3.1–3.4 (R-VAL-1), read from tests/vectors/validate.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from piguard.errors import ValidationError
from piguard.validate import bank_card, normalize

pytestmark = pytest.mark.req("R-VAL-1")

_VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "validate.json").read_text(encoding="utf-8")
)
_CASES = [
    pytest.param(kind, case, id=f"{kind}-{case['input']}")
    for kind, cases in _VECTORS.items()
    if not kind.startswith("_")
    for case in cases
]


def check(kind: str, case: dict[str, Any]) -> None:
    """Normalize ``case["input"]`` as ``kind`` and compare with the expected form or reason."""
    if "normalized" in case:
        assert normalize(kind, case["input"]) == case["normalized"]
    else:
        with pytest.raises(ValidationError) as caught:
            normalize(kind, case["input"])
        assert caught.value.reason == case["reason"]


@pytest.mark.parametrize(("kind", "case"), _CASES)
def test_r_val_1_published_vector(kind: str, case: dict[str, Any]) -> None:
    """R-VAL-1: every vector of requirements §3 gives the expected result."""
    check(kind, case)


@pytest.mark.parametrize("case", _VECTORS["bank_card"], ids=lambda case: str(case["input"]))
def test_r_val_1_luhn_vector(case: dict[str, Any]) -> None:
    """R-VAL-1: the Luhn verdict of every §3.2 vector, length rules aside."""
    assert bank_card.luhn_ok(case["input"]) is case["luhn"]


def test_vector_file_covers_every_section() -> None:
    assert {"resident_id", "bank_card", "uscc", "mobile"} <= _VECTORS.keys()
    assert "requirements.md" in _VECTORS["_source"]
