"""The CLI contract of sharing (issue 15): ``partners``, ``agreements``, ``assessments``, ``share``,
``extract`` and ``transfers`` with ``--json`` print one JSON document; refusals exit non-zero."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.cli.test_cli import _STAFF, home, login_as, run
from tests.sharing.conftest import DOC, SECTIONS, USCC

__all__ = ["home"]


@pytest.mark.req("R-SHR-1", "R-SHR-4")
def test_partners_agreements_assessments_share_and_transfers_from_the_cli(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-SHR-1/R-SHR-4: the whole path on the command line; customers without separate consent
    are left out and counted; the log lists the transfer."""
    monkeypatch.delenv("PIGUARD_TOKEN", raising=False)
    code, demo, err = run("demo", "--customers", "6", "--json")
    assert code == 0 and isinstance(demo, dict), err
    _STAFF[home] = demo["staff"]  # the demo's staff, as login_as would have made them
    login_as(home, "officer", monkeypatch)
    today = date.today()
    code, partner, err = run(
        "partners",
        "add",
        "--name",
        "顺达物流有限公司",
        "--uscc",
        USCC,
        "--contact",
        "dpo@shunda.example",
        "--country",
        "CN",
        "--role",
        "recipient",
        "--security",
        "ISO/IEC 27001",
        "--assessed",
        (today - timedelta(days=10)).isoformat(),
        "--expires",
        (today + timedelta(days=300)).isoformat(),
        "--assessor",
        "CNAS",
        "--json",
    )
    assert code == 0, err
    assert isinstance(partner, dict) and partner["uscc"] == USCC
    code, bad, _ = run(
        "partners",
        "add",
        "--name",
        "x",
        "--uscc",
        USCC[:-1] + "A",
        "--contact",
        "x",
        "--country",
        "CN",
        "--role",
        "recipient",
        "--security",
        "x",
        "--assessed",
        today.isoformat(),
        "--expires",
        today.isoformat(),
        "--assessor",
        "x",
        "--json",
    )
    assert code != 0 and isinstance(bad, dict) and "checksum" in json.dumps(bad)
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps({"mobile": "pseudonymise", "address": {"rule": "generalise", "params": {"to": "city"}}})
    )
    code, agreement, err = run(
        "agreements",
        "add",
        "--partner",
        partner["id"],
        "--type",
        "provision",
        "--purpose",
        "partner_provision",
        "--fields",
        str(rules),
        "--method",
        "SFTP",
        "--safeguards",
        "encrypted",
        "--starts",
        (today - timedelta(days=1)).isoformat(),
        "--ends",
        (today + timedelta(days=200)).isoformat(),
        "--document-sha256",
        DOC,
        "--json",
    )
    assert code == 0, err
    assert isinstance(agreement, dict)
    sections = tmp_path / "pia.json"
    sections.write_text(json.dumps(SECTIONS, ensure_ascii=False))
    code, pia, err = run(
        "assessments",
        "add",
        "--sections",
        str(sections),
        "--conclusion",
        "acceptable",
        "--reviewer",
        "DPO",
        "--assessed",
        today.isoformat(),
        "--valid-until",
        (today + timedelta(days=365)).isoformat(),
        "--agreement",
        agreement["id"],
        "--json",
    )
    assert code == 0, err
    assert isinstance(pia, dict) and pia["version"] == 1
    code, shown, _ = run("agreements", "show", agreement["id"], "--json")
    assert code == 0 and isinstance(shown, dict) and shown["fields"]["mobile"]["rule"] == "pseudonymise"

    login_as(home, "sharing_officer", monkeypatch)
    out = tmp_path / "share.csv"
    code, result, err = run(
        "share",
        "--agreement",
        agreement["id"],
        "--all",
        "--fields",
        "mobile,address",
        "--out",
        str(out),
        "--json",
    )
    assert code == 0, err
    assert isinstance(result, dict)
    assert set(result) >= {"transfer_id", "persons", "left_out", "manifest"}
    # The demo's customers gave no separate consent to provision: every one is left out, counted.
    assert result["persons"] == 0 and result["left_out"] == {"no_consent": 6}
    assert out.read_text().splitlines() == ["ref,mobile,address"]
    code, refused, _ = run(
        "share",
        "--agreement",
        agreement["id"],
        "--all",
        "--fields",
        "mobile,email",
        "--out",
        str(out),
        "--json",
    )
    assert code != 0 and isinstance(refused, dict) and "does not name the fields email" in json.dumps(refused)

    login_as(home, "auditor", monkeypatch)
    code, log, err = run("transfers", "list", "--partner", partner["id"], "--json")
    assert code == 0, err
    assert isinstance(log, dict) and [t["id"] for t in log["transfers"]] == [result["transfer_id"]]


@pytest.mark.req("R-STO-4")
def test_extract_refuses_an_unreachable_target_with_a_non_zero_exit(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-STO-4: an extract that cannot reach k is refused with a clear reason and no file."""
    login_as(home, "sharing_officer", monkeypatch)
    out = tmp_path / "extract.csv"
    code, refused, _ = run(
        "extract",
        "--fields",
        "gender,birth_date",
        "--quasi",
        "gender,birth_date",
        "--k",
        "50",
        "--out",
        str(out),
        "--json",
    )
    assert code != 0 and isinstance(refused, dict)
    assert "cannot be reached" in json.dumps(refused) or "no rows" in json.dumps(refused)
    assert not out.exists()
