"""``piguard``: the command-line interface.

Every command accepts ``--json`` and then prints exactly one JSON document. Commands
reach customer data only through the gate and its capabilities. This module only assembles:
each capability's commands live in their own module (``records``, ``access``, ``consent``,
``audit``, ``catalog``, ``scan``, ``operations``, ``serve``), sharing :mod:`piguard.cli.options`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from piguard.cli import access as access_cli
from piguard.cli import accounts as accounts_cli
from piguard.cli import audit as audit_cli
from piguard.cli import catalog as catalog_cli
from piguard.cli import consent as consent_cli
from piguard.cli import holds as holds_cli
from piguard.cli import jobs as jobs_cli
from piguard.cli import operations as operations_cli
from piguard.cli import outbox as outbox_cli
from piguard.cli import records as records_cli
from piguard.cli import retention as retention_cli
from piguard.cli import rights as rights_cli
from piguard.cli import scan
from piguard.cli import serve as serve_cli
from piguard.cli import sharing as sharing_cli
from piguard.cli import stays as stays_cli
from piguard.cli.options import HomeOpt, JsonOpt, context, open_home
from piguard.cli.output import emit, new_table, print_table, reporting, stdout
from piguard.config import home_from
from piguard.installation import init_home

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="piguard: customer personal-information guard."
)
catalog_app = typer.Typer(no_args_is_help=True, help="The catalog: fields, purposes, roles.")
app.add_typer(catalog_app, name="catalog")


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


@catalog_app.command("check")
def catalog_check(
    file: Annotated[Path, typer.Argument(help="Catalog YAML file.")],
    as_json: JsonOpt = False,
) -> None:
    """Lint a catalog, including PIPL rules; exit 2 if any finding is an error."""
    from piguard.catalog import lint, load_catalog

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


# Each capability's commands, owned by its CLI module.
catalog_cli.register(catalog_app)
records_cli.register(app)
access_cli.register(app)
consent_cli.register(app)
audit_cli.register(app)
serve_cli.register(app)
scan.register(app)
operations_cli.register(app)
jobs_cli.register(app)
outbox_cli.register(app)
rights_cli.register(app)
holds_cli.register(app)
retention_cli.register(app)
sharing_cli.register(app)
accounts_cli.register(app)
stays_cli.register(app)

if __name__ == "__main__":  # pragma: no cover
    app()
