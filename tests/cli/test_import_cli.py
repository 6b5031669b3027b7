"""``piguard import`` with the files people make, ``--dry-run`` and ``--rejects``, and
``piguard import-template`` (issue 11 §15)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from piguard.cli.main import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("PIGUARD_HOME", str(h))
    for name in ("PIGUARD_DATABASE_URL", "PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE", "PIGUARD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(app, ["init", "--json", "--expected-customers", "10000"])
    assert result.exit_code == 0, result.output
    return h


def run(*args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, list(args))
    out = result.stdout.strip()
    return result.exit_code, (json.loads(out) if out else {})


def test_import_template_writes_the_labels_for_excel(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "customer-zh.csv"
    code, data = run("import-template", "--type", "customer", "--lang", "zh", "-o", str(out), "--json")
    assert code == 0 and data["file"] == str(out)
    assert out.read_bytes().startswith("\ufeff姓名,性别".encode())
    result = runner.invoke(app, ["import-template", "--type", "bank_account", "--lang", "en"])
    assert result.exit_code == 0 and result.stdout.startswith("Customer ID,Account number")


def test_cli_dry_run_writes_nothing_and_rejects_file_is_where_asked(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "客户.csv"
    source.write_bytes("姓名,手机号码,\r\n张三,13800138000,\r\n王<五,13800138002,\r\n".encode("gb18030"))
    code, dry = run("import", str(source), "--dry-run", "--json")
    assert code == 0 and dry["dry_run"] is True and dry["accepted"] == 1 and dry["ids"] == []
    code, status = run("keys", "status", "--json")
    keys = status["data_keys_by_kek_version"]
    assert code == 0 and isinstance(keys, dict) and not any(keys.values())
    rejects = tmp_path / "rejected.csv"
    code, real = run("import", str(source), "--rejects", str(rejects), "--json")
    assert code == 0 and real["accepted"] == 1 and real["rejects_file"] == str(rejects)
    rows = list(csv.reader(rejects.read_text(encoding="utf-8-sig").splitlines()))
    assert rows == [
        ["Row", "Problem", "姓名", "手机号码"],
        ["2", "name: contains '<' at position 2, not allowed in a name", "王<五", "13800138002"],
    ]
    code, _ = run("keys", "status", "--json")
    leaks = [p for p in home.rglob("*") if p.is_file() and "王<五".encode() in p.read_bytes()]
    assert code == 0 and leaks == []


def test_cli_resume_skips_the_rows_already_stored(home: Path, tmp_path: Path) -> None:
    """Issue 20: ``--resume`` after an import of the same file stores nothing twice; a changed file
    is another import (its own checkpoint); ``keys rotate --resume`` adds no KEK version."""
    source = tmp_path / "customers.csv"
    source.write_text("name,mobile\n张三,13800138000\n李四,13800138001\n", encoding="utf-8")
    code, first = run("import", str(source), "--json")
    assert code == 0 and first["accepted"] == 2 and first["resumed_after_row"] == 0
    code, again = run("import", str(source), "--resume", "--json")
    assert code == 0 and again["accepted"] == 0 and again["resumed_after_row"] == 2
    source.write_text("name,mobile\n张三,13800138000\n李四,13800138001\n王五,13800138002\n", encoding="utf-8")
    code, other = run("import", str(source), "--resume", "--json")
    assert code == 0 and other["accepted"] == 3 and other["resumed_after_row"] == 0
    code, rotated = run("keys", "rotate", "--json")
    assert code == 0 and rotated == {"kek_version": 2, "rewrapped": 5}
    code, resumed = run("keys", "rotate", "--resume", "--json")
    assert code == 0 and resumed == {"kek_version": 2, "rewrapped": 0}
