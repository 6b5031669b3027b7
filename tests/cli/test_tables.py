"""CLI tables are never cut (issue 11, item 19): ids and secrets print whole at any width."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from piguard.cli import output
from piguard.cli.main import app
from piguard.cli.output import new_table, print_table

runner = CliRunner()

RECORD_ID = "C01JH8Z6Q4W2M7V9K3X5N0P8R6T"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "Vq7-kP2m-Xr9t-Lw4z-Hn6c"


def _render(width: int, *, terminal: bool) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=terminal, color_system=None, soft_wrap=True)
    table = new_table("role", "user", "password", "TOTP secret", "customer")
    table.add_row("customer_service", "demo_customer_service", PASSWORD, SECRET, RECORD_ID)
    table.add_row("officer", "demo_officer", "[bold]x[/bold]", SECRET, "客户来电咨询会员积分，已回复。" * 4)
    print_table(table, console)
    return buffer.getvalue()


@pytest.mark.parametrize("width", [40, 80, 200])
@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
def test_cli_tables_print_ids_and_secrets_whole_at_any_width(width: int, terminal: bool) -> None:
    text = _render(width, terminal=terminal)
    for value in (RECORD_ID, SECRET, PASSWORD, "demo_customer_service", "customer_service"):
        assert value in text, (width, text)
    assert "…" not in text and "..." not in text
    assert "[bold]x[/bold]" in text  # cells are plain text, never markup
    assert "客户来电咨询会员积分" in text.replace("\n", "").replace("│", "").replace(" ", "")


def test_a_wide_table_that_fits_is_drawn_as_a_table() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    table = new_table("id", "status")
    table.add_row(RECORD_ID, "active")
    print_table(table, console)
    assert re.search(rf"│ {RECORD_ID}\s*│ active\s*│", buffer.getvalue())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("PIGUARD_HOME", str(h))
    for name in ("PIGUARD_DATABASE_URL", "PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE", "PIGUARD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["init", "--json", "--expected-customers", "1000"]).exit_code == 0
    return h


@pytest.mark.parametrize("width", [40, 80])
def test_demo_credentials_print_whole_in_a_narrow_terminal(
    home: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output.stdout, "width", width)
    result = runner.invoke(app, ["demo", "--customers", "0"])
    assert result.exit_code == 0, result.output
    roles = json.loads(runner.invoke(app, ["catalog", "roles", "--json"]).stdout)["roles"]
    secrets = re.findall(r"\b[A-Z2-7]{32}\b", result.stdout)
    staff_roles = [r["role"] for r in roles if not r["builtin"]]
    assert len(secrets) == len(staff_roles), result.stdout
    for role in staff_roles:
        assert f"demo_{role}" in result.stdout
    assert "…" not in result.stdout
