"""``piguard compliance``: compliance evidence (R-AUD-4, R-AUD-5, R-TRN-1..3, R-MIN-2, R-MIN-5).

Every command runs declared operations of :class:`~piguard.compliance.Compliance` as the acting
principal (``PIGUARD_TOKEN``): reading needs ``audit`` or ``approve``; governance records need
``approve`` (the PI officer). ``verify`` needs no home: it checks a report directory or a bundle
against the audit public key offline. ``--json`` prints one JSON document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from piguard.cli.options import HomeOpt, JsonOpt, context, day_option, open_home
from piguard.cli.output import emit, new_table, print_table, reporting, stdout
from piguard.compliance import FORMATS, Compliance
from piguard.compliance import verify as verify_signed
from piguard.errors import ValidationError

__all__ = ["register"]

compliance_app = typer.Typer(
    help="Compliance evidence: checks, record of processing, governance, signed reports.",
    no_args_is_help=True,
)
TestsOpt = Annotated[
    Path | None,
    typer.Option("--tests", help="The test suite's requirements-map.json (default: the installation's)."),
]


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(v.strip() for v in value.split(",") if v.strip())
    if not chosen or set(chosen) - set(FORMATS):
        raise ValidationError(f"formats are among {', '.join(FORMATS)}", "format")
    return chosen


@compliance_app.command("check")
def check(
    requirement: Annotated[
        str | None, typer.Option("--id", help="Only the checks of this requirement.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the live checks against this installation."""
    with reporting(as_json), open_home(home) as inst:
        results = inst.capability(Compliance).check(context(inst), requirement=requirement)

    def human() -> None:
        table = new_table("status", "check", "requirements", "summary")
        order = {"fail": 0, "not_available": 1, "manual": 2, "record": 3, "pass": 4}
        for r in sorted(results, key=lambda r: (order[r.status], r.check)):
            table.add_row(r.status, r.check, " ".join(r.requirements), r.summary)
        print_table(table)

    emit({"checks": [r.as_dict() for r in results]}, as_json, human)


@compliance_app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="A directory to copy the report's files into.")],
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: json,html,pdf.")
    ] = "json,html,pdf",
    tests: TestsOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate, sign and keep a compliance report (every requirement with its status)."""
    with reporting(as_json):
        chosen = _formats(formats)
        with open_home(home) as inst:
            done = inst.capability(Compliance).report(context(inst), out=out, formats=chosen, tests=tests)
    data = {"requirements": done["requirements"], "files": done["files"], "signature": done["signature"],
            "id": done["id"], "summary": done["summary"]}  # fmt: skip

    def human() -> None:
        stdout.print(f"report {done['id']}: " + ", ".join(f"{k} {v}" for k, v in done["summary"].items()))
        for name in done["files"]:
            stdout.print(name, soft_wrap=True, highlight=False)

    emit(data, as_json, human)


@compliance_app.command("ropa")
def ropa(
    out: Annotated[Path, typer.Option("--out", help="The file to write (.json, .html or .pdf).")],
    lang: Annotated[str, typer.Option("--lang", help="zh or en (HTML and PDF).")] = "zh",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the record of processing activities (R-AUD-4)."""
    with reporting(as_json):
        kind = out.suffix.lstrip(".").lower()
        if kind not in FORMATS or lang not in ("zh", "en"):
            raise ValidationError("the file ends in .json, .html or .pdf; --lang is zh or en", "out")
        with open_home(home) as inst:
            doc = inst.capability(Compliance).ropa(context(inst))
        files = Compliance.ropa_files(doc, (kind,))
        name = "ropa.json" if kind == "json" else f"ropa.{lang}.{kind}"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(files[name])
    emit({"file": str(out), "activities": len(doc["activities"])}, as_json,
         lambda: stdout.print(str(out), soft_wrap=True, highlight=False))  # fmt: skip


@compliance_app.command("bundle")
def bundle(
    out: Annotated[Path, typer.Option("--out", help="The ZIP file to write.")],
    tests: TestsOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the signed evidence bundle for an auditor (no customer values in it)."""
    with reporting(as_json), open_home(home) as inst:
        done = inst.capability(Compliance).bundle(context(inst), out, tests=tests)
    emit(done, as_json, lambda: stdout.print(done["file"], soft_wrap=True, highlight=False))


@compliance_app.command("verify")
def verify(
    path: Annotated[Path, typer.Argument(help="A report directory or an evidence bundle.")],
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="The audit public key (hex); default: this home's.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a signed report or bundle (offline with --public-key: no home needed)."""
    with reporting(as_json):
        if public_key:
            try:
                key = bytes.fromhex(public_key)
            except ValueError as exc:
                raise ValidationError("not a hex key", "public_key") from exc
            result = verify_signed(path, key)
        else:
            with open_home(home) as inst:
                result = inst.capability(Compliance).verify(path)
    emit(
        result,
        as_json,
        lambda: stdout.print("ok" if result["ok"] else "FAILED: " + "; ".join(result["problems"])),
    )
    if not result["ok"]:
        raise typer.Exit(1)


@compliance_app.command("governance")
def governance(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The PI officer, policies in force, audits on file and the audit schedule."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Compliance).governance(context(inst))

    def human() -> None:
        officer = found["officer"]
        stdout.print(f"officer: {officer['title']} · {officer['contact']}" if officer else "officer: none")
        for p in found["policies"]:
            stdout.print(
                f"policy {p['name']} v{p['version']} ({p['scope']}) since {p['effective_on']}: {p['title']}"
            )
        for item in found["schedule"]:
            stdout.print(f"audit {item['scope']}: {item['status']} (last {item['last']}, due {item['due']})")

    emit(found, as_json, human)


@compliance_app.command("officer")
def officer(
    name: Annotated[str, typer.Option("--name", help="The PI protection officer's name.")],
    contact: Annotated[str, typer.Option("--contact", help="The published contact.")],
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD (default today).")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Name the PI protection officer and publish their contact (R-TRN-2)."""
    with reporting(as_json):
        day = day_option(since, "since")
        with open_home(home) as inst:
            done = inst.capability(Compliance).set_officer(
                context(inst), name=name, contact=contact, since=day
            )
    emit(done, as_json, lambda: stdout.print(f"officer v{done['version']}: {done['title']}"))


@compliance_app.command("policy")
def policy(
    name: Annotated[str, typer.Option("--name", help="The policy's identifier (e.g. pi-protection).")],
    title: Annotated[str, typer.Option("--title", help="Its title.")],
    file: Annotated[Path, typer.Option("--file", help="The policy text (UTF-8).")],
    scope: Annotated[str, typer.Option("--scope", help="general, minors, incident, ...")] = "general",
    effective: Annotated[str | None, typer.Option("--effective", help="YYYY-MM-DD (default today).")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish a new version of an internal policy (R-TRN-3; --scope minors: R-MIN-2)."""
    with reporting(as_json):
        day = day_option(effective, "effective_on")
        text = file.read_text(encoding="utf-8")
        with open_home(home) as inst:
            done = inst.capability(Compliance).publish_policy(
                context(inst), name, title=title, text=text, scope=scope, effective_on=day
            )
    emit({k: v for k, v in done.items() if k != "text"}, as_json,
         lambda: stdout.print(f"policy {done['name']} v{done['version']}"))  # fmt: skip


@compliance_app.command("audit")
def audit(
    scope: Annotated[str, typer.Option("--scope", help="general or minors.")],
    completed: Annotated[str, typer.Option("--completed", help="YYYY-MM-DD.")],
    auditor: Annotated[str, typer.Option("--auditor", help="Who audited (a firm, a department).")],
    result: Annotated[str, typer.Option("--result", help="passed, findings or failed.")],
    reference: Annotated[str, typer.Option("--reference", help="The audit report's reference.")] = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a completed compliance audit (R-AUD-5, R-MIN-5)."""
    with reporting(as_json):
        day = day_option(completed, "completed_on")
        if day is None:
            raise ValidationError("a completion date is required", "completed_on")
        with open_home(home) as inst:
            done = inst.capability(Compliance).record_audit(
                context(inst),
                scope=scope,
                completed_on=day,
                auditor=auditor,
                result=result,
                reference=reference,
            )
    emit(done, as_json, lambda: stdout.print(f"audit {done['name']} ({done['scope']}) recorded"))


def register(app: typer.Typer) -> None:
    """Add ``compliance`` to the main CLI."""
    app.add_typer(compliance_app, name="compliance")
