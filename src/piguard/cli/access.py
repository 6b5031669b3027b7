"""CLI commands for accounts: ``login``, ``whoami``, ``users``, ``clients``, ``grants``, ``training``.

The acting principal comes from ``PIGUARD_TOKEN`` (see :mod:`piguard.cli.options`). None of
these commands prints customer data.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from piguard.access import AccessControl
from piguard.cli.options import TOKEN_ENV, HomeOpt, JsonOpt, QuietOpt, current_actor, open_home
from piguard.cli.output import emit, new_table, print_table, reporting, stdout
from piguard.gate.sdk import Actor
from piguard.installation import Installation

__all__ = ["TOKEN_ENV", "access_of", "current_actor", "register"]


def access_of(inst: Installation) -> AccessControl:
    """The installation's account service."""
    return inst.access


@contextmanager
def _session(home: Path | None, as_json: bool) -> Iterator[tuple[AccessControl, Actor]]:
    with reporting(as_json), open_home(home) as inst:
        access = access_of(inst)
        yield access, current_actor(access)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    table = new_table(*columns)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    print_table(table)


def register(app: typer.Typer) -> None:
    """Add the account commands to ``app``."""
    users = typer.Typer(no_args_is_help=True, help="Staff users: add, disable, enable, unlock, reset, list.")
    clients = typer.Typer(no_args_is_help=True, help="API clients (scoped keys): add, revoke, list.")
    grants = typer.Typer(no_args_is_help=True, help="Just-in-time grants: request, approve, list.")
    training = typer.Typer(no_args_is_help=True, help="Training and confidentiality records (R-TRN-1).")
    app.add_typer(users, name="users")
    app.add_typer(clients, name="clients")
    app.add_typer(grants, name="grants")
    app.add_typer(training, name="training")

    @app.command()
    def login(
        name: Annotated[str, typer.Argument(help="User name.")],
        totp: Annotated[str | None, typer.Option(help="TOTP code (prompted if the user has TOTP).")] = None,
        step_up: Annotated[
            bool, typer.Option("--step-up", help="Re-prove TOTP for the session in $PIGUARD_TOKEN.")
        ] = False,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Log in (password + TOTP) and print a session token for PIGUARD_TOKEN; or --step-up."""
        with _session(home, as_json) as (access, actor):
            if step_up:
                code = totp or typer.prompt("TOTP code")
                at = access.step_up(actor, code)
                emit({"stepped_up_at": at.isoformat()}, as_json, lambda: stdout.print("stepped up"))
                return
            password = os.environ.get("PIGUARD_PASSWORD") or getpass.getpass("password: ")
            code = totp if totp is not None else typer.prompt("TOTP code", default="", show_default=False)
            result = access.login(name, password, code or None).as_dict()
            emit(
                result,
                as_json,
                lambda: stdout.print(
                    f"logged in as {name} until {result['expires_at']}\nexport {TOKEN_ENV}={result['token']}"
                ),
            )

    @app.command()
    def whoami(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
        """Who PIGUARD_TOKEN belongs to, its role, training and step-up status."""
        with _session(home, as_json) as (access, actor):
            data = access.whoami(actor)
            emit(data, as_json, lambda: stdout.print_json(data=data))

    @users.command("add")
    def users_add(
        name: Annotated[str, typer.Argument(help="Login name.")],
        role: Annotated[str, typer.Option(help="A role of the catalog.")],
        no_totp: Annotated[
            bool, typer.Option("--no-totp", help="No TOTP (refused for roles that need it).")
        ] = False,
        customers_per_hour: Annotated[int | None, typer.Option(help="Tighter hourly customer limit.")] = None,
        max_results: Annotated[int | None, typer.Option(help="Tighter result-size limit.")] = None,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Create a staff user; prints the initial password and TOTP secret once."""
        with _session(home, as_json) as (access, actor):
            password = os.environ.get("PIGUARD_NEW_PASSWORD") or None
            data = access.add_user(
                actor,
                name,
                role,
                password=password,
                totp=not no_totp,
                customers_per_hour=customers_per_hour,
                max_results=max_results,
            )
            emit(
                data,
                as_json,
                lambda: stdout.print(
                    f"user {name} ({role})\n  password: {data['password']}"
                    f"\n  TOTP secret: {data['totp_secret']}\n  TOTP URI: {data['totp_uri']}"
                ),
            )

    @users.command("disable")
    def users_disable(
        name: Annotated[str, typer.Argument(help="User name or id.")],
        reason: Annotated[str, typer.Option(help="Why (recorded).")] = "disabled by an administrator",
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Disable a user: every session stops working on the next request."""
        with _session(home, as_json) as (access, actor):
            data = access.disable(actor, name, reason)
            emit(data, as_json, lambda: stdout.print(f"{name} disabled"))

    @users.command("enable")
    def users_enable(
        name: Annotated[str, typer.Argument()], home: HomeOpt = None, as_json: JsonOpt = False
    ) -> None:
        """Re-enable a disabled or frozen user (old sessions stay revoked)."""
        with _session(home, as_json) as (access, actor):
            data = access.enable(actor, name)
            emit(data, as_json, lambda: stdout.print(f"{name} enabled"))

    @users.command("approve")
    def users_approve(
        name: Annotated[str, typer.Argument(help="User or client name or id.")],
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Approve a pending account as the second person (an administrator other than its creator,
        or an officer): accounts of roles that approve, administer or see data in clear start pending."""
        with _session(home, as_json) as (access, actor):
            data = access.approve_account(actor, name)
            emit(data, as_json, lambda: stdout.print(f"{name} approved"))

    @users.command("unlock")
    def users_unlock(
        name: Annotated[str, typer.Argument()], home: HomeOpt = None, as_json: JsonOpt = False
    ) -> None:
        """Clear a lockout after failed logins."""
        with _session(home, as_json) as (access, actor):
            data = access.unlock(actor, name)
            emit(data, as_json, lambda: stdout.print(f"{name} unlocked"))

    @users.command("reset")
    def users_reset(
        name: Annotated[str, typer.Argument(help="User name or id.")],
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Reset a user's password and TOTP: sessions end; prints a one-time password once."""
        with _session(home, as_json) as (access, actor):
            data = access.reset_credentials(actor, name)
            emit(
                data,
                as_json,
                lambda: stdout.print(
                    f"{name}: credentials reset, every session ended\n"
                    f"  one-time password: {data['one_time_password']} (valid until {data['expires_at']})\n"
                    "  the user sets a new password and TOTP at /console/reset"
                ),
            )

    @users.command("list")
    def users_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
        """Staff users with role, status and lockout."""
        with _session(home, as_json) as (access, actor):
            rows = access.list_principals(actor, "staff")
            emit(rows, as_json, lambda: _table(rows, ["name", "role", "status", "locked", "totp", "id"]))

    @clients.command("add")
    def clients_add(
        name: Annotated[str, typer.Argument(help="Client name.")],
        role: Annotated[str, typer.Option(help="A role of the catalog.")],
        days: Annotated[int | None, typer.Option(help="Key lifetime in days (default 90).")] = None,
        quiet: QuietOpt = False,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Create an API client; prints its key once (``-q``: only the key)."""
        with _session(home, as_json) as (access, actor):
            data = access.add_client(actor, name, role, days=days)
            if quiet and not as_json:
                typer.echo(data["api_key"])
                return
            emit(data, as_json, lambda: stdout.print(f"client {name} ({role}) key: {data['api_key']}"))

    @clients.command("revoke")
    def clients_revoke(
        name: Annotated[str, typer.Argument()], home: HomeOpt = None, as_json: JsonOpt = False
    ) -> None:
        """Revoke an API client: its key stops working on the next request."""
        with _session(home, as_json) as (access, actor):
            data = access.revoke_client(actor, name)
            emit(data, as_json, lambda: stdout.print(f"{name} revoked"))

    @clients.command("list")
    def clients_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
        """API clients with role and status."""
        with _session(home, as_json) as (access, actor):
            rows = access.list_principals(actor, "client")
            emit(rows, as_json, lambda: _table(rows, ["name", "role", "status", "id"]))

    @grants.command("request")
    def grants_request(
        purpose: Annotated[str, typer.Option("--purpose", "-p", help="The purpose the access serves.")],
        reason: Annotated[str, typer.Option(help="Why (shown to the approver, recorded).")],
        customer: Annotated[str | None, typer.Option(help="Customer id (clear-access grants).")] = None,
        export: Annotated[
            bool, typer.Option("--export", help="An export grant instead of clear access.")
        ] = False,
        check_in: Annotated[
            bool,
            typer.Option(
                "--check-in", help="A check-in of one of the customer's stays (then: stays check-in --grant)."
            ),
        ] = False,
        record_type: Annotated[
            str | None, typer.Option("--type", help="Record type (export grants).")
        ] = None,
        rows: Annotated[int | None, typer.Option(help="Most rows (export grants).")] = None,
        fields: Annotated[
            str | None, typer.Option(help="Comma-separated record_type.field (default: all).")
        ] = None,
        minutes: Annotated[int, typer.Option(help="How long, once approved (max 480).")] = 60,
        quiet: QuietOpt = False,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Ask for time-boxed clear access to one customer, or for an export (R-USE-2, R-USE-3);
        ``-q`` prints only the grant id."""
        with _session(home, as_json) as (access, actor):
            names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
            data = access.request_grant(
                actor,
                kind="export" if export else "check_in" if check_in else "clear",
                purpose=purpose,
                reason=reason,
                customer_id=customer,
                record_type=record_type,
                fields=names,
                minutes=minutes,
                max_rows=rows,
                client="cli",
            )
            if quiet and not as_json:
                typer.echo(data["id"])
                return
            emit(
                data,
                as_json,
                lambda: stdout.print(f"grant {data['id']} requested; an approver must approve it"),
            )

    @grants.command("approve")
    def grants_approve(
        grant_id: Annotated[str, typer.Argument(help="Grant id.")],
        reject: Annotated[bool, typer.Option("--reject", help="Reject instead.")] = False,
        minutes: Annotated[int | None, typer.Option(help="Shorten the duration.")] = None,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Approve (or --reject) someone else's grant request."""
        with _session(home, as_json) as (access, actor):
            data = access.decide_grant(actor, grant_id, approve=not reject, minutes=minutes)
            emit(data, as_json, lambda: stdout.print(f"grant {grant_id}: {data['status']}"))

    @grants.command("list")
    def grants_list(
        status: Annotated[
            str | None, typer.Option(help="pending, approved, expired, rejected, used...")
        ] = None,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Your grants, those you may approve, or all (administrators, auditors)."""
        with _session(home, as_json) as (access, actor):
            rows = access.list_grants(actor, status=status)
            emit(
                rows,
                as_json,
                lambda: _table(
                    rows, ["id", "kind", "status", "requester_id", "customer_id", "purpose", "expires_at"]
                ),
            )

    @training.command("record")
    def training_record(
        user: Annotated[str, typer.Argument(help="User name or id.")],
        course: Annotated[str, typer.Option(help="Course name, or the agreement's title.")],
        completed_on: Annotated[str, typer.Option(help="YYYY-MM-DD.")],
        agreement: Annotated[
            bool, typer.Option("--agreement", help="A signed confidentiality agreement.")
        ] = False,
        score: Annotated[int | None, typer.Option(help="0-100.")] = None,
        valid_until: Annotated[
            str | None, typer.Option(help="YYYY-MM-DD (courses default to one year).")
        ] = None,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Record a completed course or a signed agreement (R-TRN-1)."""
        from piguard.errors import ValidationError

        def day(raw: str, name: str) -> date:
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise ValidationError("must be YYYY-MM-DD", name) from None

        with _session(home, as_json) as (access, actor):
            data = access.record_training(
                actor,
                user,
                kind="agreement" if agreement else "course",
                course=course,
                completed_on=day(completed_on, "completed_on"),
                score=score,
                valid_until=day(valid_until, "valid_until") if valid_until else None,
            )
            emit(data, as_json, lambda: stdout.print(f"recorded {data['kind']} for {user}"))

    @training.command("list")
    def training_list(
        user: Annotated[
            str | None, typer.Argument(help="User name or id (default: all you may see).")
        ] = None,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Training records (your own, or everyone's for administrators and auditors)."""
        with _session(home, as_json) as (access, actor):
            rows = access.list_training(actor, user)
            emit(
                rows,
                as_json,
                lambda: _table(
                    rows, ["principal_id", "kind", "course", "completed_on", "valid_until", "score"]
                ),
            )
