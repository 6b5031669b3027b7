"""``piguard jobs``: the scheduled jobs, their leases and last runs; run one now.

``piguard serve`` ticks the runner by itself; these commands are for an operator (and for a
cron entry on a node that serves no HTTP). Jobs act as their own system principals
(``system:<job>``) and are audited under them, whoever starts them; starting one needs an
administering role.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from piguard.access import BOOTSTRAP_ROLE
from piguard.cli.options import HomeOpt, JsonOpt, current_actor, open_home
from piguard.cli.output import emit, reporting, stdout
from piguard.errors import AccessDenied, NotFound
from piguard.installation import Installation

__all__ = ["register"]

jobs_app = typer.Typer(
    help="Scheduled jobs (leased in the database: one run per due job).", no_args_is_help=True
)


def _rows(inst: Installation) -> list[dict[str, Any]]:
    times = ("next_due", "lease_until", "last_finished")
    return [{k: (_iso(v) if k in times else v) for k, v in row.items()} for row in inst.jobs.overview()]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@jobs_app.command("list")
def list_jobs(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Every job: when it is next due, who holds it, how its last run ended."""
    with reporting(as_json), open_home(home) as inst:
        rows = _rows(inst)

    def human() -> None:
        for r in rows:
            stdout.print(
                f"{r['name']}: every {r['every_seconds']} s, next {r['next_due'] or 'now'}, "
                f"last {r['last_outcome'] or '-'} ({r['runs']} runs)"
                + (f", held by {r['held_by']} until {r['lease_until']}" if r["held_by"] else ""),
                soft_wrap=True,
                highlight=False,
            )

    emit({"jobs": rows}, as_json, human)


@jobs_app.command("run")
def run_jobs(
    name: Annotated[str | None, typer.Argument(help="One job (default: every job that is due).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Run it even if not due yet.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the due jobs (or one job) now, on this node, under their leases."""
    with reporting(as_json), open_home(home) as inst:
        actor = current_actor(inst.access)
        role = inst.catalog.roles.get(actor.role)
        if actor.role != BOOTSTRAP_ROLE and (role is None or "administer" not in role.actions):
            raise AccessDenied("starting jobs needs an administering role")
        names = {job.name for job in inst.jobs.jobs}
        if name is not None and name not in names:
            raise NotFound(f"no job {name!r} (jobs: {', '.join(sorted(names))})")
        runs = inst.jobs.tick(only=name, force=force)
    result = {"ran": [{"name": r.name, "outcome": r.outcome, "count": r.count} for r in runs]}

    def human() -> None:
        for r in runs:
            stdout.print(f"{r.name}: {r.outcome} ({r.count})", highlight=False)
        stdout.print(f"{len(runs)} job(s) ran", highlight=False)

    emit(result, as_json, human)


def register(app: typer.Typer) -> None:
    """Add ``jobs`` to the main CLI."""
    app.add_typer(jobs_app, name="jobs")
