"""Hotel stays from the shell: ``stays register|check-in|check-out`` (issue 11, item 5).

A registered stay grants the front desk no row scope until it is checked in: by the guest's ID
number (asked without echo unless given, compared with the record, never stored) or by an
approved check-in grant (``piguard grants request --kind check_in``, decided by a second person).
"""

from __future__ import annotations

from typing import Annotated

import typer

from piguard.cli.options import HomeOpt, JsonOpt, PurposeOpt, context, open_home
from piguard.cli.output import emit, reporting, stdout

__all__ = ["register"]

stays_app = typer.Typer(no_args_is_help=True, help="Hotel stays: register, check in, check out.")


@stays_app.command("register")
def register_stay(
    customer_id: Annotated[str, typer.Argument(help="The guest's customer id.")],
    purpose: PurposeOpt,
    room: Annotated[str, typer.Option("--room", help="Room number.")],
    arrival: Annotated[str, typer.Option("--from", help="Check-in date, YYYY-MM-DD.")],
    departure: Annotated[str | None, typer.Option("--until", help="Check-out date, YYYY-MM-DD.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a stay (it grants no access until checked in)."""
    with reporting(as_json), open_home(home) as inst:
        values: dict[str, object] = {"room_no": room, "check_in": arrival}
        if departure:
            values["check_out"] = departure
        ref = inst.gate.stays.register(context(inst, purpose), customer_id, values)
        data = {"stay_id": ref.record_id, "customer_id": ref.customer_id, "status": "registered"}
        emit(data, as_json, lambda: stdout.print(f"stay {ref.record_id} registered (not checked in)"))


@stays_app.command("check-in")
def check_in(
    stay_id: Annotated[str, typer.Argument(help="The stay's record id.")],
    purpose: PurposeOpt,
    grant: Annotated[str | None, typer.Option(help="An approved check-in grant of yours.")] = None,
    id_number: Annotated[
        str | None,
        typer.Option(
            help="The guest's stated ID number (asked without echo when neither it nor --grant is given)."
        ),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a stay in: the guest's ID number must match the record, or a grant must be approved."""
    with reporting(as_json), open_home(home) as inst:
        if grant is None and id_number is None:
            id_number = typer.prompt("Guest's ID number", hide_input=True)
        done = inst.gate.stays.check_in(context(inst, purpose), stay_id, id_number=id_number, grant_id=grant)
        emit(done, as_json, lambda: stdout.print(f"stay {stay_id} checked in ({done['method']})"))


@stays_app.command("check-out")
def check_out(
    stay_id: Annotated[str, typer.Argument(help="The stay's record id.")],
    purpose: PurposeOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a stay out: the front desk no longer sees the guest through it."""
    with reporting(as_json), open_home(home) as inst:
        done = inst.gate.stays.check_out(context(inst, purpose), stay_id)
        emit(done, as_json, lambda: stdout.print(f"stay {stay_id} checked out"))


def register(app: typer.Typer) -> None:
    """Add ``stays`` to the main CLI."""
    app.add_typer(stays_app, name="stays")
