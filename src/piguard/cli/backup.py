"""``piguard backup create|verify|restore|ledger``: sealed backups that restore without reviving
the erased.

``create``, ``verify`` and ``ledger`` run declared operations of :class:`~piguard.backup.Backups`
as the acting principal (``administer``). ``restore`` writes a new home from a backup: sealed
until the restored audit chain checks out against the manifest and the live trail, the live
installation's erasure ledger is replayed and sample records open; it needs the master secret
(as ``PIGUARD_MASTER_KEY_FILE`` or ``PIGUARD_MASTER_KEY``), not a login. ``--json`` prints one
JSON document.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from piguard.backup import Backups, read_ledger_file, restore
from piguard.cli.options import HomeOpt, JsonOpt, context, open_home
from piguard.cli.output import emit, reporting, stdout
from piguard.config import default_master_key_file, home_from
from piguard.errors import ConfigError

__all__ = ["register"]

backup_app = typer.Typer(
    help="Encrypted, signed backups; restores that keep the erased erased.", no_args_is_help=True
)


@backup_app.command("create")
def create(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) directory for the backup.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up the data database and the key store, online, sealed and signed."""
    with reporting(as_json), open_home(home) as inst:
        done = inst.capability(Backups).create(context(inst), directory)
    emit(
        done,
        as_json,
        lambda: stdout.print(
            f"backup {done['id']} in {done['directory']}: {done['counts']['customers']} customers, "
            f"{done['counts']['records']} records, {done['bytes']} bytes"
        ),
    )


@backup_app.command("verify")
def verify(
    directory: Annotated[Path, typer.Argument(help="The backup directory.")],
    scratch_url: Annotated[
        str | None,
        typer.Option(
            "--scratch-url", help="PostgreSQL: an empty database to restore into (default: a temporary one)."
        ),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the signature and checksums, restore into a throwaway home, verify the audit chain
    and open sample records."""
    with reporting(as_json), open_home(home) as inst:
        done = inst.capability(Backups).verify(context(inst), directory, scratch_url=scratch_url)
    emit(
        done,
        as_json,
        lambda: stdout.print(
            f"backup {done['id']} verifies: chain of {done['chain']['entries']} entries, "
            f"{done['sample']['records']} sample records open"
        ),
    )


@backup_app.command("ledger")
def ledger(
    out: Annotated[Path, typer.Option("--out", help="Where to write the ledger (JSON Lines).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write this installation's erasure ledger to a file (keep it off-site with the backups: a
    restore replays it when the live key store is gone)."""
    with reporting(as_json), open_home(home) as inst:
        entries = inst.capability(Backups).ledger(context(inst))
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for entry in entries:
                fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
    done = {"file": str(out), "entries": len(entries)}
    emit(done, as_json, lambda: stdout.print(f"{len(entries)} ledger entries written to {out}"))


@backup_app.command("restore")
def restore_command(
    directory: Annotated[Path, typer.Argument(help="The backup directory.")],
    new_home: Annotated[Path, typer.Option("--home", help="The new home to restore into (must not exist).")],
    live: Annotated[
        Path | None,
        typer.Option("--from", help="The live home whose erasure ledger to replay (default: $PIGUARD_HOME)."),
    ] = None,
    ledger_file: Annotated[
        Path | None, typer.Option("--ledger", help="An erasure ledger written by 'piguard backup ledger'.")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="PostgreSQL: the new home's (empty) database; default SQLite in the home."
        ),
    ] = None,
    no_ledger: Annotated[
        bool,
        typer.Option(
            "--no-ledger", help="Restore without a ledger: customers erased since the backup come back."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into a new home, sealed until its checks pass; erasures made since the
    backup are replayed from the live installation's ledger."""
    with reporting(as_json):
        env = dict(os.environ)
        env.pop("PIGUARD_DATABASE_URL", None)
        env.pop("PIGUARD_KEYSTORE_URL", None)
        if database_url:
            env["PIGUARD_DATABASE_URL"] = database_url
        done = _restore(directory, new_home, env, live, ledger_file, no_ledger)
    emit(
        done,
        as_json,
        lambda: stdout.print(
            f"restored backup {done['backup']} into {done['home']}: {done['customers']} customers; "
            f"{done['replayed']['customers']} erased again from the ledger; unsealed"
        ),
    )


def _restore(
    directory: Path,
    new_home: Path,
    env: dict[str, str],
    live: Path | None,
    ledger_file: Path | None,
    none: bool,
) -> dict[str, Any]:
    master = default_master_key_file(home_from(live))
    if not ({"PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE"} & set(env)) and master.exists():
        env["PIGUARD_MASTER_KEY_FILE"] = str(master)
    if ledger_file is not None:
        return {
            **restore(directory, new_home, environ=env, ledger=read_ledger_file(ledger_file), live_trail=None)
        }
    if none:
        report = restore(directory, new_home, environ=env, ledger=[], live_trail=None)
        return {**report, "warning": "no erasure ledger replayed"}
    source = home_from(live)
    if not (source / "piguard.json").exists() or source.resolve() == new_home.resolve():
        raise ConfigError(
            "a restore replays the live installation's erasure ledger: give --from HOME, "
            "--ledger FILE, or --no-ledger"
        )
    with open_home(source) as inst:
        backups = inst.capability(Backups)
        entries = backups.ledger(context(inst))
        return restore(directory, new_home, environ=env, ledger=entries, live_trail=backups)


def register(app: typer.Typer) -> None:
    """Add ``backup`` to the main CLI."""
    app.add_typer(backup_app, name="backup")
