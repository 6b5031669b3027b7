"""``piguard requests`` and ``piguard complaints``: data-subject requests and complaints as cases.

Every command runs one declared operation of the :class:`~piguard.rights.Rights` capability as
the acting principal (``PIGUARD_TOKEN``): taking a request in and verifying the requester needs
``write`` (customer service) or ``approve`` (the PI officer); pausing, extending, refusing and
completing need ``approve``. ``--json`` prints one JSON document (the contract other tools use).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from piguard.cli.options import HomeOpt, JsonOpt, context, open_home
from piguard.cli.output import emit, reporting, stdout
from piguard.errors import ValidationError
from piguard.rights import Rights
from piguard.rights.model import Case

__all__ = ["register"]

requests_app = typer.Typer(
    help="Data-subject requests (PIPL 44-50): cases with a deadline.", no_args_is_help=True
)
complaints_app = typer.Typer(
    help="Complaints about PI handling (NDSMR 20): cases with a deadline.", no_args_is_help=True
)

ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (required; the requester may be told).")]
IdArg = Annotated[str, typer.Argument(help="The case id (req_...).")]


def _print(case: Case) -> None:
    flags = [f"due {case.due}" + (" (provisional)" if case.provisional else "")]
    if case.paused:
        flags.append("paused")
    if case.verified:
        flags.append(f"verified {case.verified}")
    stdout.print(
        f"{case.id}  {case.type}  {case.status}  {'; '.join(flags)}", soft_wrap=True, highlight=False
    )
    for e in case.timeline:
        reason = f": {e.reason}" if e.reason else ""
        stdout.print(f"  {e.at.isoformat()}  {e.event}  {e.actor}{reason}", soft_wrap=True, highlight=False)


def _received(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError("--received must be an ISO-8601 time, e.g. 2026-09-21T10:00:00+08:00") from None
    if when.tzinfo is None:
        raise ValidationError("--received needs a time zone, e.g. 2026-09-21T10:00:00+08:00", "received")
    return when


def _open(
    customer: str,
    type_: str,
    channel: str,
    received: str | None,
    relation: str,
    source: str | None,
    home: HomeOpt,
    as_json: bool,
) -> None:
    with reporting(as_json), open_home(home) as inst:
        case = inst.capability(Rights).open(
            context(inst), customer, type_, channel=channel, received=_received(received),
            relation=relation, source=source,
        )  # fmt: skip
    emit(case.as_dict(), as_json, lambda: _print(case))


@requests_app.command("open")
def open_request(
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    type_: Annotated[str, typer.Option("--type", help="access, portability, correction, deletion, ...")],
    channel: Annotated[str, typer.Option("--channel", help="web, phone, counter, letter or email.")],
    received: Annotated[str | None, typer.Option("--received", help="When it arrived (ISO-8601).")] = None,
    relation: Annotated[
        str, typer.Option("--requester-relation", help="self, guardian or relative.")
    ] = "self",
    source: Annotated[
        str | None, typer.Option("--source", help="Where it came from (e.g. a form id).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a request in; prints the case with its due date (a local date)."""
    _open(customer, type_, channel, received, relation, source, home, as_json)


@requests_app.command("send-code")
def send_code(case_id: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Send the requester a one-time code at the contact on record."""
    with reporting(as_json), open_home(home) as inst:
        case = inst.capability(Rights).send_code(context(inst), case_id)
    emit(case.as_dict(), as_json, lambda: _print(case))


@requests_app.command("verify")
def verify(
    case_id: IdArg,
    code: Annotated[str | None, typer.Option("--code", help="The code the requester read out.")] = None,
    in_person: Annotated[bool, typer.Option("--in-person", help="ID checked at the counter by you.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify the requester's identity (a one-time code, or in person)."""
    with reporting(as_json), open_home(home) as inst:
        case = inst.capability(Rights).verify(context(inst), case_id, code=code, in_person=in_person)
    emit(case.as_dict(), as_json, lambda: _print(case))


def _stepper(name: str, doc: str) -> None:
    def command(case_id: IdArg, reason: ReasonOpt, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
        with reporting(as_json), open_home(home) as inst:
            case = getattr(inst.capability(Rights), name)(context(inst), case_id, reason=reason)
        emit(case.as_dict(), as_json, lambda: _print(case))

    command.__doc__ = doc
    requests_app.command(name)(command)


_stepper("pause", "Stop the clock (waiting for the requester), with the reason.")
_stepper("resume", "Restart the clock; the paused working days move the due date.")
_stepper("extend", "Extend the deadline once, with the reason (the requester is told).")
_stepper("refuse", "Refuse, with the reason; the requester is told it and the remedy (a court).")


@requests_app.command("complete")
def complete(
    case_id: IdArg,
    note: Annotated[
        str | None, typer.Option("--note", help="What was done (all but deletion/explanation).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fulfil the request: prints the case and what was produced or erased."""
    with reporting(as_json), open_home(home) as inst:
        done = inst.capability(Rights).complete(context(inst), case_id, note=note)
    emit(done, as_json, lambda: stdout.print(f"{case_id}: {done['case']['outcome']}", highlight=False))


def _show(case_id: str, home: HomeOpt, as_json: bool) -> None:
    with reporting(as_json), open_home(home) as inst:
        case = inst.capability(Rights).show(context(inst), case_id)
    emit(case.as_dict(), as_json, lambda: _print(case))


@requests_app.command("show")
def show(case_id: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """A case with its timeline."""
    _show(case_id, home, as_json)


def _list(
    kind: str, status: str | None, overdue: bool, customer: str | None, home: HomeOpt, as_json: bool
) -> None:
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Rights).find(
            context(inst), status=status, overdue=overdue, customer_id=customer,
            type="complaint" if kind == "complaint" else None,
        )  # fmt: skip
    found = [c for c in found if c.kind == kind]

    def human() -> None:
        for case in found:
            _print(case)
        stdout.print(f"{len(found)} case(s)", highlight=False)

    emit({"cases": [c.as_dict() for c in found]}, as_json, human)


@requests_app.command("list")
def list_requests(
    status: Annotated[
        str | None, typer.Option(help="received, verified, paused, completed, refused.")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open cases past their due date.")] = False,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer's.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Requests, overdue and soonest due first."""
    _list("request", status, overdue, customer, home, as_json)


@complaints_app.command("open")
def open_complaint(
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    channel: Annotated[str, typer.Option("--channel", help="web, phone, counter, letter or email.")],
    received: Annotated[str | None, typer.Option("--received", help="When it arrived (ISO-8601).")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a complaint in (routed to the PI officer, 15 working days)."""
    _open(customer, "complaint", channel, received, "self", None, home, as_json)


@complaints_app.command("show")
def show_complaint(case_id: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """A complaint with its timeline."""
    _show(case_id, home, as_json)


@complaints_app.command("list")
def list_complaints(
    status: Annotated[
        str | None, typer.Option(help="received, verified, paused, completed, refused.")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open cases past their due date.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Complaints, overdue and soonest due first."""
    _list("complaint", status, overdue, None, home, as_json)


@complaints_app.command("close")
def close_complaint(
    case_id: IdArg,
    outcome: Annotated[str, typer.Option("--outcome", help="What was found and done (required).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a complaint with its outcome."""
    with reporting(as_json), open_home(home) as inst:
        done = inst.capability(Rights).complete(context(inst), case_id, note=outcome)
    emit(done, as_json, lambda: stdout.print(f"{case_id}: closed", highlight=False))


def register(app: typer.Typer) -> None:
    """Add ``requests`` and ``complaints`` to the main CLI."""
    app.add_typer(requests_app, name="requests")
    app.add_typer(complaints_app, name="complaints")
