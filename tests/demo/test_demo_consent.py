"""``make demo`` publishes a privacy notice and records demo consents (issue 11, item 19), so the
consent ledger and the marketing role have something to show."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from piguard.cli.main import app
from piguard.consent.capability import Consent
from piguard.installation import Installation

runner = CliRunner()


@pytest.fixture
def demo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, object]]:
    home = tmp_path / "home"
    monkeypatch.setenv("PIGUARD_HOME", str(home))
    for name in ("PIGUARD_DATABASE_URL", "PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE", "PIGUARD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["init", "--json", "--expected-customers", "1000"]).exit_code == 0
    result = runner.invoke(app, ["demo", "--customers", "30", "--json"])
    assert result.exit_code == 0, result.output
    return home, json.loads(result.stdout)


def test_demo_publishes_a_notice_and_records_consents_some_withdrawn(
    demo_home: tuple[Path, dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, summary = demo_home
    assert summary["notice_version"] == 1
    tally = summary["consents"]
    assert isinstance(tally, dict) and tally["granted"] > 10 and tally["withdrawn"] >= 1
    notices = json.loads(runner.invoke(app, ["notices", "list", "--json"]).stdout)["notices"]
    assert [n["version"] for n in notices] == [1]

    with Installation(home) as inst:
        ledger = inst.capability(Consent).ledger
        with inst.db.read() as conn:
            ids = [
                r[0] for r in conn.execute(text("select record_id from records where record_type='customer'"))
            ]
        marketing = [cid for cid in ids if ledger.state(cid).has("general", "marketing")]
    assert 0 < len(marketing) < len(ids)  # some consented, some did not

    # The marketing role now finds and reads consented customers for marketing.
    staff = {p["role"]: p for p in summary["staff"]}  # type: ignore[attr-defined]
    person = staff["marketing"]
    monkeypatch.setenv("PIGUARD_PASSWORD", person["password"])
    login = runner.invoke(
        app, ["login", person["name"], "--totp", pyotp.TOTP(person["totp_secret"]).now(), "--json"]
    )
    assert login.exit_code == 0, login.output
    monkeypatch.setenv("PIGUARD_TOKEN", json.loads(login.stdout)["token"])
    read = runner.invoke(
        app, ["get", marketing[0], "--purpose", "marketing", "--fields", "marketing_tags,mobile", "--json"]
    )
    assert read.exit_code == 0, read.output
    assert json.loads(read.stdout)["levels"].get("marketing_tags") == "clear"
    unconsented = next(cid for cid in ids if cid not in marketing)
    refused = runner.invoke(
        app, ["get", unconsented, "--purpose", "marketing", "--fields", "marketing_tags", "--json"]
    )
    assert refused.exit_code != 0 and json.loads(refused.stdout)["error"] == "consent"
