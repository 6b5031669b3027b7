"""Consistent copies of one database, in and out: SQLite's online backup API, PostgreSQL's
``pg_dump``/``pg_restore`` (custom format). Plain files here; :mod:`piguard.backup.capability`
seals them at once and removes the copy.

Both copies run while the installation serves (no downtime): SQLite's backup API copies page by
page and restarts if a writer changes a page meanwhile, so the result is one committed state;
``pg_dump`` reads in one repeatable-read snapshot.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from piguard.errors import ConfigError, StorageError

#: Where Debian puts the PostgreSQL client programs when they are not on PATH.
_PG_BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


def backend(url: str) -> str:
    """``sqlite`` or ``postgresql``."""
    return make_url(url).get_backend_name()


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ConfigError("a backup needs a SQLite database file, not an in-memory one")
    return Path(database)


def copy_sqlite(url: str, target: Path) -> None:
    """Copy a live SQLite database into ``target`` through the online backup API."""
    source = sqlite3.connect(sqlite_path(url))
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=4096)
        # The copy stands alone: no WAL beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise StorageError(f"SQLite backup failed ({exc.__class__.__name__})") from exc
    finally:
        copy.close()
        source.close()


def _program(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for directory in _PG_BIN_DIRS:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    raise ConfigError(f"{name} not found: install the PostgreSQL client (Debian: postgresql-client)")


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    parsed: URL = make_url(url)
    args = ["--dbname", str(parsed.database or "")]
    env = dict(os.environ)
    if parsed.host:
        args += ["--host", parsed.host]
    elif "host" in parsed.query:
        args += ["--host", str(parsed.query["host"])]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    if parsed.password:
        # Through the environment, never on a command line other users can list.
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    # The program is found by name (PATH or Debian's directory); the arguments are ours.
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        # The tool's own message names objects, never row values; keep its last line.
        tail = (done.stderr.strip().splitlines() or ["no message"])[-1][:300]
        raise StorageError(f"{what} failed: {tail}")


def dump_postgres(url: str, target: Path, *, schema: str | None, exclude: str | None) -> None:
    """``pg_dump`` one schema (or all but ``exclude``) of ``url`` into ``target`` (custom format)."""
    args, env = _libpq(url)
    command = [_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)]
    if schema:
        command += ["--schema", schema]
    if exclude:
        command += ["--exclude-schema", exclude]
    _run(command + args, env, "pg_dump")


def restore_postgres(url: str, source: Path) -> None:
    """``pg_restore`` a custom-format dump into the (empty) database of ``url``, in one transaction."""
    args, env = _libpq(url)
    command = [
        _program("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ]
    _run(command + args + [str(source)], env, "pg_restore")


def postgres_is_empty(url: str, schemas: tuple[str, ...]) -> bool:
    """Whether none of ``schemas`` holds a table in the database of ``url`` (a restore's target)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = text("SELECT count(*) FROM information_schema.tables WHERE table_schema = ANY(:schemas)")
            return int(conn.execute(query, {"schemas": list(schemas)}).scalar() or 0) == 0
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot reach the restore target ({exc.__class__.__name__})") from exc
    finally:
        engine.dispose()
