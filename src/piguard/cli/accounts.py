"""``piguard accounts close``: a customer's relationship ended (post-relationship retention starts);
``piguard accounts event``: their contract ended or a purpose was fulfilled for them.

Runs the declared ``account_close`` and ``retention_event`` operations of
:class:`~piguard.lifecycle.Lifecycle` as the acting principal (``write`` or ``approve``).
``--json`` prints one JSON document.
"""

from __future__ import annotations

from typing import Annotated

import typer

from piguard.cli.options import HomeOpt, JsonOpt, context, day_option, open_home
from piguard.cli.output import emit, reporting, stdout
from piguard.lifecycle import Lifecycle

__all__ = ["register"]

accounts_app = typer.Typer(
    help="Customer accounts: the end of a relationship, a contract or a purpose.", no_args_is_help=True
)


@accounts_app.command("close")
def close(
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required; sealed).")],
    on: Annotated[
        str | None, typer.Option("--on", help="The day it ended, YYYY-MM-DD (default today).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that the customer's relationship ended; the rules counted from it start."""
    with reporting(as_json):
        day = day_option(on, "on_date")
        with open_home(home) as inst:
            done = inst.capability(Lifecycle).close_account(
                context(inst), customer, reason=reason, on_date=day
            )
    emit(done, as_json, lambda: stdout.print(f"{customer}: relationship ended {done['relationship_end']}"))


@accounts_app.command("event")
def event(
    kind: Annotated[str, typer.Argument(help="contract_end or purpose_fulfilled.")],
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required; sealed).")],
    purpose: Annotated[
        str | None, typer.Option("--purpose", help="The purpose fulfilled (purpose_fulfilled only).")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="The day it happened, YYYY-MM-DD (default today).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that the customer's contract ended or a purpose was fulfilled for them; the retention
    rules counted from it start."""
    with reporting(as_json):
        day = day_option(on, "on_date")
        with open_home(home) as inst:
            done = inst.capability(Lifecycle).record_event(
                context(inst), customer, kind, reason=reason, purpose=purpose, on_date=day
            )
    what = f"{kind} ({purpose})" if purpose else kind
    emit(done, as_json, lambda: stdout.print(f"{customer}: {what} on {done['on_date']}", highlight=False))


def register(app: typer.Typer) -> None:
    """Add ``accounts`` to the main CLI."""
    app.add_typer(accounts_app, name="accounts")
