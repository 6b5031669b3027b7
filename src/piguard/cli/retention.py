"""``piguard retention``: the plan and the run, reviews of what a rule asks a person to decide, the
statistics anonymisation kept, and destruction records (R-DST-3), listed, exported and verified offline.

``records`` and ``record`` run declared operations of :class:`~piguard.lifecycle.Lifecycle` as the
acting principal (``audit`` or ``approve``). ``verify-record`` needs no database: the document and
the audit public key (``--public-key``, as ``GET /v1/audit/public-key`` publishes it; without it,
the key of ``--home``'s keyring) are enough.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from piguard.cli.options import HomeOpt, JsonOpt, context, day_option, open_home
from piguard.cli.output import emit, fail, reporting, stdout
from piguard.lifecycle import Lifecycle
from piguard.lifecycle.destruction import verify

__all__ = ["register"]

retention_app = typer.Typer(help="Retention and destruction records.", no_args_is_help=True)


@retention_app.command("plan")
def plan(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Plan for this date, YYYY-MM-DD.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What retention would destroy or strip (counts by record type, rule and action; no PI)."""
    with reporting(as_json):
        day = day_option(as_of, "as_of")
        with open_home(home) as inst:
            found = inst.capability(Lifecycle).plan(context(inst), as_of=day)

    def human() -> None:
        stdout.print(
            f"as of {found['as_of']}: {found['customers']} customers, {found['held']} held", highlight=False
        )
        for a in found["actions"]:
            stdout.print(f"  {a['record_type']}  {a['rule']}  {a['action']}  {a['count']}", highlight=False)

    emit(found, as_json, human)


@retention_app.command("run")
def run_(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Execute retention now: destroy or strip what has expired (held customers kept). Resumable:
    each customer is its own transaction, so a rerun after a crash does what is left."""
    with reporting(as_json), open_home(home) as inst:
        total = sum(1 for _ in inst.gate.customer_ids())
        with Progress(transient=True, disable=as_json) as bar:
            task = bar.add_task("retention", total=total)
            done = inst.capability(Lifecycle).run(
                context(inst), progress=lambda n: bar.update(task, completed=n)
            )

    def human() -> None:
        stdout.print(
            f"{done['run_id']}: {done['customers']} customers, {done['destroyed']} destroyed, "
            f"{done['stripped']} stripped, {done['held']} held, {done['failed']} failed; "
            f"{len(done['records'])} destruction records",
            highlight=False,
        )

    emit(done, as_json, human)


@retention_app.command("reviews")
def reviews_(
    status: Annotated[str, typer.Option("--status", help="open, destroy, keep or all.")] = "open",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Records whose retention ended under a rule asking for a person's decision (no values)."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Lifecycle).reviews(context(inst), status=None if status == "all" else status)

    def human() -> None:
        for r in found:
            stdout.print(
                f"{r['id']}  due {r['due']}  {r['record_type']} {r['record_id']}  {r['rule']}  {r['status']}"
                + (f" until {r['keep_until']}" if r["keep_until"] else ""),
                soft_wrap=True,
                highlight=False,
            )

    emit({"reviews": found}, as_json, human)


@retention_app.command("decide")
def decide(
    review: Annotated[str, typer.Argument(help="The review id (rev_...).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required; sealed).")],
    destroy: Annotated[bool, typer.Option("--destroy", help="Destroy at the next retention run.")] = False,
    keep_until: Annotated[
        str | None, typer.Option("--keep-until", help="Keep until this day, YYYY-MM-DD (then asked again).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide a retention review: --destroy, or --keep-until DAY."""
    with reporting(as_json):
        if destroy == (keep_until is not None):
            fail("give exactly one of --destroy and --keep-until", as_json, "validation")
        day = day_option(keep_until, "keep_until")
        with open_home(home) as inst:
            done = inst.capability(Lifecycle).decide(
                context(inst), review, "destroy" if destroy else "keep", reason=reason, keep_until=day
            )
    what = "destroyed by the next retention run" if destroy else f"kept until {done['keep_until']}"
    emit(done, as_json, lambda: stdout.print(f"{review}: {what}", highlight=False))


@retention_app.command("statistics")
def statistics_(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """What anonymisation kept of the records it destroyed: counts by record type, rule and month."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Lifecycle).statistics(context(inst))

    def human() -> None:
        for r in found:
            stdout.print(f"{r['record_type']}  {r['rule']}  {r['month']}  {r['records']}", highlight=False)

    emit({"statistics": found}, as_json, human)


@retention_app.command("records")
def records(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Destruction records, newest first (ids and counts: no values)."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Lifecycle).destructions(context(inst))

    def human() -> None:
        for doc in found:
            check = doc.get("verification") or {}
            state = (
                "unverified"
                if not doc.get("signature")
                else ("verified" if check.get("unreadable") else "NOT GONE")
            )
            stdout.print(
                f"{doc['id']}  {doc['at']}  {doc['method']}  {doc['customer_id']}  records {doc['records']}  "
                f"{doc['operation']} by {doc['operator']}  {state}",
                soft_wrap=True,
                highlight=False,
            )

    emit({"records": found}, as_json, human)


@retention_app.command("record")
def record(
    record_id: Annotated[str, typer.Argument(help="The destruction record id (dst_...).")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the signed document to this file.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One signed destruction record, to keep or verify offline."""
    with reporting(as_json), open_home(home) as inst:
        document = inst.capability(Lifecycle).destruction(context(inst), record_id)
        if out is not None:
            out.write_text(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    emit(document, as_json or out is None, lambda: stdout.print(f"wrote {out}", highlight=False))


@retention_app.command("verify-record")
def verify_record(
    file: Annotated[Path, typer.Argument(help="A destruction record (JSON), as exported.")],
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="The audit public key, hex (GET /v1/audit/public-key).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a destruction record's signature and shape; exit 1 if anything is wrong."""
    with reporting(as_json):
        try:
            document = json.loads(file.read_text("utf-8"))
        except ValueError:
            fail(f"{file} is not JSON", as_json, "validation")
        if public_key is not None:
            try:
                key = bytes.fromhex(public_key)
            except ValueError:
                fail("--public-key must be hex", as_json, "validation")
        else:
            with open_home(home) as inst:
                key = inst.capability(Lifecycle).public_key
        problems = verify(document, key) if len(key) == 32 else ["--public-key is not a 32-byte Ed25519 key"]
    result = {"file": str(file), "valid": not problems, "problems": problems}
    if isinstance(document, dict):
        result["id"] = document.get("id")
        result["unreadable"] = (document.get("verification") or {}).get("unreadable")
    emit(
        result, as_json, lambda: stdout.print("valid" if not problems else "INVALID: " + "; ".join(problems))
    )
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``retention`` to the main CLI."""
    app.add_typer(retention_app, name="retention")
