"""The records capability from the shell: ``import``, ``import-template``, ``get``, ``search``,
``match``, ``erase``, ``reindex`` and ``keys status|rotate|retire``.

Every command runs one declared operation of the gate (``inst.gate``) for the acting principal
(``PIGUARD_TOKEN``, see :mod:`piguard.cli.options`) and prints one JSON document with ``--json``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from piguard.cli.options import HomeOpt, JsonOpt, PurposeOpt, QuietOpt, TypeOpt, context, open_home
from piguard.cli.output import emit, new_table, print_table, reporting, stderr, stdout
from piguard.consent.importing import COLUMNS as CONSENT_COLUMNS
from piguard.readers import Columns, count_rows, detect_format, read_rows, template_csv, write_rejects
from piguard.validate.scalars import format_money

__all__ = ["progress", "register"]

#: The records commands (``register`` adds them to the main app).
records_app = typer.Typer()
keys_app = typer.Typer(no_args_is_help=True, help="Key-encryption keys: status, rotation, retirement.")


class RateColumn(ProgressColumn):
    """Records (or keys) per second, as Rich estimates it over the last seconds."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


def progress() -> Progress:
    """A transient progress bar on stderr (stdout stays one JSON document)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )


@records_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV (with header), .xlsx or JSON Lines file.")],
    record_type: TypeOpt = "customer",
    purpose: PurposeOpt = "service",
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, xlsx or jsonl (default: from the file name).")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Of a CSV file: utf-8 or gb18030 (default: detected).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write the rejected rows and why to this CSV file, to fix and import again."),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the rejects file's own columns: zh or en.")] = "en",
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue a stopped import of this same file after its last stored batch."
        ),
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bulk import; each row is stored whole or rejected with its row number, field and reason.

    Headers may be field names or their zh/en labels (see ``piguard import-template``). Every
    batch records how far the import got; after a crash, ``--resume`` skips what was stored.
    """
    with reporting(as_json), open_home(home) as inst:
        kind = detect_format(file, fmt)
        total = count_rows(file, kind)
        columns = Columns.for_record_type(inst.catalog, record_type)
        checkpoint, stored = inst.gate.import_checkpoint(file.read_bytes(), record_type, purpose)
        done = stored if resume else 0
        with progress() as bar:
            task = bar.add_task("checking" if dry_run else "importing", total=total, completed=done)
            report = inst.gate.import_rows(
                context(inst, purpose),
                record_type,
                read_rows(file, kind, columns, encoding=encoding),
                progress=lambda n: bar.advance(task, n),
                dry_run=dry_run,
                checkpoint=checkpoint,
                resume=resume,
            )
        written = None
        if rejects is not None:
            reasons: dict[int, list[str]] = {}
            for r in report.rejected:
                reasons.setdefault(r.row, []).append(f"{r.field}: {r.reason}" if r.field else r.reason)
            # The file holds the values the user supplied: it goes only where they asked.
            with file.open("rb") as src, rejects.open("w", encoding="utf-8", newline="") as out:
                written = write_rejects(src, kind, reasons, out, encoding=encoding, lang=lang)
        data = {
            "accepted": report.accepted,
            "rejected": [r.as_dict() for r in report.rejected],
            "ids": report.ids,
            "dry_run": dry_run,
            "resumed_after_row": done,
            "rejects_file": str(rejects) if rejects is not None else None,
        }

        def human() -> None:
            verb = "would accept" if dry_run else "accepted"
            stdout.print(f"{verb} {report.accepted}, rejected {len(report.rejected)}")
            for r in report.rejected[:50]:
                stdout.print(f"  row {r.row}: {r.field or '-'}: {r.reason}")
            if written is not None:
                stdout.print(f"{written} rejected row(s) written to {rejects}")

        emit(data, as_json, human)


@records_app.command("import-template")
def import_template(
    record_type: TypeOpt = "customer",
    lang: Annotated[str, typer.Option(help="Header language: zh or en.")] = "zh",
    consent: Annotated[bool, typer.Option("--consent", help="Add the consent evidence columns.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: standard output).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """An empty import file for a record type: the header row of its columns' labels (CSV)."""
    with reporting(as_json), open_home(home) as inst:
        text = template_csv(inst.catalog, record_type, lang, CONSENT_COLUMNS if consent else ())
        if output is not None:
            output.write_text(text, encoding="utf-8", newline="")
        data = {"record_type": record_type, "lang": lang, "file": str(output) if output else None}
        if output is None and not as_json:
            typer.echo(text.removeprefix("\ufeff"), nl=False)
            return
        if output is None:
            data["csv"] = text
        emit(data, as_json, lambda: stdout.print(f"template written to {output}"))


@records_app.command()
def get(
    record_id: Annotated[str, typer.Argument(help="Customer id (or record id with --type).")],
    purpose: PurposeOpt,
    fields: Annotated[str | None, typer.Option(help="Comma-separated field names (default: all).")] = None,
    record_type: TypeOpt = "customer",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read one record through the gate (masked or denied per field)."""
    with reporting(as_json), open_home(home) as inst:
        names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        views = inst.gate.read(context(inst, purpose), record_type, record_id, names)
        data = {
            "id": record_id,
            "type": record_type,
            "fields": {k: v.value for k, v in views.items()},
            "levels": {k: v.level for k, v in views.items()},
        }

        def human() -> None:
            table = new_table("field", "value", "shown as")
            for k, v in views.items():
                shown = v.value if v.value is not None else ""
                if v.level == "clear" and inst.catalog.field(record_type, k).type == "money":
                    shown = format_money(shown)  # ¥1,234.50, as people read amounts
                table.add_row(k, shown, v.level)
            print_table(table)

        emit(data, as_json, human)


@records_app.command()
def search(
    field: Annotated[str, typer.Argument(help="A searchable field, e.g. mobile.")],
    value: Annotated[str, typer.Argument(help="The exact value (normalised like on import).")],
    purpose: PurposeOpt,
    record_type: TypeOpt = "customer",
    limit: Annotated[int, typer.Option(help="Most matches returned.")] = 50,
    quiet: QuietOpt = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Exact search through the blind index (``-q``: only the customer ids)."""
    with reporting(as_json), open_home(home) as inst:
        ctx = context(inst, purpose)
        refs = inst.gate.search(ctx, record_type, field, value, limit=limit)
        # Masked name and mobile beside each id, read through the gate (recorded, quota-counted).
        summaries = inst.gate.summaries(ctx, [r.customer_id for r in refs])
        data: list[dict[str, Any]] = [
            {
                "id": r.record_id,
                "customer_id": r.customer_id,
                "type": r.record_type,
                "summary": summaries.get(r.customer_id),
            }
            for r in refs
        ]

        def human() -> None:
            if quiet:
                for d in data:
                    typer.echo(d["customer_id"])
                return
            stdout.print(f"{len(data)} match(es)")
            table = new_table("id", "name (masked)", "mobile (masked)")
            for d in data:
                shown: dict[str, str | None] = d["summary"] or {}
                table.add_row(str(d["id"]), shown.get("name") or "—", shown.get("mobile") or "—")
            print_table(table)  # ids printed whole, never cut

        emit(data, as_json, human)


@records_app.command()
def match(
    customer: Annotated[str, typer.Option("--customer", help="Customer id.")],
    field: Annotated[str, typer.Option("--field", help="The field to check, e.g. resident_id or mobile.")],
    purpose: PurposeOpt,
    record_type: TypeOpt = "customer",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Does the value the caller states match the customer's field? Prints yes or no, never the value.

    The value is read from standard input (asked for, hidden, on a terminal), never taken as an
    argument: it would stay in shell history and show in ``ps``. On a field you see only masked
    every check counts against your hourly probe budget.
    """
    if sys.stdin.isatty():
        value = typer.prompt(f"Value of {field} as stated", hide_input=True, err=True)
    else:
        value = sys.stdin.readline().strip()
    with reporting(as_json), open_home(home) as inst:
        found = inst.gate.match(context(inst, purpose), customer, field, value, record_type=record_type)
        emit(
            {"customer_id": customer, "field": field, "match": found},
            as_json,
            lambda: stdout.print("match: yes" if found else "match: no"),
        )


@records_app.command()
def erase(
    customer_id: Annotated[str, typer.Argument(help="Customer id.")],
    reason: Annotated[str, typer.Option(help="Why (recorded).")],
    purpose: PurposeOpt = "service",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Crypto-shred a customer: destroy their data key, then their records and index entries."""
    with reporting(as_json), open_home(home) as inst:
        count = inst.gate.erase(context(inst, purpose), customer_id, reason=reason)
        emit(
            {"erased": customer_id, "records_deleted": count, "key_destroyed": True},
            as_json,
            lambda: stdout.print(f"erased {customer_id}: {count} record(s), data key destroyed"),
        )


@keys_app.command("status")
def keys_status(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """KEK versions and how many data keys each wraps."""
    with reporting(as_json), open_home(home) as inst:
        data = inst.gate.key_status(context(inst, ""))
        emit(data, as_json, lambda: stdout.print_json(data=data))


@keys_app.command("rotate")
def keys_rotate(
    home: HomeOpt = None,
    as_json: JsonOpt = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish a stopped rotation under the current KEK version.")
    ] = False,
) -> None:
    """Add a KEK version and re-wrap every data key under it, online (--resume: finish a stopped one)."""
    with reporting(as_json), open_home(home) as inst:
        ctx = context(inst)
        # The gate's key status counts the data keys each KEK version wraps: the bar's total.
        status = inst.gate.key_status(ctx)
        total = sum(int(n) for n in status.get("data_keys_by_kek_version", {}).values())
        with progress() as bar:
            task = bar.add_task("re-wrapping", total=total or None)
            data = inst.gate.rotate_keys(ctx, progress=lambda n: bar.advance(task, n), resume=resume)
        emit(
            data,
            as_json,
            lambda: stdout.print(f"KEK version {data['kek_version']}: {data['rewrapped']} re-wrapped"),
        )


@keys_app.command("retire")
def keys_retire(
    version: Annotated[int, typer.Argument(help="KEK version no longer used by any data key.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retire an old KEK version (refused while data keys still use it)."""
    with reporting(as_json), open_home(home) as inst:
        inst.gate.retire_key(context(inst, ""), version)
        emit({"retired": version}, as_json, lambda: stdout.print(f"KEK version {version} retired"))


@records_app.command()
def reindex(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Rebuild the search index from the sealed values; run once after an upgrade that changes
    how values are matched (e.g. names now fold middle dots, full-width forms and case).
    Idempotent and online: an interrupted run is finished by running it again."""
    with reporting(as_json), open_home(home) as inst:
        with progress() as bar:
            task = bar.add_task("reindexing", total=None)
            data = inst.gate.reindex(
                context(inst),
                progress=lambda n: bar.advance(task, n),
                total=lambda n: bar.update(task, total=n),
            )
        emit(
            data,
            as_json,
            lambda: stdout.print(f"{data['records']} record(s) looked at, {data['reindexed']} reindexed"),
        )


def register(app: typer.Typer) -> None:
    """Add the records commands and ``keys`` to the main CLI."""
    app.registered_commands.extend(records_app.registered_commands)
    app.add_typer(keys_app, name="keys")
