"""R-USE-4: recall on formats the detector's own corpus never used (issue 19).

The corpus of :mod:`tests.detect.heldout` is written apart from
``piguard.detect.corpus``: other templates (chat logs, call transcripts,
payouts, contact sheets) and other value formats. The goals are the issue's:
recall ≥ 0.99 for IDs, phones, cards, e-mails and IPs, ≥ 0.9 for names and
addresses, precision ≥ 0.99 for the numeric types. Bulk mode (discovery) must
report the same findings on the same text split in lines.
"""

from __future__ import annotations

import pytest
from tests.detect import heldout

from piguard.detect import Detector
from piguard.detect.corpus import generate
from piguard.detect.evaluation import Score, evaluate

pytestmark = pytest.mark.req("R-USE-4")

GOALS = [
    ("resident_id", 0.99, 0.99),
    ("mobile", 0.99, 0.99),
    ("landline", 0.99, 0.99),
    ("phone", 0.99, 0.99),
    ("bank_card", 0.99, 0.99),
    ("email", 0.99, 0.99),
    ("ip", 0.99, 0.99),
    ("passport", 0.99, 0.99),
    ("person", 0.9, 0.9),
    ("address", 0.9, 0.9),
]

DETECTOR = Detector()


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    docs = heldout.generate(2500, seed=20261203)
    return evaluate(lambda text: [(f.start, f.end, f.type) for f in DETECTOR.detect(text)], docs)


@pytest.mark.parametrize(("type_", "precision", "recall"), GOALS)
def test_heldout_goal(scores: dict[str, Score], type_: str, precision: float, recall: float) -> None:
    score = scores[type_]
    assert score.true_positives > 50, "the held-out corpus must exercise the type"
    assert score.precision >= precision, (type_, score)
    assert score.recall >= recall, (type_, score)


def test_heldout_templates_are_not_the_detectors() -> None:
    from piguard.detect import corpus

    own = set(corpus.CHINESE_TEMPLATES) | set(corpus.ENGLISH_TEMPLATES)
    assert not own & set(heldout.TEMPLATES)


def test_heldout_has_near_misses_and_no_span_on_them() -> None:
    docs = heldout.generate(400, seed=4)
    negatives = [d for d in docs if not d.spans]
    assert len(negatives) > 20
    for doc in negatives:
        assert DETECTOR.detect(doc.text) == [], doc.text


def test_bulk_mode_finds_the_same_on_heldout_lines() -> None:
    docs = heldout.generate(600, seed=8)
    text = "\n".join(d.text for d in docs)
    per_line = []
    start = 0
    for line in text.split("\n"):
        per_line += [(f.start + start, f.end + start, f.type) for f in DETECTOR.detect(line)]
        start += len(line) + 1
    assert [(f.start, f.end, f.type) for f in DETECTOR.detect(text, mode="bulk")] == per_line


def test_widened_own_corpus_has_the_new_formats() -> None:
    text = "".join(d.text for d in generate(600, seed=11))
    for piece in ("0086-", "(+86)", "退回账户", "收款卡", "我叫", "紧急联络", "１"):
        assert piece in text, piece
