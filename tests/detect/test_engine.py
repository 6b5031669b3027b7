"""The engine: masking with the project's operators, input never mutated, errors (R-USE-4)."""

from __future__ import annotations

import itertools

import pytest

from piguard.detect import Detector, Finding, detect, mask_text
from piguard.detect.recognizers import default_recognizers
from piguard.detect.registry import RecognizerRegistry
from piguard.errors import ConfigError, ValidationError

pytestmark = pytest.mark.req("R-USE-4")

NOTE = "客户张伟来电，手机13812345678，身份证11010519491231002X，卡号6222021234567890128"


def test_mask_text_lists_each_replacement_r_use_4() -> None:
    result = mask_text(NOTE)
    assert result.text == "客户张*来电，手机138****5678，身份证110***********002X，卡号622202*********0128"
    assert [(r.type, NOTE[r.start : r.end]) for r in result.replacements] == [
        ("person", "张伟"),
        ("mobile", "13812345678"),
        ("resident_id", "11010519491231002X"),
        ("bank_card", "6222021234567890128"),
    ]
    assert result.as_dict()["replacements"][1] == {
        "type": "mobile",
        "start": 9,
        "end": 20,
        "replacement": "138****5678",
    }


def test_customer_audience_sees_last_four_of_a_card_r_use_4() -> None:
    assert "**** 0128" in mask_text("卡号6222021234567890128", audience="customer").text


def test_unknown_audience_is_refused() -> None:
    with pytest.raises(ValidationError):
        mask_text(NOTE, audience="everyone")


def test_masked_text_has_no_raw_values() -> None:
    masked = mask_text(NOTE).text
    for value in ("13812345678", "11010519491231002X", "6222021234567890128", "张伟"):
        assert value not in masked


def test_input_is_not_mutated_and_findings_hold_no_values() -> None:
    text = str(NOTE)
    findings = detect(text)
    assert text == NOTE
    assert all("138" not in repr(f) for f in findings)


def test_types_filter() -> None:
    assert {f.type for f in detect(NOTE, types={"mobile"})} == {"mobile"}
    with pytest.raises(ValidationError):
        detect(NOTE, types={"shoe_size"})


def test_findings_do_not_overlap() -> None:
    findings = detect("北京市张伟路88号，手机13812345678")
    for a, b in itertools.pairwise(findings):
        assert a.end <= b.start


def test_registry_rejects_duplicates_and_unknown_removal() -> None:
    registry = RecognizerRegistry(default_recognizers())
    with pytest.raises(ConfigError):
        registry.add(default_recognizers()[0])
    with pytest.raises(ConfigError):
        registry.remove("nope")
    registry.remove("person")
    assert "person" not in Detector(registry).supported_types


def test_threshold_is_checked() -> None:
    with pytest.raises(ValidationError):
        Detector(threshold=1.5)
    low = Detector(threshold=0.0)
    # Below the default threshold: a street number with no place name or cue.
    assert [f.type for f in low.detect("建国路88号")] == ["address"]
    assert detect("建国路88号") == []


def test_finding_as_dict() -> None:
    assert Finding(1, 3, "person", 0.854, "person: pattern=speaker label").as_dict() == {
        "type": "person",
        "start": 1,
        "end": 3,
        "score": 0.854,
        "reason": "person: pattern=speaker label",
    }


def test_empty_and_plain_text() -> None:
    assert detect("") == []
    assert mask_text("没有个人信息").text == "没有个人信息"
