"""``piguard consent``, ``piguard notices`` and ``piguard minors``: the consent ledger from the shell.

Every command takes ``--json`` and then prints exactly one JSON document. A guardian's
ID number is never taken as an argument (it would land in shell history and ``ps``):
it is read from ``--guardian-id-file`` or prompted for without echo, and only its
keyed digest is recorded.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar, cast

import typer

from piguard.cli.options import HomeOpt, JsonOpt, context, day_option, open_home
from piguard.cli.output import emit, new_table, print_table, reporting, stdout
from piguard.consent import (
    CONSENT_KINDS,
    ConsentKind,
    Guardian,
    shipped_notice,
)
from piguard.consent.capability import Consent
from piguard.consent.model import NOTICE_KINDS
from piguard.consent.notices import read_text_file
from piguard.errors import ValidationError
from piguard.gate import RequestContext

T = TypeVar("T")

ChannelOpt = Annotated[
    str, typer.Option(help="How the customer expressed it: app, web, counter, paper_form, phone.")
]


@dataclass(frozen=True)
class _Session:
    """The consent capability (every operation authorised and recorded by the gate) and the caller."""

    capability: Consent
    ctx: RequestContext


@contextmanager
def _ledger(home: Path | None) -> Iterator[_Session]:
    with open_home(home) as inst:
        yield _Session(inst.capability(Consent), context(inst))


def _kinds(values: list[str] | None) -> list[ConsentKind]:
    kinds = values or ["general"]
    for kind in kinds:
        if kind not in CONSENT_KINDS:
            raise ValidationError(f"must be among {', '.join(CONSENT_KINDS)}", "kind")
    return cast(list[ConsentKind], kinds)


def _guardian(ledger: Consent, relationship: str | None, id_file: Path | None) -> Guardian | None:
    if relationship is None:
        if id_file is not None:
            raise ValidationError("give the guardian's relationship too", "guardian_relationship")
        return None
    if id_file is not None:
        number = read_text_file(id_file).strip()
    else:
        number = getpass.getpass("Guardian's resident ID number (not echoed, not stored): ")
    return ledger.guardian(relationship, number)


consent_app = typer.Typer(
    no_args_is_help=True, help="Customers' consents: grant, withdraw, show (PIPL 14-16)."
)
notices_app = typer.Typer(no_args_is_help=True, help="Privacy notices: publish and list versions (R-COL-8).")
minors_app = typer.Typer(no_args_is_help=True, help="Minors: the 14th/18th birthday re-evaluation (R-MIN-4).")


@consent_app.command("grant")
def grant(
    customer_id: Annotated[str, typer.Argument(help="Customer id.")],
    purpose: Annotated[list[str], typer.Option("--purpose", "-p", help="Purpose consented to (repeatable).")],
    channel: ChannelOpt = "counter",
    kind: Annotated[
        list[str] | None, typer.Option(help=f"Consent kind (repeatable): {', '.join(CONSENT_KINDS)}.")
    ] = None,
    notice_version: Annotated[int | None, typer.Option(help="Notice shown (default: the latest).")] = None,
    evidence_ref: Annotated[
        str | None, typer.Option(help="Where the proof is kept (form no., scan id).")
    ] = None,
    recipient: Annotated[str | None, typer.Option(help="Recipient, for provision / cross_border.")] = None,
    guardian_relationship: Annotated[
        str | None, typer.Option(help="father, mother or legal_guardian.")
    ] = None,
    guardian_id_file: Annotated[
        Path | None, typer.Option(help="File holding the guardian's ID number.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a customer's consent; separate consents become distinct records (R-COL-4)."""
    with reporting(as_json), _ledger(home) as session:
        guardian = _guardian(session.capability, guardian_relationship, guardian_id_file)
        records = session.capability.grant(
            session.ctx,
            customer_id,
            purpose,
            channel=channel,
            kinds=_kinds(kind),
            notice_version=notice_version,
            evidence_ref=evidence_ref,
            guardian=guardian,
            recipient=recipient,
        )
        emit(
            {"recorded": [r.as_dict() for r in records]},
            as_json,
            lambda: stdout.print(f"recorded {len(records)} consent record(s) for {customer_id}"),
        )


@consent_app.command("withdraw")
def withdraw(
    customer_id: Annotated[str, typer.Argument(help="Customer id.")],
    purpose: Annotated[
        list[str] | None, typer.Option("--purpose", "-p", help="Purpose (repeatable; default all).")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only this consent kind.")] = None,
    channel: ChannelOpt = "counter",
    evidence_ref: Annotated[str | None, typer.Option(help="Where the request is kept.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Withdraw consent in one step; processing stops and orphaned data is marked for deletion (R-COL-6)."""
    with reporting(as_json), _ledger(home) as session:
        result = session.capability.withdraw(
            session.ctx,
            customer_id,
            purpose or None,
            kind=_kinds([kind])[0] if kind else None,
            channel=channel,
            evidence_ref=evidence_ref,
        )

        def human() -> None:
            stdout.print(f"stopped: {', '.join(result.stopped) or 'nothing (no consent in force)'}")
            for mark in result.marked_for_deletion:
                stdout.print(f"marked for deletion: {mark.record_type}.{{{', '.join(mark.fields)}}}")

        emit(result.as_dict(), as_json, human)


@consent_app.command("show")
def show(
    customer_id: Annotated[str, typer.Argument(help="Customer id.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A customer's consents in force, marketing preferences, age band and full history."""
    with reporting(as_json), _ledger(home) as session:
        doc = session.capability.show(session.ctx, customer_id)

        def human() -> None:
            state = cast(dict[str, object], doc["state"])
            stdout.print(f"customer {customer_id}")
            for purpose, kinds in cast(dict[str, dict[str, object]], state["consents"]).items():
                stdout.print(f"  {purpose}: {', '.join(kinds)}")
            stdout.print(f"  marketing: {state['marketing']}")
            stdout.print(f"  history: {len(cast(list[object], doc['history']))} record(s)")

        emit(doc, as_json, human)


@notices_app.command("publish")
def publish(
    zh: Annotated[
        Path | None, typer.Option(help="Chinese text (Markdown). Default: the shipped demo.")
    ] = None,
    en: Annotated[
        Path | None, typer.Option(help="English text (Markdown). Default: the shipped demo.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title (default: the English text's first line).")] = None,
    kind: Annotated[str, typer.Option(help="privacy or children (rules for under-14s).")] = "privacy",
    material: Annotated[
        bool, typer.Option(help="A material change: consents to the changed purposes lapse.")
    ] = False,
    purpose_changed: Annotated[list[str] | None, typer.Option(help="Purpose changed (repeatable).")] = None,
    effective_at: Annotated[datetime | None, typer.Option(help="When it takes effect (default now).")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish a new notice version in Chinese and English (R-COL-8)."""
    with reporting(as_json), _ledger(home) as session:
        if kind not in NOTICE_KINDS:
            raise ValidationError(f"must be one of {', '.join(NOTICE_KINDS)}", "kind")
        shipped_title, shipped_zh, shipped_en = shipped_notice(kind)
        text_zh = read_text_file(zh) if zh else shipped_zh
        text_en = read_text_file(en) if en else shipped_en
        heading = title or (text_en.splitlines()[0].lstrip("# ").strip() if en else shipped_title)
        when = effective_at.astimezone() if effective_at else None
        notice = session.capability.publish_notice(
            session.ctx,
            text_zh,
            text_en,
            title=heading,
            kind=kind,
            material=material,
            purposes_changed=purpose_changed or (),
            effective_at=when,
        )
        emit(
            notice.as_dict(),
            as_json,
            lambda: stdout.print(f"published {kind} notice version {notice.version}"),
        )


@notices_app.command("list")
def list_(
    texts: Annotated[bool, typer.Option(help="Include the texts.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every published notice version."""
    with reporting(as_json), _ledger(home) as session:
        notices = session.capability.notices(session.ctx)

        def human() -> None:
            table = new_table("version", "kind", "effective", "content hash", "material change")
            for n in notices:
                material = ", ".join(n.purposes_changed) if n.material else ""
                table.add_row(f"v{n.version}", n.kind, f"{n.effective_at:%Y-%m-%d}", n.content_hash, material)
            print_table(table)

        emit({"notices": [n.as_dict(texts=texts) for n in notices]}, as_json, human)


@minors_app.command("reevaluate")
def reevaluate(
    today: Annotated[
        str | None, typer.Option(help="Run as of this date (YYYY-MM-DD; default today, UTC+8).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The daily job: customers reaching 14 or 18 change band; lists who must now consent personally."""
    with reporting(as_json), _ledger(home) as session:
        day = day_option(today, "today")
        results = session.capability.reevaluate_birthdays(session.ctx, day)
        emit(
            {"reevaluated": [r.as_dict() for r in results]},
            as_json,
            lambda: stdout.print(f"{len(results)} customer(s) re-evaluated"),
        )


def register(app: typer.Typer) -> None:
    """Add ``consent``, ``notices`` and ``minors`` to the main CLI."""
    app.add_typer(consent_app, name="consent")
    app.add_typer(notices_app, name="notices")
    app.add_typer(minors_app, name="minors")
