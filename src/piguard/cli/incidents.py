"""``piguard incidents``: the incident register, scope from the audit trail, grading and clocks,
notices, containment, the emergency plan and drills (R-INC-1..7).

Every command runs one declared operation of :class:`~piguard.incidents.Incidents` as the acting
principal (``PIGUARD_TOKEN``): handling needs ``approve`` (the PI officer); looking needs
``approve`` or ``audit``. ``--json`` prints one JSON document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from piguard.cli.options import HomeOpt, JsonOpt, context, day_option, open_home
from piguard.cli.output import emit, reporting, stdout
from piguard.errors import ValidationError
from piguard.incidents import Incidents

__all__ = ["register"]

incidents_app = typer.Typer(
    help="Incidents: register, affected customers from the audit trail, grading, notices, containment.",
    no_args_is_help=True,
)

JustOpt = Annotated[str, typer.Option("--justification", help="Why (required; sealed, in the timeline).")]


def _time(text: str | None, field: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError("an ISO 8601 time with its offset (2026-03-02T10:00+08:00)", field) from None
    if value.tzinfo is None:
        raise ValidationError("an ISO 8601 time with its offset (2026-03-02T10:00+08:00)", field)
    return value


def _list(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _deadlines(deadlines: list[dict[str, Any]]) -> None:
    for d in deadlines:
        due = d["due"] or "-"
        stdout.print(f"  {d['name']:<12} {d['state']:<10} due {due}  ({d['basis']})", highlight=False)


@incidents_app.command("open")
def open_(
    title: Annotated[str, typer.Option("--title", help="What happened, in a line (sealed).")],
    discovered: Annotated[str, typer.Option("--discovered", help="When it was discovered (ISO 8601).")],
    occurred: Annotated[str | None, typer.Option("--occurred", help="When it happened (ISO 8601).")] = None,
    from_alert: Annotated[str | None, typer.Option("--from-alert", help="The alert it escalates.")] = None,
    category: Annotated[str, typer.Option("--category", help="GB/T 20986 class (data_leak, ...).")] = "other",
    persons: Annotated[int, typer.Option("--persons", help="Estimated persons affected.")] = 0,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open an incident: prints its id, proposed grade and deadlines."""
    with reporting(as_json):
        found = _time(discovered, "discovered")
        assert found is not None
        with open_home(home) as inst:
            out = inst.capability(Incidents).open(
                context(inst), title=title, discovered=found, occurred=_time(occurred, "occurred"),
                from_alert=from_alert, category=category, persons=persons,
            )  # fmt: skip

    def human() -> None:
        stdout.print(f"{out['id']}  grade {out['grade']}", highlight=False)
        _deadlines(out["deadlines"])

    emit(out, as_json, human)


@incidents_app.command("scope")
def scope(
    incident_id: Annotated[str, typer.Argument(help="The incident id (inc_...).")],
    actor: Annotated[list[str] | None, typer.Option("--actor", help="A staff user (name or id).")] = None,
    client: Annotated[list[str] | None, typer.Option("--client", help="An API client (name or id).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Window start (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Window end (ISO 8601).")] = None,
    actions: Annotated[
        str, typer.Option("--actions", help="Catalog actions, comma-separated.")
    ] = "read,export,search",
    fields: Annotated[
        str | None, typer.Option("--fields", help="Only these fields, comma-separated.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The customers touched, computed from the audit trail (its chain verified over the window first)."""
    with reporting(as_json), open_home(home) as inst:
        # Names become principal ids (the trail records ids); an unknown name is an error.
        actors = [str(inst.access.principal(a)["id"]) for a in actor or []]
        clients = [str(inst.access.principal(c)["id"]) for c in client or []]
        out = inst.capability(Incidents).scope(
            context(inst), incident_id, actors=actors, clients=clients, since=_time(since, "since"),
            until=_time(until, "until"), actions=_list(actions), fields=_list(fields),
        )  # fmt: skip

    def human() -> None:
        verified = (
            "verified"
            if out["chain_verified"]
            else "BROKEN: " + ", ".join(f"{f['kind']} at {f['seq']}" for f in out["findings"])
        )
        stdout.print(
            f"{out['persons']} persons ({out['sensitive']} sensitive, {out['minors']} minors); "
            f"chain {verified}",
            highlight=False,
        )
        for key, levels in sorted(out["by_field"].items()):
            stdout.print(
                f"  {key}: " + ", ".join(f"{n} {lvl}" for lvl, n in sorted(levels.items())), highlight=False
            )

    emit(out, as_json, human)


@incidents_app.command("grade")
def grade(
    incident_id: Annotated[str, typer.Argument(help="The incident id.")],
    persons: Annotated[int | None, typer.Option("--persons", help="Persons affected (estimate).")] = None,
    sensitive: Annotated[int | None, typer.Option("--sensitive", help="Of them, with sensitive PI.")] = None,
    confirm: Annotated[
        str | None, typer.Option("--confirm", help="Confirm this grade (the officer).")
    ] = None,
    justification: Annotated[str, typer.Option("--justification", help="Why, if not the proposed one.")] = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose the grade from the counts, or confirm one."""
    with reporting(as_json), open_home(home) as inst:
        out = inst.capability(Incidents).grade(
            context(inst), incident_id, persons=persons, sensitive=sensitive, confirm=confirm,
            justification=justification,
        )  # fmt: skip

    def human() -> None:
        state = "confirmed" if out["confirmed"] else f"proposed {out['proposed_grade']}"
        stdout.print(f"{out['id']}  grade {out['grade']} ({state})", highlight=False)
        _deadlines(out["deadlines"])

    emit(out, as_json, human)


@incidents_app.command("notify")
def notify(
    incident_id: Annotated[str, typer.Argument(help="The incident id.")],
    draft: Annotated[bool, typer.Option("--draft", help="The regulator's report (zh).")] = False,
    send: Annotated[
        bool, typer.Option("--send", help="Tell each affected customer (and guardians).")
    ] = False,
    public: Annotated[bool, typer.Option("--public", help="The public announcement text.")] = False,
    skip: Annotated[str | None, typer.Option("--skip", help="Tell no one individually, because ...")] = None,
    locale: Annotated[str, typer.Option("--locale", help="zh or en (notices, announcement).")] = "zh",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft the regulator's report, send the individual notices, the public text, or record a skip."""
    with reporting(as_json):
        modes = [m for m, on in (("draft", draft), ("send", send), ("public", public), ("skip", skip)) if on]
        if len(modes) != 1:
            raise ValidationError("give exactly one of --draft, --send, --public, --skip", "mode")
        with open_home(home) as inst:
            out = inst.capability(Incidents).notify(
                context(inst), incident_id, mode=modes[0], locale=locale, skip_reason=skip
            )

    def human() -> None:
        text = out.get("draft") or out.get("announcement")
        if text:
            stdout.print(text, highlight=False, markup=False)
        elif out["mode"] == "send":
            stdout.print(
                f"{out['sent']} notices and {out['guardians']} guardian notices queued", highlight=False
            )
        else:
            stdout.print("individual notice skipped (reason recorded)", highlight=False)

    emit(out, as_json, human)


@incidents_app.command("contain")
def contain(
    incident_id: Annotated[str, typer.Argument(help="The incident id.")],
    freeze: Annotated[
        str | None, typer.Option("--freeze", help="A user or API client to freeze (name or id).")
    ] = None,
    suspend_partner: Annotated[
        str | None,
        typer.Option("--suspend-partner", help="A partner: its agreements in force are suspended."),
    ] = None,
    rotate_keys: Annotated[
        bool, typer.Option("--rotate-keys", help="Rotate the key-encryption key (every data key re-wrapped).")
    ] = False,
    justification: Annotated[str, typer.Option("--justification", help="Why (sealed).")] = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Contain: freeze a principal, suspend a partner's agreements, rotate the keys (each audited)."""
    with reporting(as_json), open_home(home) as inst:
        out = inst.capability(Incidents).contain(
            context(inst),
            incident_id,
            freeze=freeze,
            suspend_partner=suspend_partner,
            rotate_keys=rotate_keys,
            justification=justification,
        )

    def human() -> None:
        if "frozen" in out:
            stdout.print(f"{out['frozen']} frozen for {out['id']}", highlight=False)
        if "suspended" in out:
            stdout.print(f"{len(out['suspended'])} agreement(s) suspended for {out['id']}", highlight=False)
        if "rotated" in out:
            stdout.print(f"keys rotated (KEK v{out['rotated'].get('kek_version')})", highlight=False)

    emit(out, as_json, human)


@incidents_app.command("update")
def update(
    incident_id: Annotated[str, typer.Argument(help="The incident id.")],
    justification: JustOpt,
    stage: Annotated[
        str | None, typer.Option("--stage", help="assessing, containing, notifying, resolved.")
    ] = None,
    cause: Annotated[str | None, typer.Option("--cause", help="The cause (sealed).")] = None,
    cause_known: Annotated[bool | None, typer.Option("--cause-known/--cause-unknown")] = None,
    report: Annotated[
        list[str] | None,
        typer.Option("--report", help="A report sent (regulator, follow_up, final, gdpr, individuals)."),
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="When the reports were sent (default now).")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an incident's stage or facts, or record reports sent, with a justification."""
    with reporting(as_json):
        when = _time(at, "at") or datetime.now().astimezone()
        with open_home(home) as inst:
            out = inst.capability(Incidents).update(
                context(inst), incident_id, justification=justification, stage=stage,
                texts={"cause": cause} if cause is not None else None, cause_known=cause_known,
                reports={name: when for name in report or []} or None,
            )  # fmt: skip
    emit(out, as_json, lambda: stdout.print(f"{out['id']}  {out['stage']}", highlight=False))


@incidents_app.command("show")
def show(
    incident_id: Annotated[str, typer.Argument(help="The incident id.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One incident: facts, timeline, clocks, affected counts, notices."""
    with reporting(as_json), open_home(home) as inst:
        out = inst.capability(Incidents).show(context(inst), incident_id)

    def human() -> None:
        stdout.print(
            f"{out['id']}  {out['title']}  [{out['status']}/{out['stage']}]  grade {out['grade']}",
            highlight=False,
        )
        stdout.print(
            f"  persons {out['persons']} ({out['persons_source']}), "
            f"sensitive {out['sensitive']}, minors {out['minors']}",
            highlight=False,
        )
        _deadlines(out["deadlines"])
        for e in out["timeline"]:
            stdout.print(f"  {e['at']}  {e['kind']:<10} {e['by']}", highlight=False)

    emit(out, as_json, human)


@incidents_app.command("list")
def list_(
    status: Annotated[str | None, typer.Option("--status", help="open or closed.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The register, newest first (no texts but titles)."""
    with reporting(as_json), open_home(home) as inst:
        found = inst.capability(Incidents).find(context(inst), status=status)

    def human() -> None:
        for i in found:
            stdout.print(
                f"{i['id']}  {i['status']:<6} {i['stage']:<10} grade {i['grade']:<18} "
                f"persons {i['persons']}  {i['title']}",
                highlight=False,
                soft_wrap=True,
            )

    emit({"incidents": found}, as_json, human)


@incidents_app.command("close")
def close(
    incident_id: Annotated[str, typer.Argument(help="The incident id.")],
    justification: JustOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close an incident: handling ended; the final report is due within 30 days."""
    with reporting(as_json), open_home(home) as inst:
        out = inst.capability(Incidents).close(context(inst), incident_id, justification=justification)

    def human() -> None:
        stdout.print(f"{out['id']}  closed", highlight=False)
        _deadlines(out["deadlines"])

    emit(out, as_json, human)


@incidents_app.command("plan")
def plan(
    file: Annotated[typer.FileText, typer.Argument(help="The emergency plan (a text file).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish a new version of the emergency plan."""
    with reporting(as_json), open_home(home) as inst:
        out = inst.capability(Incidents).publish_plan(context(inst), file.read())
    emit(
        out,
        as_json,
        lambda: stdout.print(f"plan version {out['version']}  sha256 {out['sha256']}", highlight=False),
    )


@incidents_app.command("drill")
def drill(
    held_on: Annotated[str, typer.Option("--date", help="When the drill was held, YYYY-MM-DD.")],
    scenario: Annotated[str, typer.Option("--scenario", help="What was drilled.")],
    participants: Annotated[int, typer.Option("--participants", help="How many took part.")],
    findings: Annotated[str, typer.Option("--findings", help="What was learnt.")] = "",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a drill of the emergency plan (at least yearly, R-INC-5)."""
    with reporting(as_json):
        day = day_option(held_on, "held_on")
        assert day is not None
        with open_home(home) as inst:
            out = inst.capability(Incidents).record_drill(
                context(inst), held_on=day, scenario=scenario, participants=participants, findings=findings
            )
    emit(out, as_json, lambda: stdout.print(f"{out['id']}  {out['held_on']}", highlight=False))


@incidents_app.command("drills")
def drills(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The plan's versions and the drills; whether the yearly drill is overdue."""
    with reporting(as_json), open_home(home) as inst:
        out = inst.capability(Incidents).drills(context(inst))

    def human() -> None:
        for p in out["plans"]:
            stdout.print(f"plan v{p['version']}  {p['at']}  {p['sha256'][:16]}", highlight=False)
        for d in out["drills"]:
            stdout.print(f"{d['held_on']}  {d['participants']} people  {d['scenario']}", highlight=False)
        if out["drill_overdue"]:
            stdout.print("the yearly drill is overdue", highlight=False)

    emit(out, as_json, human)


def register(app: typer.Typer) -> None:
    """Add ``incidents`` to the main CLI."""
    app.add_typer(incidents_app, name="incidents")
