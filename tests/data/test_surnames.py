"""One surname list: masking's compound-surname rule and detection's surnames are the same data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from piguard.data import surnames
from piguard.detect import Detector
from piguard.detect.recognizers.person import PersonRecognizer
from piguard.masking.name import Name

SRC = Path(__file__).resolve().parents[2] / "src" / "piguard"


def test_the_lists_are_clean() -> None:
    for name in surnames.SINGLE_SURNAMES:
        assert len(name) == 1
    for name in surnames.COMPOUND_SURNAMES:
        assert len(name) == 2
    assert len(set(surnames.COMPOUND_SURNAMES)) == len(surnames.COMPOUND_SURNAMES)
    assert {"欧阳", "司马", "太史", "東方", "獨孤"} <= set(surnames.COMPOUND_SURNAMES)
    assert all(p.isascii() and p.isalpha() for p in surnames.PINYIN_SURNAMES)


def test_detection_reads_the_shared_lists() -> None:
    person = PersonRecognizer()
    assert person._compound == frozenset(surnames.COMPOUND_SURNAMES)
    assert set(person._surname_firsts) == set(surnames.SINGLE_SURNAMES) | {
        c[0] for c in surnames.COMPOUND_SURNAMES
    }
    assert person._pinyin_surnames == {p.lower() for p in surnames.PINYIN_SURNAMES}


@pytest.mark.parametrize("compound", surnames.COMPOUND_SURNAMES)
def test_masking_keeps_every_compound_surname(compound: str) -> None:
    assert Name().operate(compound + "明", {}) == compound + "*"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # 太史 was known to detection only: the mask used to show 太**.
        ("客户太史明来电反映问题", "客户太史*来电反映问题"),
        # 東方 (traditional) was known to masking only: the name used to go unmasked.
        ("联系人：東方明先生", "联系人：東方*先生"),
        ("客户欧阳娜娜来电", "客户欧阳**来电"),
    ],
)
def test_detected_names_keep_the_surname_masking_keeps(text: str, masked: str) -> None:
    assert Detector().mask_text(text).text == masked


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_shared_data_depends_on_nothing_and_masking_not_on_detect() -> None:
    for path in sorted((SRC / "data").rglob("*.py")):
        assert not {n for n in _imports(path) if n.startswith("piguard")}, path
    for path in sorted((SRC / "masking").rglob("*.py")):
        assert not {n for n in _imports(path) if n.startswith("piguard.detect")}, path
