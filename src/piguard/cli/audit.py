"""CLI commands for the audit trail: ``audit verify|query|history|export|archive|ref|checkpoint|public-key``
and ``alerts list|ack``.

Every command runs one declared operation of the :class:`~piguard.gate.trail.Trail` capability:
the gate authorises it for the acting principal (``PIGUARD_TOKEN``, see
:mod:`piguard.cli.options`) and records it. Reading the trail needs the catalog's ``audit``
action (PI protection officer, auditor); ``verify`` and ``public-key`` also accept
``administer``; ``archive`` needs ``administer``. Nothing printed carries customer values:
customers appear as keyed references, staff by id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from piguard.calendar import LOCAL_TZ
from piguard.cli.options import HomeOpt, JsonOpt, context, open_home
from piguard.cli.output import emit, new_table, print_table, reporting, stdout
from piguard.errors import ValidationError
from piguard.gate import RequestContext
from piguard.gate.trail import Trail
from piguard.installation import verify_export

EXIT_TAMPERED = 6

audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit trail: verify, query, export.")
alerts_app = typer.Typer(no_args_is_help=True, help="Monitoring alerts: list and acknowledge.")


@dataclass(frozen=True)
class _Session:
    """The trail capability (every operation authorised and recorded by the gate) and the caller."""

    trail: Trail
    ctx: RequestContext


@contextmanager
def _session(home: Path | None, as_json: bool) -> Iterator[_Session]:
    with reporting(as_json), open_home(home) as inst:
        yield _Session(inst.capability(Trail), context(inst))


def parse_when(text: str, name: str) -> datetime:
    """An ISO date or date-time; without a zone it is Beijing time.

    :raises ValidationError: not ISO 8601.
    """
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            "expected an ISO date or date-time, e.g. 2025-01-31 or 2025-01-31T08:00", name
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=LOCAL_TZ)


def _print_report(report: Any) -> None:
    state = "[green]OK[/green]" if report.ok else "[red]TAMPERED[/red]"
    stdout.print(
        f"{state} {report.source}: {report.entries} entries (seq {report.first_seq}..{report.last_seq}), "
        f"{report.checkpoints} signed checkpoints, key {report.key_id}, {report.seconds:.2f}s"
    )
    if report.unanchored:
        stdout.print(f"  {report.unanchored} entries after the last checkpoint (protected by their MACs)")
    for anchor in report.anchors:
        held = anchor.get("error") or (
            "no checkpoint yet" if anchor["seq"] is None else f"seq {anchor['seq']}"
        )
        stdout.print(f"  anchor {anchor['source']}: {held}")
    for finding in report.findings:
        count = report.counts.get(finding.kind, 1)
        stdout.print(f"  [red]{finding.kind}[/red] at seq {finding.seq}: {finding.message} ({count} in all)")


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    table = new_table(*columns)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    print_table(table)


@audit_app.command("verify")
def verify(
    file: Annotated[Path | None, typer.Option("--file", help="Verify an exported segment instead.")] = None,
    public_key: Annotated[
        str | None,
        typer.Option("--public-key", help="Trusted public key (hex) for --file; default: this home's."),
    ] = None,
    witness: Annotated[
        Path | None,
        typer.Option(
            "--witness",
            help="A JSON Lines file of signed checkpoints kept elsewhere (e.g. the syslog collector's "
            "copy); its newest checkpoint must still be in the chain.",
        ),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the chain against its signed checkpoints and their anchors outside the database
    (key store, witness, JSON Lines sink); name the first bad entry of each kind."""
    if file is not None and public_key is not None:
        # An outside verifier needs nothing but the file and the key: no home, no master secret.
        with reporting(as_json):
            report = verify_export(file, public_key)
    else:
        with _session(home, as_json) as s:
            report = s.trail.verify(s.ctx, file=file, witness=witness)
    emit(report.as_dict(), as_json, lambda: _print_report(report))
    if not report.ok:
        raise typer.Exit(EXIT_TAMPERED)


@audit_app.command("query")
def query(
    customer: Annotated[
        str | None, typer.Option("--customer", help="Customer id (hashed before the search).")
    ] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="Customer reference (hmac-sha256:...).")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Principal id.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="e.g. read, export, login.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO date/time (Beijing time if no zone).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="ISO date/time, exclusive.")] = None,
    after: Annotated[
        int | None, typer.Option("--after", help="Only entries after this seq (paging).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 100,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who accessed what, when and why: by customer, actor, action and time range."""
    with _session(home, as_json) as s:
        entries = s.trail.query(
            s.ctx,
            customer_id=customer,
            customer_ref=ref,
            actor=actor,
            action=action,
            since=parse_when(since, "since") if since else None,
            until=parse_when(until, "until") if until else None,
            after_seq=after,
            limit=limit,
        )
    rows = [e.as_dict() for e in entries]
    emit(
        {"entries": rows},
        as_json,
        lambda: _table(
            rows, ["seq", "time", "actor_id", "role", "action", "purpose", "customer_ref", "fields", "result"]
        ),
    )


@audit_app.command("history")
def history(customer_id: str, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """One customer's access history as the customer sees it: staff by role and purpose."""
    with _session(home, as_json) as s:
        rows = s.trail.history(s.ctx, customer_id)["history"]
    emit({"history": rows}, as_json, lambda: _table(rows, ["time", "action", "by_role", "purpose", "fields"]))


@audit_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="JSON Lines file to write.")],
    first: Annotated[int | None, typer.Option("--from", help="First seq (default: oldest kept).")] = None,
    last: Annotated[int | None, typer.Option("--to", help="Last seq (default: newest).")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export a segment that verifies on its own (audit verify --file)."""
    with _session(home, as_json) as s:
        info = s.trail.export(s.ctx, out, first=first, last=last)
    emit(
        info,
        as_json,
        lambda: stdout.print(f"exported {info['entries']} entries to {out} (key {info['key_id']})"),
    )


@audit_app.command("archive")
def archive(
    before: Annotated[str, typer.Option("--before", help="Archive entries older than this ISO date/time.")],
    out: Annotated[Path, typer.Option("--out", help="Archive file (verified before anything is pruned).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Archive entries older than --before, verify the archive, then prune them (never
    inside the retention period: at least 184 days, R-AUD-2)."""
    with _session(home, as_json) as s:
        result = s.trail.archive(s.ctx, parse_when(before, "before"), out)
    emit(result, as_json, lambda: stdout.print(f"archived and pruned {result['pruned']} entries to {out}"))


@audit_app.command("ref")
def ref(customer_id: str, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The keyed reference under which the trail knows a customer (to search for it)."""
    with _session(home, as_json) as s:
        value = s.trail.customer_ref(s.ctx, customer_id)
    emit({"customer_ref": value}, as_json, lambda: stdout.print(value))


@audit_app.command("checkpoint")
def checkpoint(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Sign a checkpoint at the current head now."""
    with _session(home, as_json) as s:
        seq = s.trail.checkpoint(s.ctx)
    emit({"checkpoint_seq": seq}, as_json, lambda: stdout.print(f"checkpoint at seq {seq}"))


@audit_app.command("public-key")
def public_key(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The public key that verifies this home's checkpoints (give it to outside auditors)."""
    with _session(home, as_json) as s:
        doc = s.trail.public_key(s.ctx)
    emit(doc, as_json, lambda: stdout.print(f"{doc['key_id']} {doc['public_key']}"))


@alerts_app.command("list")
def alerts_list(
    status: Annotated[str | None, typer.Option("--status", help="open or acknowledged.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Alerts raised by the monitoring rules, newest first."""
    with _session(home, as_json) as s:
        rows = [a.as_dict() for a in s.trail.alerts(s.ctx, status=status, limit=limit)]
    emit(
        {"alerts": rows},
        as_json,
        lambda: _table(
            rows, ["id", "time", "rule", "severity", "principal_id", "summary", "action", "status"]
        ),
    )


@alerts_app.command("ack")
def alerts_ack(
    alert_id: str,
    comment: Annotated[str, typer.Option("--comment", help="What was found or done (required).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge an alert with a comment (recorded in the trail)."""
    with _session(home, as_json) as s:
        alert = s.trail.ack(s.ctx, alert_id, comment)
    doc = alert.as_dict()
    emit(doc, as_json, lambda: stdout.print(f"acknowledged {alert_id}"))


def register(app: typer.Typer) -> None:
    """Add ``audit`` and ``alerts`` to the main CLI."""
    app.add_typer(audit_app, name="audit")
    app.add_typer(alerts_app, name="alerts")
