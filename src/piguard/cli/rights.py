"""``piguard requests`` and ``piguard complaints``: data-subject requests and complaints as cases.

Every command runs one declared operation of the :class:`~piguard.rights.Rights` capability as
the acting principal (``PIGUARD_TOKEN``): taking a request in and verifying the requester needs
``write`` (customer service) or ``approve`` (the PI officer); pausing, extending, refusing and
completing need ``approve``. ``--json`` prints one JSON document (the contract other tools use).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

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
    relationship: str | None = None,
) -> None:
    with reporting(as_json), open_home(home) as inst:
        requester = _requester() if relation != "self" else None
        case = inst.capability(Rights).open(
            context(inst), customer, type_, channel=channel, received=_received(received),
            relation=relation, source=source, relationship=relationship, requester=requester,
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
    relationship: Annotated[
        str | None,
        typer.Option(
            "--relationship",
            help="A guardian's (parent, legal_guardian) or relative's (spouse, parent, child, sibling, "
            "grandparent, grandchild) relationship to the customer.",
        ),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a request in; prints the case with its due date (a local date).

    For a guardian or relative, their name and ID document are asked for on the terminal (or read
    as two lines from standard input), never taken as arguments: they would stay in shell history.
    """
    _open(customer, type_, channel, received, relation, source, home, as_json, relationship)


def _requester() -> dict[str, str]:
    if sys.stdin.isatty():
        name = typer.prompt("Requester's name (as on their ID document)", err=True)
        document = typer.prompt("Requester's ID document (type and number)", hide_input=True, err=True)
    else:
        lines = sys.stdin.read().splitlines()
        name, document = [*lines, "", ""][:2]
    return {"name": name, "document": document}


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
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="A profile field the requester states (repeat); the values are read from stdin, one per "
            "line, in the same order (never on the command line).",
        ),
    ] = None,
    purpose: Annotated[
        str, typer.Option("--purpose", help="The purpose the stated values are matched under.")
    ] = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify the requester's identity (a one-time code, with what they state; or in person)."""
    with reporting(as_json):
        stated = _stated(state or [])
        with open_home(home) as inst:
            case = inst.capability(Rights).verify(
                context(inst, purpose), case_id, code=code, in_person=in_person, stated=stated
            )
    emit(case.as_dict(), as_json, lambda: _print(case))


def _stated(fields: list[str]) -> dict[str, str]:
    """The stated values, one stdin line per ``--state`` field (a terminal is asked without echo)."""
    out: dict[str, str] = {}
    for name in fields:
        if sys.stdin.isatty():
            value = typer.prompt(f"{name} (as the requester states it)", hide_input=True)
        else:
            value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise ValidationError(f"no value given for the stated {name}", "stated")
        out[name] = value
    return out


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
    purposes: Annotated[
        list[str] | None, typer.Option("--purpose", help="A restriction's purpose (repeat for more).")
    ] = None,
    changes: Annotated[
        str | None,
        typer.Option(
            "--changes",
            help="A correction's values: a JSON file (or - for standard input) holding "
            '[{"record_type": "customer", "values": {"mobile": "..."}}, ...] or {"customer": {...}}.',
        ),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fulfil the request: prints the case and what was produced or erased."""
    with reporting(as_json), open_home(home) as inst:
        fixes = _changes(changes) if changes is not None else None
        done = inst.capability(Rights).complete(
            context(inst), case_id, note=note, purposes=purposes, changes=fixes
        )
    emit(done, as_json, lambda: stdout.print(f"{case_id}: {done['case']['outcome']}", highlight=False))


def _changes(source: str) -> list[dict[str, Any]]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ValidationError(
            f"--changes is not JSON (line {getattr(exc, 'lineno', '?')})", "changes"
        ) from None
    if isinstance(doc, dict):  # {"customer": {...}}: the profile's values
        doc = [{"record_type": rt, "values": values} for rt, values in doc.items()]
    if not isinstance(doc, list) or not all(isinstance(c, dict) for c in doc):
        raise ValidationError("--changes holds a list of changes or one record type's values", "changes")
    return doc


@requests_app.command("letter")
def letter(
    case_id: IdArg,
    lang: Annotated[str, typer.Option("--lang", help="zh or en (the other language follows).")] = "zh",
    out: Annotated[Path | None, typer.Option("--out", help="Write the HTML here.")] = None,
    home: HomeOpt = None,
) -> None:
    """The written refusal of a minor's, guardian's or relative's request (HTML, to print or post)."""
    with reporting(False), open_home(home) as inst:
        page = inst.capability(Rights).letter(context(inst), case_id, lang=lang)
    if out is None:
        sys.stdout.write(page + "\n")
    else:
        out.write_text(page, encoding="utf-8")


@requests_app.command("instruct")
def instruct(
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    no_relatives: Annotated[
        bool,
        typer.Option(
            "--no-relatives/--relatives-allowed",
            help="The customer does not want close relatives to use their rights after their death.",
        ),
    ],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record what the verified customer arranged for after their death (PIPL 49)."""
    with reporting(as_json), open_home(home) as inst:
        done = inst.capability(Rights).instruct(context(inst), customer, no_relatives=no_relatives)
    emit(done, as_json, lambda: stdout.print(f"{customer}: no relatives' access = {no_relatives}"))


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
