"""Bulk mode: the same findings as the default path on line-based text, fewer lines scanned."""

from __future__ import annotations

import pytest
from tests.detect.test_recognizers import NEGATIVES, POSITIVES

from piguard.detect import Detector, detect
from piguard.detect.corpus import generate, generate_log
from piguard.detect.prefilter import coarse_lines
from piguard.errors import ValidationError

DETECTOR = Detector()


def _per_line(text: str) -> list[tuple[int, int, str]]:
    # The default path run on each line on its own, in text offsets.
    out = []
    start = 0
    for line in text.split("\n"):
        out += [(f.start + start, f.end + start, f.type) for f in DETECTOR.detect(line)]
        start += len(line) + 1
    return out


def _bulk(text: str) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, f.type) for f in DETECTOR.detect(text, mode="bulk")]


def test_same_as_default_on_the_corpus() -> None:
    docs = generate(1500, seed=77)
    for doc in docs:  # One line each: the single-line path.
        assert DETECTOR.detect(doc.text, mode="bulk") == DETECTOR.detect(doc.text)
    text = "\n".join(d.text for d in docs)  # Many lines: the byte-level stage too.
    assert _bulk(text) == _per_line(text)


def test_dense_text_skips_the_prefilter_and_finds_the_same() -> None:
    """Issue 19: notes with PI on most lines go straight to the full path; a log keeps its prefilter."""
    notes = [d.text.replace("\n", " ") for d in generate(400, seed=78)]
    text = "\n".join(notes[:200] + ["", "今天天气不错。"] * 20 + notes[200:])
    ctx = DETECTOR._context(None)
    sample = DETECTOR._dense_sample(text.split("\n"), ctx)
    assert sample is not None and len(sample) == 32 and sum(map(bool, sample.values())) >= 24
    assert _bulk(text) == _per_line(text)
    log = generate_log(4000, seed=6, pi_share=0.05).split("\n")
    assert DETECTOR._dense_sample(log, ctx) is None


def test_a_note_file_never_compiles_the_prefilter() -> None:
    """Issue 19: dense text decides on its sampled lines' findings; the trigger regexes (~65 ms to
    compile, before a large scan's workers fork) are built only for text that needs the prefilter."""
    notes = "\n".join(d.text.replace("\n", " ") for d in generate(300, seed=79))
    fresh = Detector()
    assert [(f.start, f.end, f.type) for f in fresh.detect(notes, mode="bulk")] == _per_line(notes)
    assert fresh._triggers == {}
    log = generate_log(500, seed=7, pi_share=0.05)
    assert [(f.start, f.end, f.type) for f in fresh.detect(log, mode="bulk")] == _per_line(log)
    assert fresh._triggers


def test_same_as_default_on_a_log() -> None:
    log = generate_log(4000, seed=5, pi_share=0.05)
    found = _bulk(log)
    assert found == _per_line(log)
    assert len(found) > 100


def test_every_recognizer_example_survives_the_prefilter() -> None:
    # Each example on its own line between clean log lines, ASCII and not.
    clean = "2026-11-22 10:00:00,123 INFO [main] c.e.App - started in 1234 ms version=1.2.3"
    lines = []
    for text, _ in POSITIVES:
        lines += [clean, text, clean + " 备注"]
    lines += NEGATIVES
    lines += ["手机1３8-0013-8000", "电话138－0013－8000", "座机(010)－12345678"]  # Mixed full-width.
    text = "\n".join(lines)
    assert _bulk(text) == _per_line(text)


def test_coarse_stage_is_a_superset_of_the_triggers() -> None:
    triggers = DETECTOR._trigger(DETECTOR.supported_types)
    assert triggers is not None
    full, _ = triggers
    lines = generate_log(3000, seed=9, pi_share=0.1).split("\n") + [t for t, _ in POSITIVES]
    ascii_led, non_ascii = coarse_lines([line.encode() for line in lines], [b"born", b"birth", b"dob"])
    for index, line in enumerate(lines):
        if full.search(line) and line.isascii():
            assert index in ascii_led, line
        if not line.isascii():
            assert index in ascii_led | non_ascii, line


def test_clean_lines_are_skipped() -> None:
    log = generate_log(2000, seed=3, pi_share=0.0)
    full, _ = DETECTOR._trigger(DETECTOR.supported_types) or (None, None)
    assert full is not None
    triggered = sum(1 for line in log.split("\n") if full.search(line))
    assert triggered < 200  # Timestamps, durations and 20-digit order numbers do not trigger.


def test_mode_is_checked_and_can_be_the_detectors_default() -> None:
    with pytest.raises(ValidationError):
        detect("手机13812345678", mode="fast")
    bulk = Detector(bulk=True)
    assert bulk.mode == "bulk"
    text = "无关\n手机13812345678"
    assert bulk.detect(text) == DETECTOR.detect(text, mode="bulk")
    assert [f.type for f in bulk.detect(text)] == ["mobile"]
