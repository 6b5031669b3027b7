"""``piguard outbox list``: messages queued for customers and how their delivery went.

Runs the outbox's ``outbox_list`` operation (``administer``); it prints ids, channel, template,
status, attempts and the last error code, never a message's contents or address. Messages are
sent by the ``outbox`` job (``piguard jobs run outbox``, or ``piguard serve``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from piguard.cli.options import HomeOpt, JsonOpt, context, open_home
from piguard.cli.output import emit, reporting, stdout
from piguard.outbox import Outbox

__all__ = ["register"]

outbox_app = typer.Typer(
    help="Messages to customers (status only; the outbox job sends them).", no_args_is_help=True
)


@outbox_app.command("list")
def list_messages(
    status: Annotated[str | None, typer.Option(help="pending, sent or failed.")] = None,
    reference: Annotated[
        str | None, typer.Option(help="Only messages about this (e.g. a request id).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Messages, newest first: id, customer, channel, template, status, attempts, last error."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Outbox).list(context(inst), status=status, reference=reference, limit=limit)

    def human() -> None:
        for m in found:
            stdout.print(
                f"{m['id']}  {m['customer_id']}  {m['channel']}  {m['template']}  {m['status']}"
                f"  attempts {m['attempts']}"
                + (f"  last error {m['last_error']}" if m["last_error"] else ""),
                soft_wrap=True,
                highlight=False,
            )
        stdout.print(f"{len(found)} message(s)", highlight=False)

    emit({"messages": found}, as_json, human)


def register(app: typer.Typer) -> None:
    """Add ``outbox`` to the main CLI."""
    app.add_typer(outbox_app, name="outbox")
