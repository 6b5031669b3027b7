"""CLI start-up (issue 19): ``piguard --help`` and ``piguard scan`` import none of the stack.

Not timed (the machine is shared): what is checked is what gets imported, in a fresh
interpreter, and that the lazy command table says what the command modules register.
``bench/detect.py`` measures the time.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from piguard.cli import main as cli_main

HEAVY = ("fastapi", "sqlalchemy", "piguard.installation", "piguard.catalog", "piguard.gate", "piguard.access")

_PROBE = """
import json, sys
from piguard.cli.main import app
sys.argv = ["piguard", *json.loads(sys.argv[1])]
try:
    app()
except SystemExit:
    pass
print("\\nMODULES " + json.dumps(sorted(sys.modules)))
"""


def _modules_after(*argv: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(json.loads(out.rsplit("MODULES ", 1)[1]))


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY))}


def test_help_imports_no_fastapi_sqlalchemy_or_installation() -> None:
    modules = _modules_after("--help")
    assert "piguard.cli.main" in modules
    assert not _heavy(modules)
    assert "rich" not in modules  # the top-level help is plain click


def test_scan_imports_no_fastapi_sqlalchemy_or_installation(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("客户张伟来电，手机13812345678\n", encoding="utf-8")
    modules = _modules_after("scan", str(note), "--json")
    assert "piguard.detect.discovery" in modules  # the scan really ran
    assert not _heavy(modules)


def _first_paragraph(command: object) -> str:
    text = getattr(command, "short_help", None) or getattr(command, "help", None) or ""
    return inspect.cleandoc(text).split("\n\n")[0].replace("\n", " ").strip()


def test_lazy_table_matches_what_the_modules_register() -> None:
    full = typer.main.get_group(cli_main.full_app())
    eager = {c.name or (c.callback.__name__ if c.callback else "") for c in cli_main.app.registered_commands}
    registered = {name: _first_paragraph(cmd) for name, cmd in full.commands.items() if name not in eager}
    listed = {name: text for name, (_, text) in cli_main.COMMANDS.items()}
    lines = "\n".join(
        f"    {json.dumps(n)}: (<module>, {json.dumps(h, ensure_ascii=False)}),"
        for n, h in registered.items()
    )
    assert listed == registered, f"update piguard.cli.main.COMMANDS:\n{lines}"


def test_lazy_commands_run_and_show_their_own_help(tmp_path: Path) -> None:
    runner = CliRunner()
    top = runner.invoke(cli_main.app, ["--help"])
    assert top.exit_code == 0
    for name in cli_main.COMMANDS:
        assert name in top.stdout
    sub = runner.invoke(cli_main.app, ["catalog", "check", "--help"])
    assert sub.exit_code == 0 and "Lint a catalog" in sub.stdout
    group = runner.invoke(cli_main.app, ["users", "--help"])
    assert group.exit_code == 0 and "add" in group.stdout
    note = tmp_path / "n.txt"
    note.write_text("手机13812345678\n", encoding="utf-8")
    scanned = runner.invoke(cli_main.app, ["scan", str(note), "--json"])
    assert scanned.exit_code == 0, scanned.output
    assert json.loads(scanned.stdout)["findings"][0]["type"] == "mobile"
    unknown = runner.invoke(cli_main.app, ["no-such-command"])
    assert unknown.exit_code != 0


def test_every_command_module_is_in_the_lazy_table() -> None:
    """A module under piguard/cli with a ``register`` function that the table does not name would
    add no command at all (a merge once dropped two capabilities' commands this way)."""
    import ast

    folder = Path(cli_main.__file__).parent
    registering = {
        path.stem
        for path in folder.glob("*.py")
        if any(
            isinstance(node, ast.FunctionDef) and node.name == "register"
            for node in ast.parse(path.read_text(encoding="utf-8")).body
        )
    }
    named = {spec.partition(":")[0] for spec, _ in cli_main.COMMANDS.values()}
    # ``catalog`` is registered inside ``main:register_catalog`` (its group also holds ``check``).
    assert registering - {"main", "catalog"} <= named, registering - named
