"""``piguard scan`` and ``piguard mask`` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from piguard.cli.scan import register


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_scan_json_prints_one_document(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("客户张伟来电，手机13812345678\n", encoding="utf-8")
    result = CliRunner().invoke(_app(), ["scan", str(file), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["findings"][1] == {
        "path": str(file),
        "line": 1,
        "start": 9,
        "end": 20,
        "type": "mobile",
        "score": 1.0,
        "reason": "mobile: pattern=digits 11; range=mainland mobile; cue=手机",
    }
    assert {s["type"] for s in document["summary"]} == {"person", "mobile"}
    assert "13812345678" not in json.dumps(document["summary"], ensure_ascii=False)


def test_scan_table(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("手机13812345678\n", encoding="utf-8")
    result = CliRunner().invoke(_app(), ["scan", str(file)])
    assert result.exit_code == 0
    assert "138****5678" in result.stdout
    assert "13812345678" not in result.stdout


def test_scan_errors_are_one_line() -> None:
    result = CliRunner().invoke(_app(), ["scan", "/nonexistent/x"])
    assert result.exit_code != 0
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error:")
    assert CliRunner().invoke(_app(), ["scan"]).exit_code != 0


def test_mask_stdin_to_stdout() -> None:
    result = CliRunner().invoke(_app(), ["mask"], input="手机13812345678\n")
    assert result.exit_code == 0
    assert result.stdout == "手机138****5678\n"


def test_mask_json() -> None:
    result = CliRunner().invoke(_app(), ["mask", "--json"], input="手机13812345678")
    assert json.loads(result.stdout) == {
        "text": "手机138****5678",
        "replacements": [{"type": "mobile", "start": 2, "end": 13, "replacement": "138****5678"}],
    }


def test_scan_thorough_flag(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("无\n客户张伟来电，手机13812345678\n", encoding="utf-8")
    outputs = []
    for extra in ([], ["--thorough"]):
        result = CliRunner().invoke(_app(), ["scan", str(file), "--json", *extra])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout)["findings"])
    assert outputs[0] == outputs[1]
    assert [f["line"] for f in outputs[0]] == [2, 2]


def test_scan_and_mask_read_detection_settings(tmp_path: Path) -> None:
    """Issue 19: per-type thresholds and context words come from a settings file, not code."""
    file = tmp_path / "notes.txt"
    file.write_text("客户张伟来电，手机13812345678\n", encoding="utf-8")
    settings = tmp_path / "detection.json"
    settings.write_text(json.dumps({"thresholds": {"person": 0.99}}), encoding="utf-8")
    result = CliRunner().invoke(_app(), ["scan", str(file), "--settings", str(settings), "--json"])
    assert result.exit_code == 0, result.output
    assert [f["type"] for f in json.loads(result.stdout)["findings"]] == ["mobile"]
    masked = CliRunner().invoke(_app(), ["mask", "--settings", str(settings)], input="客户张伟来电")
    assert masked.stdout == "客户张伟来电"
    settings.write_text(json.dumps({"thresholds": {"nobody": 0.5}}), encoding="utf-8")
    refused = CliRunner().invoke(_app(), ["scan", str(file), "--settings", str(settings), "--json"])
    assert refused.exit_code == 3 and "nobody" in refused.stdout
