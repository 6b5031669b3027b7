"""``piguard``: the command-line interface.

Every command accepts ``--json`` and then prints exactly one JSON document. Commands
reach customer data only through the gate and its capabilities. This module only assembles:
each capability's commands live in their own module (``records``, ``access``, ``consent``,
``audit``, ``catalog``, ``scan``, ``operations``, ``serve``), sharing :mod:`piguard.cli.options`.

**Start-up:** importing this module imports Typer and nothing of the stack. A command's
module, and what it needs (FastAPI, SQLAlchemy, the installation, the catalog machinery),
is imported only when that command runs or shows its own ``--help``: ``piguard --help``
reads :data:`COMMANDS` alone (issue 19: it took seconds when every module was imported).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from piguard.cli.options import HomeOpt, JsonOpt

# --- Command registration --------------------------------------------------------------
# Each command module under piguard/cli keeps its ``register(app)`` function, which adds
# its commands and groups to a Typer app, as before. This table says, for every top-level
# name a module registers, which module and the first paragraph of its help (what
# ``piguard --help`` prints). To add a command or group, write the module with
# ``register(app)``, then add one line per name here:
#
#     "name": ("module", "First paragraph of its help."),
#
# ``module`` is the module's name in piguard.cli, or "module:function" for another
# register function. tests/cli/test_startup.py fails when this table and what the
# modules register differ, and prints the lines to paste.
COMMANDS: dict[str, tuple[str, str]] = {
    "import": (
        "records",
        "Bulk import; each row is stored whole or rejected with its row number, field and reason.",
    ),
    "import-template": (
        "records",
        "An empty import file for a record type: the header row of its columns' labels (CSV).",
    ),
    "get": ("records", "Read one record through the gate (masked or denied per field)."),
    "search": ("records", "Exact search through the blind index (``-q``: only the customer ids)."),
    "match": (
        "records",
        "Does the value the caller states match the customer's field? Prints yes or no, never the value.",
    ),
    "erase": (
        "records",
        "Crypto-shred a customer: destroy their data key, then their records and index entries.",
    ),
    "reindex": (
        "records",
        (
            "Rebuild the search index from the sealed values; run once after an upgrade that changes"
            " how values are matched (e.g. names now fold middle dots, full-width forms and case)."
            " Idempotent and online: an interrupted run is finished by running it again."
        ),
    ),
    "login": (
        "access",
        "Log in (password + TOTP) and print a session token for PIGUARD_TOKEN; or --step-up.",
    ),
    "whoami": ("access", "Who PIGUARD_TOKEN belongs to, its role, training and step-up status."),
    "serve": ("serve", "Start the HTTP API and the staff console (at /console)."),
    "scan": (
        "scan",
        "Report where personal information sits: file or table, column or line, type, count, masked samples.",
    ),
    "mask": ("scan", "Read text on standard input and write it with personal information masked."),
    "operations": ("operations", "Every operation the gate can be asked to do (declarations only, no data)."),
    "catalog": ("main:register_catalog", "The catalog: fields, purposes, roles."),
    "keys": ("records", "Key-encryption keys: status, rotation, retirement."),
    "users": ("access", "Staff users: add, disable, enable, unlock, reset, list."),
    "clients": ("access", "API clients (scoped keys): add, revoke, list."),
    "grants": ("access", "Just-in-time grants: request, approve, list."),
    "training": ("access", "Training and confidentiality records (R-TRN-1)."),
    "consent": ("consent", "Customers' consents: grant, withdraw, show (PIPL 14-16)."),
    "notices": ("consent", "Privacy notices: publish and list versions (R-COL-8)."),
    "minors": ("consent", "Minors: the 14th/18th birthday re-evaluation (R-MIN-4)."),
    "audit": ("audit", "The tamper-evident audit trail: verify, query, export."),
    "alerts": ("audit", "Monitoring alerts: list and acknowledge."),
    "jobs": ("jobs", "Scheduled jobs (leased in the database: one run per due job)."),
    "outbox": ("outbox", "Messages to customers (status only; the outbox job sends them)."),
    "requests": ("rights", "Data-subject requests (PIPL 44-50): cases with a deadline."),
    "complaints": ("rights", "Complaints about PI handling (NDSMR 20): cases with a deadline."),
    "holds": ("holds", "Legal holds: customers whose data may not be destroyed."),
    "retention": ("retention", "Retention and destruction records."),
    "accounts": ("accounts", "Customer accounts: the end of a relationship, a contract or a purpose."),
    "stays": ("stays", "Hotel stays: register, check in, check out."),
    "backup": ("backup", "Encrypted, signed backups; restores that keep the erased erased."),
    "compliance": (
        "compliance",
        "Compliance evidence: checks, record of processing, governance, signed reports.",
    ),
    "incidents": (
        "incidents",
        "Incidents: register, affected customers from the audit trail, grading, notices, containment.",
    ),
    "partners": ("sharing", "The partner register: who may receive customer data."),
    "agreements": ("sharing", "Agreements with partners: the exact fields and rules."),
    "assessments": ("sharing", "Impact assessments (PIPIA, GB/T 39335-2020)."),
    "transfers": ("sharing", "The transfer log (kept at least 3 years)."),
    "share": ("sharing", "Share customers' data with a partner under an agreement, desensitised and logged."),
    "disclose": ("sharing", "Disclose customers' data publicly: separate consent and a PIPIA, logged."),
    "extract": ("sharing", "An anonymised extract: refused (non-zero exit) unless k (and l) are reached."),
}


def register_catalog(app: typer.Typer) -> None:
    """Add the ``catalog`` group: ``catalog check`` (here) and the catalog module's commands."""
    from piguard.cli import catalog as catalog_cli

    catalog_app = typer.Typer(no_args_is_help=True, help="The catalog: fields, purposes, roles.")
    catalog_app.command("check")(catalog_check)
    catalog_cli.register(catalog_app)
    app.add_typer(catalog_app, name="catalog")


@cache
def _module_group(spec: str) -> TyperGroup:
    # The click group of everything one register function adds (imported on first use).
    module, _, function = spec.partition(":")
    register: Callable[[typer.Typer], None] = getattr(
        importlib.import_module(f"piguard.cli.{module}"), function or "register"
    )
    sub = typer.Typer()
    register(sub)
    group = typer.main.get_group(sub)
    assert isinstance(group, TyperGroup)  # typer builds a group for a Typer app
    return group


class _LazyGroup(TyperGroup):
    """The top-level group: commands of :data:`COMMANDS` are loaded when used."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMANDS:
            return command
        spec, help_text = COMMANDS[cmd_name]
        if self._listing:
            # The top-level help lists names and first paragraphs only.
            return TyperCommand(cmd_name, help=help_text, short_help=help_text, rich_markup_mode=None)
        return _module_group(spec).commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def full_app() -> typer.Typer:
    """The CLI with every module's commands registered eagerly (tests that walk all commands)."""
    full = typer.Typer(add_completion=False, no_args_is_help=True, help=app.info.help)
    full.registered_commands.extend(app.registered_commands)
    for spec in dict.fromkeys(spec for spec, _ in COMMANDS.values()):
        module, _, function = spec.partition(":")
        getattr(importlib.import_module(f"piguard.cli.{module}"), function or "register")(full)
    return full


app = typer.Typer(
    cls=_LazyGroup,
    # Plain click help at the top level: Rich's help renderer costs more to import
    # (~0.1-0.3 s) than the rest of ``piguard --help``. Each command's own --help keeps Rich.
    rich_markup_mode=None,
    add_completion=False,
    no_args_is_help=True,
    help="piguard: customer personal-information guard.",
)


@app.command()
def init(
    home: HomeOpt = None,
    profile: Annotated[
        str, typer.Option(help="Catalog profile: default, bank, hotel, ecommerce, call_centre.")
    ] = "default",
    catalog: Annotated[Path | None, typer.Option(help="Use this catalog file instead of a profile.")] = None,
    suite: Annotated[str, typer.Option(help="Cipher suite: aes256-gcm or sm4-gcm.")] = "aes256-gcm",
    keyring: Annotated[str, typer.Option(help="KEK provider: file or pkcs11.")] = "file",
    pkcs11_module: Annotated[str | None, typer.Option(help="PKCS#11 module path.")] = None,
    pkcs11_token: Annotated[str | None, typer.Option(help="PKCS#11 token label.")] = None,
    expected_customers: Annotated[int, typer.Option(help="Sizes the blind indexes.")] = 1_000_000,
    as_json: JsonOpt = False,
) -> None:
    """Create a home: settings, catalog, keyring, databases. Prints the bootstrap credential once."""
    from piguard.cli.output import emit, reporting, stdout
    from piguard.config import home_from
    from piguard.installation import init_home

    with reporting(as_json):
        result = init_home(
            home_from(home),
            profile=profile,
            catalog_file=catalog,
            suite=suite,
            keyring_kind=keyring,
            pkcs11_module=pkcs11_module,
            pkcs11_token=pkcs11_token,
            expected_customers=expected_customers,
        )
        data = result.as_dict()

        def human() -> None:
            stdout.print(f"Initialised [bold]{data['home']}[/bold]")
            for key in ("catalog", "keyring", "database_url", "keystore_url", "master_key_file"):
                stdout.print(f"  {key}: {data[key]}")
            stdout.print(f"  bootstrap token (shown once): [bold]{data['bootstrap_token']}[/bold]")

        emit(data, as_json, human)


def catalog_check(
    file: Annotated[Path, typer.Argument(help="Catalog YAML file.")],
    as_json: JsonOpt = False,
) -> None:
    """Lint a catalog, including PIPL rules; exit 2 if any finding is an error."""
    from piguard.catalog import lint, load_catalog
    from piguard.cli.output import emit, reporting, stdout

    with reporting(as_json):
        cat = load_catalog(file)
        findings = lint(cat)
        errors = [f for f in findings if f.severity == "error"]
        data = {
            "file": str(file),
            "ok": not errors,
            "findings": [
                {"severity": f.severity, "path": f.path, "rule": f.rule_id, "message": f.message}
                for f in findings
            ],
        }

        def human() -> None:
            for f in findings:
                stdout.print(f"{f.severity}: {f.path}: [{f.rule_id}] {f.message}")
            stdout.print("ok" if not errors else f"{len(errors)} error(s)")

        emit(data, as_json, human)
        if errors:
            raise typer.Exit(2)


@app.command()
def demo(
    customers: Annotated[int, typer.Option(help="How many synthetic customers.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same people).")] = 2024,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load synthetic demo customers (faker zh_CN) with orders, notes, stays and accounts; publish
    the shipped privacy notice (if none is) and record demo consents, some withdrawn."""
    from piguard.cli import records as records_cli
    from piguard.cli.options import context, open_home
    from piguard.cli.output import emit, new_table, print_table, reporting, stdout
    from piguard.consent import shipped_notice
    from piguard.consent.capability import Consent
    from piguard.demo import load_demo

    with reporting(as_json), open_home(home) as inst:
        staff = inst.access.create_demo_staff(inst.catalog)
        consent = inst.capability(Consent)
        setup = context(inst)
        notice = next(iter(consent.notices(setup, "privacy")), None)
        if notice is None:
            title, text_zh, text_en = shipped_notice("privacy")
            notice = consent.publish_notice(setup, text_zh, text_en, title=title)
        with records_cli.progress() as bar:
            task = bar.add_task("demo data", total=customers)
            summary = load_demo(
                inst.gate,
                context(inst, "service"),
                customers,
                seed=seed,
                progress=lambda n: bar.advance(task, n),
                consent=consent,
            )
        summary["notice_version"] = notice.version
        # Demo staff credentials are printed once, here; only their hashes are stored.
        summary["staff"] = staff

        def human() -> None:
            stdout.print_json(data={k: v for k, v in summary.items() if k != "staff"})
            table = new_table("role", "user", "password", "TOTP secret")
            for person in staff:
                table.add_row(person["role"], person["name"], person["password"], person["totp_secret"])
            print_table(table)

        emit(summary, as_json, human)


if __name__ == "__main__":  # pragma: no cover
    app()
