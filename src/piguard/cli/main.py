"""``piguard``: the command-line interface.

Every command accepts ``--json`` and then prints exactly one JSON document. Commands
reach customer data only through the gate (:class:`piguard.service.Service`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from piguard.cli import access as access_cli
from piguard.cli import audit as audit_cli
from piguard.cli import consent as consent_cli
from piguard.cli import scan
from piguard.cli import serve as serve_cli
from piguard.cli.output import emit, reporting, stderr, stdout
from piguard.config import home_from
from piguard.installation import Installation, init_home
from piguard.service import RequestContext
from piguard.vault.readers import count_rows, detect_format, read_rows

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="piguard: customer personal-information guard."
)
keys_app = typer.Typer(no_args_is_help=True, help="Key-encryption keys: status, rotation, retirement.")
catalog_app = typer.Typer(no_args_is_help=True, help="The catalog: fields, purposes, roles.")
app.add_typer(keys_app, name="keys")
app.add_typer(catalog_app, name="catalog")

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Home directory (default $PIGUARD_HOME or ./.piguard).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
PurposeOpt = Annotated[str, typer.Option("--purpose", "-p", help="Why: a purpose of the catalog.")]
TypeOpt = Annotated[str, typer.Option("--type", "-t", help="Record type.")]


def _open(home: Path | None) -> Installation:
    return Installation(home_from(home))


def _ctx(inst: Installation, purpose: str) -> RequestContext:
    """The caller: the principal of ``PIGUARD_TOKEN``, else the local operator as bootstrap
    administrator, who may set up and write but reads no customer data."""
    return RequestContext(access_cli.current_actor(inst.access), purpose, client="cli")


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
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


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV (with header) or JSON Lines file.")],
    record_type: TypeOpt = "customer",
    purpose: PurposeOpt = "service",
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the file name).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bulk import; each row is stored whole or rejected with its row number, field and reason."""
    with reporting(as_json), _open(home) as inst:
        kind = detect_format(file, fmt)
        total = count_rows(file, kind)
        with _progress() as bar:
            task = bar.add_task("importing", total=total)
            report = inst.service.import_rows(
                _ctx(inst, purpose),
                record_type,
                read_rows(file, kind),
                progress=lambda n: bar.advance(task, n),
            )
        data = {
            "accepted": report.accepted,
            "rejected": [r.as_dict() for r in report.rejected],
            "ids": report.ids,
        }

        def human() -> None:
            stdout.print(f"accepted {report.accepted}, rejected {len(report.rejected)}")
            for r in report.rejected[:50]:
                stdout.print(f"  row {r.row}: {r.field or '-'}: {r.reason}")

        emit(data, as_json, human)


@app.command()
def get(
    record_id: Annotated[str, typer.Argument(help="Customer id (or record id with --type).")],
    purpose: PurposeOpt,
    fields: Annotated[str | None, typer.Option(help="Comma-separated field names (default: all).")] = None,
    record_type: TypeOpt = "customer",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read one record through the gate (masked or denied per field)."""
    with reporting(as_json), _open(home) as inst:
        names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        views = inst.service.read(_ctx(inst, purpose), record_type, record_id, names)
        data = {
            "id": record_id,
            "type": record_type,
            "fields": {k: v.value for k, v in views.items()},
            "levels": {k: v.level for k, v in views.items()},
        }

        def human() -> None:
            table = Table("field", "value", "shown as")
            for k, v in views.items():
                table.add_row(k, v.value if v.value is not None else "", v.level)
            stdout.print(table)

        emit(data, as_json, human)


@app.command()
def search(
    field: Annotated[str, typer.Argument(help="A searchable field, e.g. mobile.")],
    value: Annotated[str, typer.Argument(help="The exact value (normalised like on import).")],
    purpose: PurposeOpt,
    record_type: TypeOpt = "customer",
    limit: Annotated[int, typer.Option(help="Most matches returned.")] = 50,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Exact search through the blind index."""
    with reporting(as_json), _open(home) as inst:
        refs = inst.service.search(_ctx(inst, purpose), record_type, field, value, limit=limit)
        data = [{"id": r.record_id, "customer_id": r.customer_id, "type": r.record_type} for r in refs]

        def human() -> None:
            stdout.print(f"{len(data)} match(es)")
            for d in data:
                stdout.print(f"  {d['id']}")

        emit(data, as_json, human)


@app.command()
def erase(
    customer_id: Annotated[str, typer.Argument(help="Customer id.")],
    reason: Annotated[str, typer.Option(help="Why (recorded).")],
    purpose: PurposeOpt = "service",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Crypto-shred a customer: destroy their data key, then their records and index entries."""
    with reporting(as_json), _open(home) as inst:
        count = inst.service.erase(_ctx(inst, purpose), customer_id, reason=reason)
        emit(
            {"erased": customer_id, "records_deleted": count, "key_destroyed": True},
            as_json,
            lambda: stdout.print(f"erased {customer_id}: {count} record(s), data key destroyed"),
        )


@keys_app.command("status")
def keys_status(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """KEK versions and how many data keys each wraps."""
    with reporting(as_json), _open(home) as inst:
        data = inst.service.key_status(_ctx(inst, ""))
        emit(data, as_json, lambda: stdout.print_json(data=data))


@keys_app.command("rotate")
def keys_rotate(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Add a KEK version and re-wrap every data key under it, online."""
    with reporting(as_json), _open(home) as inst:
        total = sum(inst.keys.count_by_kek_version().values())
        with _progress() as bar:
            task = bar.add_task("re-wrapping", total=total)
            data = inst.service.rotate_keys(_ctx(inst, ""), progress=lambda n: bar.advance(task, n))
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
    with reporting(as_json), _open(home) as inst:
        inst.service.retire_key(_ctx(inst, ""), version)
        emit({"retired": version}, as_json, lambda: stdout.print(f"KEK version {version} retired"))


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
    """Load synthetic demo customers (faker zh_CN) with orders, notes, stays and accounts."""
    from piguard.demo import load_demo

    with reporting(as_json), _open(home) as inst:
        staff = inst.access.create_demo_staff(inst.catalog)
        with _progress() as bar:
            task = bar.add_task("demo data", total=customers)
            summary = load_demo(
                inst.service,
                _ctx(inst, "service"),
                customers,
                seed=seed,
                progress=lambda n: bar.advance(task, n),
            )
        # Demo staff credentials are printed once, here; only their hashes are stored.
        summary["staff"] = staff

        def human() -> None:
            stdout.print_json(data={k: v for k, v in summary.items() if k != "staff"})
            table = Table("role", "user", "password", "TOTP secret")
            for person in staff:
                table.add_row(person["role"], person["name"], person["password"], person["totp_secret"])
            stdout.print(table)

        emit(summary, as_json, human)


# Command groups owned by their packages' CLI modules.
access_cli.register(app)
consent_cli.register(app)
audit_cli.register(app)
serve_cli.register(app)
scan.register(app)

if __name__ == "__main__":  # pragma: no cover
    app()
