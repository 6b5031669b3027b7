"""``piguard compliance``: the CLI contract (``--json`` prints one document) (R-AUD-4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from piguard.installation import Installation
from tests.cli.test_cli import home, login_as, run

__all__ = ["home"]

pytestmark = pytest.mark.req("R-AUD-4")


def test_compliance_cli(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    login_as(home, "officer", monkeypatch)
    code, _, err = run("compliance", "officer", "--name", "王敏", "--contact", "dpo@example.com", "--json")
    assert code == 0, err
    policy = tmp_path / "policy.md"
    policy.write_text("个人信息保护制度", encoding="utf-8")
    code, _, err = run(
        "compliance", "policy", "--name", "pi", "--title", "制度", "--file", str(policy), "--json"
    )
    assert code == 0, err
    login_as(home, "auditor", monkeypatch)
    code, checked, err = run("compliance", "check", "--id", "R-TRN-2", "--json")
    assert code == 0, err
    assert isinstance(checked, dict) and [c["status"] for c in checked["checks"]] == ["record"]
    out = tmp_path / "report"
    code, report, err = run("compliance", "report", "--out", str(out), "--format", "json,html", "--json")
    assert code == 0, err
    assert isinstance(report, dict) and set(report) >= {"requirements", "files", "signature"}
    assert len(report["requirements"]) == 66
    assert {r["status"] for r in report["requirements"]} <= {
        "pass",
        "fail",
        "partial",
        "not_available",
        "record",
    }
    assert all(Path(f).exists() for f in report["files"])
    code, ropa, err = run("compliance", "ropa", "--out", str(tmp_path / "ropa.json"), "--json")
    assert code == 0 and isinstance(ropa, dict), err
    assert json.loads((tmp_path / "ropa.json").read_text("utf-8"))["activities"]
    bundle = tmp_path / "evidence.zip"
    code, _, err = run("compliance", "bundle", "--out", str(bundle), "--json")
    assert code == 0, err
    with Installation(home) as inst:
        public_key = inst.audit.public_key.hex()
    # Offline: the public key alone verifies the report and the bundle.
    monkeypatch.delenv("PIGUARD_TOKEN")
    for target in (out, bundle):
        code, verified, err = run("compliance", "verify", str(target), "--public-key", public_key, "--json")
        assert code == 0 and isinstance(verified, dict) and verified["ok"], err
    (out / "report.json").write_text("{}", encoding="utf-8")
    code, verified, _ = run("compliance", "verify", str(out), "--public-key", public_key, "--json")
    assert code == 1 and isinstance(verified, dict) and "report.json: altered" in verified["problems"]
    code, _, _ = run("compliance", "report", "--out", str(out), "--format", "docx", "--json")
    assert code != 0
