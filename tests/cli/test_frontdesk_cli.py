"""Issue 11 from the shell. Item 16: ``piguard reindex`` (bootstrap or administrator, idempotent)
and search matches with their masked summary. Item 5: ``piguard stays register|check-in|check-out``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.test_cli import home, login_as, run, write

from piguard.calendar import local_today
from piguard.clock import SystemClock

__all__ = ["home"]

RESIDENT_ID = "110105199003070180"


@pytest.mark.req("R-USE-1")
def test_reindex_and_search_summaries_from_the_cli_issue_11_16(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = {"name": "ＪＯＨＮ　ＳＭＩＴＨ", "mobile": "13800138000"}
    code, data, _ = run(
        "import", str(write(tmp_path, "one.jsonl", json.dumps(row).encode() + b"\n")), "--json"
    )
    assert code == 0 and isinstance(data, dict)
    cid = data["ids"][0]
    code, done, _ = run("reindex", "--json")
    assert code == 0 and isinstance(done, dict) and done["records"] >= 1 and done["reindexed"] == 0
    login_as(home, "customer_service", monkeypatch)
    code, found, _ = run("search", "name", "john smith", "--purpose", "service", "--json")
    assert code == 0 and isinstance(found, list) and [m["customer_id"] for m in found] == [cid]
    summary = found[0]["summary"]
    assert summary["mobile"] == "138****8000" and summary["name"] not in (None, row["name"])
    # Customer service may not rebuild the index.
    code, err, _ = run("reindex", "--json")
    assert code != 0 and isinstance(err, dict) and err["error"] == "forbidden"


@pytest.mark.req("R-USE-1")
def test_front_desk_checks_in_from_the_cli_issue_11_5(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = {"name": "欧阳娜娜", "mobile": "13800138000", "resident_id": RESIDENT_ID}
    code, data, _ = run(
        "import", str(write(tmp_path, "one.jsonl", json.dumps(row).encode() + b"\n")), "--json"
    )
    assert code == 0 and isinstance(data, dict)
    cid = data["ids"][0]
    login_as(home, "front_desk", monkeypatch)
    today = local_today(SystemClock()).isoformat()  # the stay's day is a Beijing date
    code, stay, _ = run(
        "stays", "register", cid, "--purpose", "service", "--room", "1208", "--from", today, "--json"
    )
    assert code == 0 and isinstance(stay, dict) and stay["status"] == "registered"
    code, err, _ = run("get", cid, "--purpose", "service", "--fields", "name", "--json")
    assert code != 0 and isinstance(err, dict) and err["error"] == "forbidden"
    code, err, _ = run(
        "stays",
        "check-in",
        stay["stay_id"],
        "--purpose",
        "service",
        "--id-number",
        "513101198201130014",
        "--json",
    )
    assert code != 0 and isinstance(err, dict) and "513101198201130014" not in json.dumps(err)
    code, done, _ = run(
        "stays", "check-in", stay["stay_id"], "--purpose", "service", "--id-number", RESIDENT_ID, "--json"
    )
    assert code == 0 and isinstance(done, dict) and done["status"] == "checked_in"
    code, got, _ = run("get", cid, "--purpose", "service", "--fields", "name", "--json")
    assert code == 0 and isinstance(got, dict) and got["fields"]["name"] == "欧阳娜娜"
    code, out, _ = run("stays", "check-out", stay["stay_id"], "--purpose", "service", "--json")
    assert code == 0 and isinstance(out, dict) and out["status"] == "checked_out"
