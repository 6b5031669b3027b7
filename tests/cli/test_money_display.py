"""Amounts are displayed as people read them, ``¥1,234.50`` (issue 11, item 20); ``--json`` keeps
the stored decimal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from piguard.cli import output
from piguard.cli.main import app

runner = CliRunner()


def test_cli_get_shows_amounts_with_yen_sign_and_grouping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("PIGUARD_HOME", str(home))
    for name in ("PIGUARD_DATABASE_URL", "PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE", "PIGUARD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["init", "--json", "--expected-customers", "1000"]).exit_code == 0
    demo = runner.invoke(app, ["demo", "--customers", "8", "--json"])
    assert demo.exit_code == 0, demo.output
    summary = json.loads(demo.stdout)
    order = summary["examples"]["order"]["record_id"]
    finance = next(p for p in summary["staff"] if p["role"] == "finance")
    monkeypatch.setenv("PIGUARD_PASSWORD", finance["password"])
    login = runner.invoke(
        app, ["login", finance["name"], "--totp", pyotp.TOTP(finance["totp_secret"]).now(), "--json"]
    )
    assert login.exit_code == 0, login.output
    monkeypatch.setenv("PIGUARD_TOKEN", json.loads(login.stdout)["token"])

    stored = json.loads(
        runner.invoke(app, ["get", order, "--type", "order", "--purpose", "service", "--json"]).stdout
    )
    assert stored["levels"]["amount"] == "clear"
    assert re.fullmatch(r"\d+\.\d{2}", stored["fields"]["amount"])  # the stored decimal
    monkeypatch.setattr(output.stdout, "width", 120)
    shown = runner.invoke(app, ["get", order, "--type", "order", "--purpose", "service"])
    assert shown.exit_code == 0, shown.output
    amount = stored["fields"]["amount"]
    whole, cents = amount.split(".")
    assert f"¥{int(whole):,}.{cents}" in shown.stdout
    assert re.search(r"DD\d{16}|\b20\d{14}\b", shown.stdout)  # the order number, whole
