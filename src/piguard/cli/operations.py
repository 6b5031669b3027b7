"""``piguard operations``: every operation the gate declares, as a table or one JSON document.

It lists declarations (names, capabilities, catalog actions, subjects, requirement IDs,
declared audit detail), never data, so it opens the installation without authenticating
anyone: the bootstrap token, any logged-in principal or none at all will do.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from piguard.cli.options import HomeOpt, JsonOpt, open_home
from piguard.cli.output import emit, reporting, stdout

__all__ = ["register"]


def _print(ops: list[dict[str, Any]]) -> None:
    table = Table("operation", "capability", "actions", "subject", "purpose", "writes", "requirements")
    for op in ops:
        table.add_row(
            op["name"],
            op["capability"],
            ", ".join(op["actions"]),
            op["subject"],
            "yes" if op["purpose_required"] else "",
            "yes" if op["writes"] else "",
            ", ".join(op["requirements"]),
        )
    stdout.print(table)
    stdout.print(f"{len(ops)} operation(s)")


def operations(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Every operation the gate can be asked to do (declarations only, no data)."""
    with reporting(as_json), open_home(home) as inst:
        ops = inst.gate.operations()
    emit({"operations": ops}, as_json, lambda: _print(ops))


def register(app: typer.Typer) -> None:
    """Add ``operations`` to the main CLI."""
    app.command("operations")(operations)
