"""``piguard backup create|verify|ledger|restore`` end to end (issue 14's CLI contract; R-DST-1)."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest

from piguard.api.app import create_app
from piguard.installation import Installation
from tests.cli.test_cli import home, login_as, run, write

with warnings.catch_warnings():
    # starlette warns that its test client prefers httpx2; the httpx shipped here works.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = ["home"]  # the fixture, imported


def _import(tmp_path: Path) -> list[str]:
    rows = [{"name": "张三", "mobile": "13912344865"}, {"name": "李四", "mobile": "13812344866"}]
    path = write(tmp_path, "rows.jsonl", b"".join(json.dumps(r).encode() + b"\n" for r in rows))
    code, data, err = run("import", str(path), "--json")
    assert code == 0 and isinstance(data, dict), err
    return list(data["ids"])


@pytest.mark.req("R-DST-1", "R-STO-1")
def test_backup_cli_restores_without_reviving_the_erased(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept, erased = _import(tmp_path)
    code, made, err = run("backup", "create", str(tmp_path / "b"), "--json")
    assert code == 0 and isinstance(made, dict), err
    assert made["counts"]["customers"] == 2
    code, checked, err = run("backup", "verify", str(tmp_path / "b"), "--json")
    assert code == 0 and isinstance(checked, dict) and checked["ok"], err
    login_as(home, "officer", monkeypatch)
    code, _, err = run("erase", erased, "--reason", "deletion request", "--json")
    assert code == 0, err
    login_as(home, "admin", monkeypatch)
    code, exported, err = run("backup", "ledger", "--out", str(tmp_path / "ledger.jsonl"), "--json")
    assert code == 0 and isinstance(exported, dict) and exported["entries"] == 1, err

    # From the live home (PIGUARD_HOME), and from the exported ledger file: erased stays erased.
    code, restored, err = run(
        "backup", "restore", str(tmp_path / "b"), "--home", str(tmp_path / "new"), "--json"
    )
    assert code == 0 and isinstance(restored, dict), err
    assert restored["replayed"]["customers"] == 1 and restored["customers"] == 1
    args = ["--home", str(tmp_path / "new2"), "--ledger", str(tmp_path / "ledger.jsonl"), "--json"]
    code, again, err = run("backup", "restore", str(tmp_path / "b"), *args)
    assert code == 0 and isinstance(again, dict) and again["replayed"]["customers"] == 1, err
    for new in ("new", "new2"):
        with Installation(tmp_path / new) as inst:
            assert not inst.vault.exists(erased) and inst.vault.customer_records(erased) == []
            assert inst.vault.exists(kept) and inst.audit.verify().ok
    # Without a ledger the erased customer would come back: so it is never the default.
    monkeypatch.setenv("PIGUARD_HOME", str(tmp_path / "nowhere"))
    code, refused, _ = run(
        "backup", "restore", str(tmp_path / "b"), "--home", str(tmp_path / "new3"), "--json"
    )
    assert code != 0 and isinstance(refused, dict) and "--ledger" in refused["reason"]
    assert not (tmp_path / "new3").exists()
    # A restore never overwrites a home.
    monkeypatch.setenv("PIGUARD_HOME", str(home))
    code, refused, _ = run(
        "backup", "restore", str(tmp_path / "b"), "--home", str(tmp_path / "new"), "--json"
    )
    assert code != 0 and isinstance(refused, dict) and "not empty" in refused["reason"]


@pytest.mark.req("R-STO-1")
def test_the_api_takes_backup_names_never_paths(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(home, "admin", monkeypatch)
    with Installation(home) as inst:
        client = TestClient(create_app(inst))
        auth = {"Authorization": f"Bearer {os.environ['PIGUARD_TOKEN']}"}
        for name in ("../outside", "/etc", ".hidden", "a/b", ""):
            response = client.post("/v1/backups", json={"name": name}, headers=auth)
            assert response.status_code == 422, (name, response.text)
        assert not (home.parent / "outside").exists()
