"""``piguard scan`` and ``piguard mask``: discovery and masking of free text (issue 7).

The main app calls :func:`register`; nothing here reads the vault.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from piguard.cli.options import JsonOpt
from piguard.cli.output import emit, new_table, print_table, reporting, stderr, stdout
from piguard.detect import AUDIENCES, Detector, default_detector
from piguard.detect.discovery import Report, Summary, scan_database, scan_path_report, total_bytes
from piguard.detect.settings import DetectionSettings
from piguard.errors import ValidationError

__all__ = ["register"]

SettingsOpt = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        help="A JSON file of detection settings (per-type thresholds, context words) over the shipped ones.",
    ),
]


def _detector(settings: Path | None) -> Detector:
    if settings is None:
        return default_detector()
    return DetectionSettings.load(settings).detector()


def scan(
    path: Annotated[Path | None, typer.Argument(help="A file or a directory to scan.")] = None,
    database: Annotated[
        str | None, typer.Option("--database", help="A SQLAlchemy URL; every table is scanned.")
    ] = None,
    sample_rows: Annotated[int, typer.Option(help="Rows read per table (0 = all).")] = 10_000,
    thorough: Annotated[
        bool,
        typer.Option(
            "--thorough",
            help="Run the full detector on every line of files (default: bulk mode, which skips "
            "lines its prefilter shows cannot hold PI).",
        ),
    ] = False,
    settings: SettingsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report where personal information sits: file or table, column or line, type, count, masked samples."""
    with reporting(as_json):
        if path is None and database is None:
            raise ValidationError("give a PATH, --database URL, or both")
        detector = _detector(settings)
        # Findings go straight into the report, encoded batch by batch (by
        # discovery's workers for a large file): never held as one list.
        report = Report(encode=as_json)
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=stderr,
            transient=True,
            # Only on a terminal: a redirected stderr (a log, CI) gets no bar debris.
            disable=not stderr.is_terminal,
        ) as bar:
            if path is not None:
                task = bar.add_task("files", total=total_bytes(path))
                for part in scan_path_report(
                    path,
                    detector=detector,
                    progress=None if bar.disable else lambda n: bar.advance(task, n),
                    thorough=thorough,
                    encode=as_json,
                ):
                    report.merge(*part)
            if database is not None:
                rows = bar.add_task("rows", total=None)
                report.add(
                    list(
                        scan_database(
                            database,
                            sample_rows=sample_rows or None,
                            detector=detector,
                            progress=lambda n: bar.advance(rows, n),
                        )
                    )
                )
        if as_json:
            sys.stdout.write(report.json() + "\n")
            sys.stdout.flush()
        else:
            _print_summary(report.summary())


def _print_summary(summary: list[Summary]) -> None:
    if not summary:
        stdout.print("No personal information found.")
        return
    table = new_table(
        "Source", "Column / lines", "Type", "Count", "Masked samples", title="Personal information found"
    )
    for row in summary:
        where = row.column or ", ".join(str(n) for n in row.first_lines) + (
            f" (+{row.count - len(row.first_lines)} more)" if row.count > len(row.first_lines) else ""
        )
        table.add_row(row.source, where, row.type, str(row.count), "  ".join(row.samples))
    print_table(table)


def mask(
    audience: Annotated[str, typer.Option(help=f"Who reads the output: {' or '.join(AUDIENCES)}.")] = "staff",
    settings: SettingsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read text on standard input and write it with personal information masked."""
    with reporting(as_json):
        result = _detector(settings).mask_text(sys.stdin.read(), audience=audience)
        if as_json:
            emit(result.as_dict(), True)
        else:
            sys.stdout.write(result.text)
            sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add the ``scan`` and ``mask`` commands to ``app``."""
    app.command("scan")(scan)
    app.command("mask")(mask)
