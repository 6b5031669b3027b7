"""``piguard incidents``: the CLI contract (``--json`` prints one JSON document) (R-INC-1, R-INC-3)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cli.test_cli import _STAFF, home, login_as, run, write

__all__ = ["home"]  # the fixture, imported


@pytest.mark.req("R-INC-1", "R-INC-3")
def test_open_scope_grade_notify_contain_show_list_close(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = b"".join(
        json.dumps({"name": name, "mobile": f"1391234{i:04d}"}, ensure_ascii=False).encode() + b"\n"
        for i, name in enumerate(["张三", "李四", "王五"])
    )
    code, data, _ = run("import", str(write(tmp_path, "c.jsonl", rows)), "--json")
    assert code == 0 and isinstance(data, dict)
    ids = data["ids"]
    assert len(ids) == 3
    login_as(home, "customer_service", monkeypatch)
    for cid in ids[:2]:
        code, _, err = run("get", cid, "--purpose", "service", "--fields", "name,mobile", "--json")
        assert code == 0, err
    insider = next(p["name"] for p in _STAFF[home] if p["role"] == "customer_service")
    insider_token = os.environ["PIGUARD_TOKEN"]
    login_as(home, "officer", monkeypatch)
    officer_token = os.environ["PIGUARD_TOKEN"]
    code, opened, err = run(
        "incidents", "open", "--title", "insider", "--discovered", "2026-03-02T10:00+08:00", "--json"
    )
    assert code == 0 and isinstance(opened, dict), err
    assert set(opened) == {"id", "grade", "deadlines"} and opened["grade"] == "general"
    iid = opened["id"]
    code, scope, err = run(
        "incidents", "scope", iid, "--actor", insider, "--actions", "read,export,search", "--json"
    )
    assert code == 0 and isinstance(scope, dict), err
    assert {"persons", "sensitive", "minors", "chain_verified", "by_field"} <= set(scope)
    assert (scope["persons"], scope["minors"], scope["chain_verified"]) == (2, 0, True), (scope, ids)
    assert set(scope["by_field"]) == {"customer.name", "customer.mobile"}
    code, graded, _ = run("incidents", "grade", iid, "--persons", "2000000", "--sensitive", "0", "--json")
    assert code == 0 and isinstance(graded, dict) and graded["grade"] == "relatively_major"
    assert any(d["name"] == "regulator" for d in graded["deadlines"])
    code, reported, _ = run(
        "incidents", "update", iid, "--justification", "报送省网信办", "--report", "regulator", "--json"
    )
    assert code == 0 and isinstance(reported, dict)
    assert next(d for d in reported["deadlines"] if d["name"] == "regulator")["state"] == "done"
    code, drafted, _ = run("incidents", "notify", iid, "--draft", "--json")
    assert code == 0 and isinstance(drafted, dict) and "个人信息安全事件报告" in drafted["draft"]
    code, sent, _ = run("incidents", "notify", iid, "--send", "--json")
    assert code == 0 and isinstance(sent, dict) and sent["sent"] == 2
    code, _, _ = run("incidents", "notify", iid, "--draft", "--send", "--json")
    assert code != 0
    code, contained, _ = run("incidents", "contain", iid, "--freeze", insider, "--json")
    assert code == 0 and isinstance(contained, dict) and contained["frozen"] == insider
    # The frozen insider's next request is refused.
    monkeypatch.setenv("PIGUARD_TOKEN", insider_token)
    code, _, _ = run("get", ids[0], "--purpose", "service", "--json")
    assert code != 0
    monkeypatch.setenv("PIGUARD_TOKEN", officer_token)
    code, shown, _ = run("incidents", "show", iid, "--json")
    assert code == 0 and isinstance(shown, dict) and shown["persons_source"] == "estimated"
    assert set(shown["by_field"]) == {"customer.name", "customer.mobile"}  # the computed set stays
    code, listed, _ = run("incidents", "list", "--json")
    assert code == 0 and isinstance(listed, dict) and [i["id"] for i in listed["incidents"]] == [iid]
    code, closed, _ = run("incidents", "close", iid, "--justification", "handled", "--json")
    assert code == 0 and isinstance(closed, dict) and closed["status"] == "closed"
