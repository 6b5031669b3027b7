"""The CLI contract: --json prints one JSON document; errors exit non-zero with a one-line reason."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from piguard.cli.main import app

runner = CliRunner()
GOOD = "name,mobile,resident_id,bank_card,email\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("PIGUARD_HOME", str(h))
    monkeypatch.delenv("PIGUARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("PIGUARD_MASTER_KEY", raising=False)
    monkeypatch.delenv("PIGUARD_MASTER_KEY_FILE", raising=False)
    monkeypatch.delenv("PIGUARD_TOKEN", raising=False)
    result = runner.invoke(app, ["init", "--json", "--expected-customers", "10000"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["home"] == str(h)
    assert data["bootstrap_token"] and len(data["bootstrap_token"]) >= 40
    assert Path(data["master_key_file"]).exists() and not Path(data["master_key_file"]).is_relative_to(h)
    return h


_STAFF: dict[Path, list[dict[str, str]]] = {}


def login_as(home: Path, role: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Log in as the demo staff member with ``role`` (created on first use) and export its token."""
    if home not in _STAFF:
        monkeypatch.delenv("PIGUARD_TOKEN", raising=False)
        code, demo, _ = run("demo", "--customers", "0", "--json")
        assert code == 0 and isinstance(demo, dict)
        _STAFF[home] = demo["staff"]
    person = next(p for p in _STAFF[home] if p["role"] == role)
    monkeypatch.setenv("PIGUARD_PASSWORD", person["password"])
    code, login, _ = run("login", person["name"], "--totp", pyotp.TOTP(person["totp_secret"]).now(), "--json")
    assert code == 0 and isinstance(login, dict), login
    monkeypatch.setenv("PIGUARD_TOKEN", login["token"])


def run(*args: str) -> tuple[int, object, str]:
    result = runner.invoke(app, list(args))
    out = result.stdout.strip()
    return result.exit_code, (json.loads(out) if out else None), result.stderr


def write(tmp: Path, name: str, content: bytes) -> Path:
    p = tmp / name
    p.write_bytes(content)
    return p


def test_import_reports_every_rejected_row_and_stores_the_rest(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad input: malformed ID, phone, card, oversized, NUL and invalid UTF-8 rows rejected; others stored."""
    rows = [
        "张三,13800138000,11010519491231002X,6222021234567890128,a@example.com",  # 1 ok
        "李四,13800138001,110105194912310021,6222021234567894,b@example.com",  # 2 bad ID checksum
        "王五,12012345678,440524188001010014,6222021234567894,c@example.com",  # 3 bad mobile
        "赵六,13800138003,513101198201130014,6222021234567890123,d@example.com",  # 4 bad card
        "钱七" + "七" * 3000 + ",13800138004,360426199101010071,,e@example.com",  # 5 oversized name
        "孙\x00八,13800138005,110105199003070180,,f@example.com",  # 6 NUL byte
        "周九,13800138006,110105194902310026,,g@example.com",  # 7 Feb 31
        "吴十,13800138007,,,h@example",  # 8 bad email
        "郑一,13800138008,,,ok@example.com",  # 9 ok
    ]
    body = (GOOD + "\n".join(rows) + "\n").encode("utf-8")
    body += "陈二,13800138009,,,x@example.com\n".encode().replace(
        "陈".encode(), b"\xff\xfe"
    )  # 10 invalid UTF-8
    path = write(tmp_path, "in.csv", body)
    code, data, _ = run("import", str(path), "--type", "customer", "--purpose", "service", "--json")
    assert code == 0
    assert isinstance(data, dict)
    assert data["accepted"] == 2
    got = {(r["row"], r["field"]) for r in data["rejected"]}
    assert got == {
        (2, "resident_id"),
        (3, "mobile"),
        (4, "bank_card"),
        (5, "name"),
        (6, "name"),
        (7, "resident_id"),
        (8, "email"),
        (10, "name"),
    }
    reasons = {r["row"]: r["reason"] for r in data["rejected"]}
    assert "checksum" in reasons[2]
    assert "110105194912310021" not in json.dumps(data)
    login_as(home, "customer_service", monkeypatch)
    code, found, _ = run("search", "mobile", "13800138001", "--purpose", "service", "--json")
    assert code == 0 and found == []
    code, found, _ = run("search", "mobile", "13800138000", "--purpose", "service", "--json")
    assert code == 0 and isinstance(found, list) and len(found) == 1 and found[0]["id"].startswith("C")


def test_import_jsonl_rejects_broken_lines_and_unknown_fields(home: Path, tmp_path: Path) -> None:
    lines = [
        json.dumps({"name": "张三", "mobile": "13800138000"}, ensure_ascii=False),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"name": "李四", "shoe_size": "42"}, ensure_ascii=False),
        json.dumps(
            {"name": "王五", "mobile": "13800138002", "address": "<b>x</b>'; DROP TABLE records;--"},
            ensure_ascii=False,
        ),
    ]
    path = write(tmp_path, "in.jsonl", ("\n".join(lines) + "\n").encode())
    code, data, _ = run("import", str(path), "--json")
    assert code == 0 and isinstance(data, dict)
    assert data["accepted"] == 2
    # An unknown key is named by its position, never echoed: it may be a value in the wrong place.
    assert [(r["row"], r["field"]) for r in data["rejected"]] == [(2, None), (3, None), (4, None)]
    assert data["rejected"][2]["reason"] == "key 2: unknown field"


@pytest.mark.req("R-USE-4")
def test_get_erase_keys_and_errors(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path, "one.jsonl", json.dumps({"name": "张三", "mobile": "13800138000"}).encode() + b"\n"
    )
    code, data, _ = run("import", str(path), "--json")
    assert code == 0 and isinstance(data, dict)
    cid = data["ids"][0]
    # The local operator (bootstrap) sets up and writes, but reads no customer data.
    code, err, _ = run("get", cid, "--purpose", "service", "--json")
    assert code == 4 and isinstance(err, dict) and err["error"] == "forbidden"
    code, status, _ = run("keys", "status", "--json")
    assert code == 0 and isinstance(status, dict) and status["data_keys_by_kek_version"] == {"1": 1}
    code, rot, _ = run("keys", "rotate", "--json")
    assert code == 0 and rot == {"kek_version": 2, "rewrapped": 1}
    code, ret, _ = run("keys", "retire", "1", "--json")
    assert code == 0 and ret == {"retired": 1}
    # R-USE-4: customer service sees contact details masked, through the gate.
    login_as(home, "customer_service", monkeypatch)
    code, got, _ = run("get", cid, "--purpose", "service", "--fields", "name,mobile", "--json")
    assert code == 0 and isinstance(got, dict)
    assert got["fields"] == {"name": "张*", "mobile": "138****8000"}
    assert got["levels"] == {"name": "masked", "mobile": "masked"}
    login_as(home, "officer", monkeypatch)
    code, erased, _ = run("erase", cid, "--reason", "customer asked", "--json")
    assert code == 0 and isinstance(erased, dict) and erased["key_destroyed"] is True
    code, err, stderr = run("get", cid, "--purpose", "service", "--json")
    assert code != 0 and isinstance(err, dict) and err["error"] == "not_found"
    assert stderr.count("\n") == 1 and stderr.startswith("error: ")


def test_unknown_purpose_and_bad_search_value(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(home, "customer_service", monkeypatch)
    code, err, stderr = run("search", "mobile", "123", "--purpose", "service", "--json")
    assert code == 2 and isinstance(err, dict) and err["error"] == "validation" and "mobile" in stderr
    code, err, _ = run("search", "mobile", "13800138000", "--purpose", "nonsense", "--json")
    assert code != 0 and isinstance(err, dict) and "nonsense" in err["reason"]


def test_commands_fail_cleanly_without_a_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIGUARD_HOME", str(tmp_path / "nothing"))
    code, err, _ = run("keys", "status", "--json")
    assert code == 3 and isinstance(err, dict) and "piguard init" in err["reason"]


def test_catalog_check_on_shipped_and_broken_catalogs(tmp_path: Path) -> None:
    from piguard.catalog import available_profiles, profile_path

    for name in available_profiles():
        code, data, _ = run("catalog", "check", str(profile_path(name)), "--json")
        assert code == 0 and isinstance(data, dict) and data["ok"] is True, (name, data)
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        profile_path("default").read_text(encoding="utf-8").replace("type: mobile", "type: mobyle", 1),
        encoding="utf-8",
    )
    code, data, _ = run("catalog", "check", str(broken), "--json")
    assert (
        code == 2 and isinstance(data, dict) and "broken.yaml" in data["reason"] and "type" in data["reason"]
    )


def test_demo_loads_through_the_installed_gate_without_rejections(home: Path) -> None:
    """`make demo` runs this: minors (with guardians), orders, notes and stays all pass consent."""
    code, data, _ = run("demo", "--customers", "60", "--seed", "7", "--json")
    assert code == 0 and isinstance(data, dict), data
    assert data["rejected"] == 0
    created = data["created"]
    assert created["customer"] == 60 and created.get("order", 0) > 0 and created.get("service_note", 0) > 0
    assert {p["role"] for p in data["staff"]} >= {"customer_service", "officer", "admin"}


@pytest.mark.req("R-USE-1")
def test_users_reset_prints_the_one_time_password_once_and_ends_the_session_r_use_1(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as(home, "customer_service", monkeypatch)
    victim = next(p for p in _STAFF[home] if p["role"] == "customer_service")
    victim_token = os.environ["PIGUARD_TOKEN"]
    code, _, err = run("users", "reset", victim["name"], "--json")
    assert code != 0 and "administer" in err  # a non-administrator may not reset
    login_as(home, "admin", monkeypatch)
    admin = next(p for p in _STAFF[home] if p["role"] == "admin")
    code, _, err = run("users", "reset", admin["name"], "--json")
    assert code != 0 and "your own credentials" in err
    code, out, err = run("users", "reset", victim["name"], "--json")
    assert code == 0, err
    assert isinstance(out, dict) and out["status"] == "reset" and len(out["one_time_password"]) >= 20
    code, listed, _ = run("users", "list", "--json")
    assert isinstance(listed, list)
    assert next(u for u in listed if u["name"] == victim["name"])["status"] == "reset"
    assert out["one_time_password"] not in json.dumps(listed)
    monkeypatch.setenv("PIGUARD_TOKEN", victim_token)
    code, _, err = run("whoami", "--json")
    assert code != 0 and "account reset" in err
