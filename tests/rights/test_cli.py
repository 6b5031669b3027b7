"""The ``piguard requests`` / ``piguard complaints`` contract: ``--json`` prints one JSON document
with at least id, type, status, due (a local date) and provisional (R-RGT-1, R-RGT-3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from piguard.gate import RequestContext
from piguard.installation import Installation
from tests.access.conftest import ADULT, SETUP
from tests.cli.test_cli import home, login_as, run

__all__ = ["home"]


def _customer(home: Path) -> str:
    with Installation(home) as inst:
        return inst.gate.create(RequestContext(SETUP, "service"), "customer", dict(ADULT)).customer_id


@pytest.mark.req("R-RGT-1", "R-RGT-3", "R-RGT-4")
def test_requests_cli_contract(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = _customer(home)
    login_as(home, "customer_service", monkeypatch)
    code, case, err = run(
        "requests", "open", "--customer", cid, "--type", "access", "--channel", "letter",
        "--received", "2026-09-21T10:00:00+08:00", "--requester-relation", "self", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert isinstance(case, dict)
    assert {"id", "type", "status", "due", "provisional"} <= set(case)
    summary = (case["type"], case["status"], case["due"], case["provisional"])
    assert summary == ("access", "received", "2026-10-19", False)
    code, bad, _ = run(
        "requests", "open", "--customer", cid, "--type", "access", "--channel", "letter",
        "--received", "2999-01-01T10:00:00+08:00", "--json",
    )  # fmt: skip
    assert code != 0 and "future" in str(bad)
    assert run("requests", "verify", case["id"], "--in-person", "--json")[0] == 0
    login_as(home, "officer", monkeypatch)
    code, paused, _ = run("requests", "pause", case["id"], "--reason", "waiting for ID", "--json")
    assert code == 0 and isinstance(paused, dict) and paused["paused"]
    assert run("requests", "resume", case["id"], "--reason", "received", "--json")[0] == 0
    code, listed, _ = run("requests", "list", "--status", "verified", "--json")
    assert code == 0 and isinstance(listed, dict) and [c["id"] for c in listed["cases"]] == [case["id"]]
    code, shown, _ = run("requests", "show", case["id"], "--json")
    assert code == 0 and isinstance(shown, dict)
    assert [e["event"] for e in shown["timeline"]] == ["opened", "verified", "paused", "resumed"]
    assert run("requests", "refuse", case["id"], "--reason", "  ", "--json")[0] != 0
    note = "copy handed over at the counter"
    code, done, _ = run("requests", "complete", case["id"], "--note", note, "--json")
    assert code == 0 and isinstance(done, dict) and done["case"]["status"] == "completed"


@pytest.mark.req("R-RGT-7")
def test_complaints_cli(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = _customer(home)
    login_as(home, "customer_service", monkeypatch)
    code, opened, _ = run("complaints", "open", "--customer", cid, "--channel", "phone", "--json")
    assert code == 0 and isinstance(opened, dict) and opened["kind"] == "complaint"
    login_as(home, "officer", monkeypatch)
    code, listed, _ = run("complaints", "list", "--json")
    assert code == 0 and isinstance(listed, dict) and len(listed["cases"]) == 1
    assert run("complaints", "show", opened["id"], "--json")[0] == 0
    code, closed, _ = run("complaints", "close", opened["id"], "--outcome", "apologised", "--json")
    assert code == 0 and isinstance(closed, dict) and closed["case"]["status"] == "completed"
