"""``piguard holds``: legal holds (R-DST-2). A held customer is never destroyed.

Every command runs one declared operation of :class:`~piguard.lifecycle.Lifecycle` as the acting
principal (``PIGUARD_TOKEN``): placing and releasing need ``approve`` (the PI officer); listing
needs ``approve`` or ``audit``. ``--json`` prints one JSON document.
"""

from __future__ import annotations

from typing import Annotated

import typer

from piguard.cli.options import HomeOpt, JsonOpt, context, day_option, open_home
from piguard.cli.output import emit, reporting, stdout
from piguard.lifecycle import Hold, Lifecycle

__all__ = ["register"]

holds_app = typer.Typer(help="Legal holds: customers whose data may not be destroyed.", no_args_is_help=True)

ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (required; sealed, shown to officers).")]


def _line(hold: Hold) -> str:
    state = "in force" if hold.active else f"released {hold.released_at:%Y-%m-%d} by {hold.released_by}"
    matter = f"  matter {hold.matter}" if hold.matter else ""
    review = f"  review {hold.review_on}" if hold.review_on else ""
    return f"{hold.id}  {hold.customer_id}  {state}{matter}{review}  owner {hold.owner}"


@holds_app.command("add")
def add(
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    reason: ReasonOpt,
    matter: Annotated[
        str | None, typer.Option("--matter", help="A case reference shared by a matter.")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who owns the hold (default: you).")] = None,
    review: Annotated[str | None, typer.Option("--review", help="Review date, YYYY-MM-DD.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Place a legal hold on a customer."""
    with reporting(as_json):
        review_on = day_option(review, "review_on")
        with open_home(home) as inst:
            hold = inst.capability(Lifecycle).place(
                context(inst), customer, reason=reason, matter=matter, owner=owner, review_on=review_on
            )
    emit(hold.as_dict(), as_json, lambda: stdout.print(_line(hold), soft_wrap=True, highlight=False))


@holds_app.command("release")
def release(
    hold_id: Annotated[str, typer.Argument(help="The hold id (hold_...).")],
    reason: ReasonOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Release a legal hold (the customer's retention applies again)."""
    with reporting(as_json), open_home(home) as inst:
        hold = inst.capability(Lifecycle).release(context(inst), hold_id, reason=reason)
    emit(hold.as_dict(), as_json, lambda: stdout.print(_line(hold), soft_wrap=True, highlight=False))


@holds_app.command("list")
def list_(
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's holds.")] = None,
    matter: Annotated[str | None, typer.Option("--matter", help="Only this matter's holds.")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--released", help="Only holds in force, or only released ones.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Holds, newest first (no reasons)."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Lifecycle).find(
            context(inst), customer_id=customer, matter=matter, active=active
        )
        today = inst.gate.today()

    def human() -> None:
        for hold in found:
            stdout.print(_line(hold), soft_wrap=True, highlight=False)

    emit({"holds": [h.as_dict(today) for h in found]}, as_json, human)


def register(app: typer.Typer) -> None:
    """Add ``holds`` to the main CLI."""
    app.add_typer(holds_app, name="holds")
