"""The consent commands, through a Typer app that registers them the way main.py will."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import typer
from typer.testing import CliRunner

from piguard.cli.consent import register
from piguard.crypto.keyring import generate_master_secret
from piguard.installation import Installation, init_home


def test_cli_publish_grant_show_withdraw_reevaluate(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    env = {"PIGUARD_MASTER_KEY": generate_master_secret(), "PIGUARD_HOME": str(tmp_path / "home")}
    init_home(tmp_path / "home", environ=env, expected_customers=100)
    # Consent is recorded about existing customers, through the gate: an agent logs in to look.
    with Installation(tmp_path / "home", environ=env) as inst:
        inst.vault.create("customer", {"name": "张三"}, purpose="service", customer_id="C1")
        agent = next(p for p in inst.access.create_demo_staff() if p["role"] == "customer_service")
        token = inst.access.login(
            agent["name"], agent["password"], pyotp.TOTP(agent["totp_secret"]).now()
        ).token
    runner = CliRunner()

    def run(*args: str, token: str | None = None) -> dict[str, object]:
        result = runner.invoke(app, [*args, "--json"], env={**env, "PIGUARD_TOKEN": token or ""})
        assert result.exit_code == 0, result.output
        doc: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
        return doc

    assert run("notices", "publish")["version"] == 1
    assert run("notices", "publish", "--kind", "children")["kind"] == "children"
    notices = run("notices", "list")["notices"]
    assert isinstance(notices, list)
    assert [n["version"] for n in notices] == [1, 2]
    (tmp_path / "gid").write_text("110105199003070180\n")
    out = run(
        "consent",
        "grant",
        "C1",
        "-p",
        "marketing",
        "--kind",
        "general",
        "--channel",
        "app",
        "--guardian-relationship",
        "mother",
        "--guardian-id-file",
        str(tmp_path / "gid"),
    )
    recorded = out["recorded"]
    assert isinstance(recorded, list) and recorded[0]["guardian_relationship"] == "mother"
    assert "110105199003070180" not in json.dumps(out)
    refused = runner.invoke(app, ["consent", "show", "C1", "--json"], env=env)
    assert refused.exit_code == 4  # the local operator sets up; reading consent state needs a login
    shown = run("consent", "show", "C1", token=token)
    assert "marketing" in shown["state"]["consents"]  # type: ignore[index]
    withdrawn = run("consent", "withdraw", "C1", "-p", "marketing")
    assert withdrawn["stopped"] == ["marketing"]
    assert run("minors", "reevaluate", "--today", "2030-01-01") == {"reevaluated": []}
    bad = runner.invoke(app, ["consent", "grant", "C1", "-p", "nope", "--json"], env=env)
    assert bad.exit_code == 2 and json.loads(bad.stdout)["error"] == "validation"
