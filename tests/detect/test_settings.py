"""Detection settings: per-type thresholds and context words are data an officer tunes (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from piguard.config import Settings
from piguard.detect import default_detector
from piguard.detect.settings import DetectionSettings
from piguard.errors import ConfigError

CARD = "4111111111111111"


def test_shipped_settings_are_the_default_detectors() -> None:
    shipped = DetectionSettings.shipped()
    assert shipped.detector() is default_detector()
    assert shipped.thresholds["bank_card"] == 0.5
    assert "卡号" in shipped.cues["bank_card"]
    assert "订单号" in shipped.negative_cues


def test_a_type_threshold_drops_that_type_only() -> None:
    text = f"客户张伟来电，号码{CARD}"
    strict = DetectionSettings.shipped().merged({"thresholds": {"bank_card": 0.99}}).detector()
    assert [f.type for f in strict.detect(text)] == ["person"]
    assert [f.type for f in default_detector().detect(text)] == ["person", "bank_card"]


def test_added_cue_word_announces_and_removed_one_no_longer_does() -> None:
    text = "会员编码 6212345678901234569"  # Luhn-valid UnionPay, unknown word before it
    base = DetectionSettings.shipped()
    with_cue = base.merged({"cues": {"bank_card": ["会员编码"]}}).detector()
    (finding,) = with_cue.detect(text)
    assert "cue=会员编码" in finding.reason
    negative = base.merged({"negative_cues": ["会员编码"]}).detector()
    assert negative.detect(text) == []
    removed = base.merged({"remove_cues": ["卡号"]}).detector()
    assert removed.detect(f"卡号{CARD}")[0].reason.endswith("cue=卡")  # the shorter word still counts


@pytest.mark.parametrize(
    "bad",
    [
        {"thresholds": {"bank_card": 1.5}},
        {"thresholds": {"credit_score": 0.5}},
        {"cues": {"mobile": "手机"}},
        {"window": -1},
        {"colour": "blue"},
    ],
)
def test_invalid_overrides_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        DetectionSettings.shipped().merged(bad)


def test_settings_file_and_installation_settings(tmp_path: Path) -> None:
    file = tmp_path / "detection.json"
    file.write_text(json.dumps({"thresholds": {"person": 0.9}}), encoding="utf-8")
    assert DetectionSettings.load(file).thresholds["person"] == 0.9
    home = tmp_path / "home"
    home.mkdir()
    Settings(home=home, detection={"thresholds": {"mobile": 0.9}}).save()
    loaded = Settings.load(home)
    assert DetectionSettings.shipped().merged(loaded.detection).thresholds["mobile"] == 0.9
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError):
        DetectionSettings.load(tmp_path / "broken.json")
