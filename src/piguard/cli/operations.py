"""``piguard operations``: every operation the gate declares, as a table or one JSON document.

It lists declarations (names, capabilities, catalog actions, subjects, requirement IDs,
declared audit detail), never data, so it opens the installation without authenticating
anyone: the bootstrap token, any logged-in principal or none at all will do.
"""

from __future__ import annotations

from typing import Any

import typer

from piguard.cli.options import HomeOpt, JsonOpt, open_home
from piguard.cli.output import emit, reporting, stdout

__all__ = ["register"]


def _print(ops: list[dict[str, Any]]) -> None:
    # Plain lines, not a table: a narrow terminal must never cut an operation's name.
    width = max((len(op["name"]) for op in ops), default=0)
    for op in ops:
        flags = [
            op["subject"],
            "purpose" if op["purpose_required"] else "no purpose",
            *(["writes"] if op["writes"] else []),
        ]
        stdout.print(
            f"{op['name']:<{width}}  {op['capability']:<8} actions: {', '.join(op['actions'])}; "
            f"{'; '.join(flags)}; {', '.join(op['requirements']) or '-'}",
            soft_wrap=True,
            highlight=False,
        )
    stdout.print(f"{len(ops)} operation(s)")


def operations(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Every operation the gate can be asked to do (declarations only, no data)."""
    with reporting(as_json), open_home(home) as inst:
        ops = inst.gate.operations()
    emit({"operations": ops}, as_json, lambda: _print(ops))


def register(app: typer.Typer) -> None:
    """Add ``operations`` to the main CLI."""
    app.command("operations")(operations)
