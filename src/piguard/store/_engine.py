"""Engines, SQLite pragmas, transactions and error translation, shared by both databases.

Errors leave the store as :class:`~piguard.errors.StorageError` or
:class:`~piguard.errors.Conflict`. Their messages name the operation and the driver's
error code only: SQLAlchemy's text would carry the bound parameters, and PostgreSQL's
DETAIL line carries key values, so the original exception is deliberately not chained.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url

from piguard.errors import ConfigError, Conflict, StorageError, StoreBusy

#: Execution option naming how a SQLite transaction begins (DEFERRED or IMMEDIATE).
BEGIN_OPTION = "piguard_sqlite_begin"

_UNIQUE_SQLITE = frozenset({"SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"})
_UNIQUE_PG = "23505"
#: PostgreSQL refusals that mean "others hold what you need; try again": serialization failure,
#: deadlock detected, lock not available, too many connections, cannot connect now.
_BUSY_PG = frozenset({"40001", "40P01", "55P03", "53300", "57P03"})
#: How often a write transaction's BEGIN is retried after SQLite gave up waiting on its own
#: (busy_timeout) or refused without waiting (a lock it could only get by deadlocking), and the
#: first pause; each pause doubles, with jitter so that writers of several processes spread out.
BEGIN_ATTEMPTS = 3
BEGIN_BACKOFF_S = 0.02
#: What a busy refusal tells the caller to wait before retrying (the API's Retry-After).
RETRY_AFTER_S = 1.0


def parse_url(url: str | URL) -> URL:
    """Parse a database URL, pinning PostgreSQL to psycopg 3.

    :raises ConfigError: the URL is malformed or names an unsupported database.
    """
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise ConfigError("malformed database URL") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return parsed.set(drivername="sqlite+pysqlite")
    raise ConfigError(f"unsupported database {parsed.drivername!r}: use sqlite:// or postgresql+psycopg://")


def make_engine(url: URL, *, pragmas: Mapping[str, str] = {}) -> Engine:
    """Create an engine; for SQLite, apply ``pragmas`` to every new connection.

    SQLite connections also take over transaction control from the ``sqlite3``
    module, whose implicit BEGINs break SAVEPOINT; each transaction instead starts
    with an explicit BEGIN of the kind the :data:`BEGIN_OPTION` execution option asks for.

    :param pragmas: SQLite pragma name -> value, applied in order (ignored for PostgreSQL).
    """
    # hide_parameters keeps row values out of SQLAlchemy's exception text, should one
    # ever escape the translation below.
    engine = create_engine(url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine, dict(pragmas))
    return engine


def _install_sqlite_hooks(engine: Engine, pragmas: dict[str, str]) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy's "begin" hook below issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for name, value in pragmas.items():
                cursor.execute(f"PRAGMA {name}={value}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        # Straight to the driver: every read and write begins here, and going through
        # exec_driver_sql cost ~15 % of a served read (py-spy under load).
        raw = connection.connection.dbapi_connection
        assert raw is not None
        raw.execute(f"BEGIN {mode}")


class WriteFlag(threading.local):
    """Per thread: whether it is inside a write transaction (see :func:`write_transaction`)."""

    held = False


@contextmanager
def write_transaction(engine: Engine, flag: WriteFlag | None = None) -> Iterator[Connection]:
    """Yield a connection inside a transaction that is meant to write.

    On SQLite the transaction begins IMMEDIATE: it takes the write lock up front
    (waiting up to busy_timeout) instead of failing with SQLITE_BUSY when a read turns
    into a write after another writer committed. PostgreSQL is unaffected.

    Database errors escaping the block (say, from the caller's own statements) are
    translated as well; store methods translate theirs first, more precisely.

    :param flag: set while the transaction is open, and cleared once it has ended but before
        its connection goes back to the pool (where committed audit entries are delivered, and
        delivery may write).
    :raises Conflict: a unique key was violated.
    :raises StorageError: the database failed, including at commit.
    """
    with translate("transaction", conflict="a row with this key already exists"):
        with engine.connect() as connection:
            connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            if flag is not None:
                flag.held = True
            try:
                with _begin(connection):
                    yield connection
            finally:
                if flag is not None:
                    flag.held = False


def _begin(connection: Connection) -> Any:
    """``connection.begin()``, retried with bounded, jittered back-off while the database is busy.

    Only the BEGIN is retried: nothing has been done in the transaction yet, so a retry cannot
    repeat a change. Past the last attempt the busy error propagates (and becomes
    :class:`StoreBusy`).
    """
    pause = BEGIN_BACKOFF_S
    for attempt in range(BEGIN_ATTEMPTS):
        try:
            return connection.begin()
        except (exc.OperationalError, sqlite3.OperationalError, psycopg.OperationalError) as error:
            if attempt == BEGIN_ATTEMPTS - 1 or not is_busy(error):
                raise
            if connection.in_transaction():  # pragma: no cover - a failed BEGIN opens none
                connection.rollback()
            time.sleep(pause * (0.5 + random.random()))  # jitter, not a secret
            pause *= 4
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """Yield a connection inside a transaction that only reads (a consistent snapshot
    on SQLite; READ COMMITTED on PostgreSQL).

    :raises StorageError: the database failed.
    """
    with translate("read", conflict="a row with this key already exists"):
        with engine.connect() as connection:
            with connection.begin():
                yield connection


def _driver_error(error: BaseException) -> BaseException:
    return error.orig if isinstance(error, exc.DBAPIError) and error.orig is not None else error


def _is_unique_violation(error: BaseException) -> bool:
    orig = _driver_error(error)
    if isinstance(orig, sqlite3.IntegrityError):
        return getattr(orig, "sqlite_errorname", "") in _UNIQUE_SQLITE
    if isinstance(orig, psycopg.Error):
        return orig.sqlstate == _UNIQUE_PG
    return False


def is_busy(error: BaseException) -> bool:
    """Whether the driver refused because other connections hold a lock (retryable)."""
    orig = _driver_error(error)
    if isinstance(orig, sqlite3.Error):
        name = getattr(orig, "sqlite_errorname", "")
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(orig)
    if isinstance(orig, psycopg.Error):
        return orig.sqlstate in _BUSY_PG
    return False


def _describe(error: BaseException) -> str:
    """Say what the driver reported, without any values."""
    orig = _driver_error(error)
    if isinstance(orig, psycopg.Error):
        # The primary message names constraints and tables; DETAIL (with values) is left out.
        return f"{orig.sqlstate or type(orig).__name__}: {orig.diag.message_primary or type(orig).__name__}"
    if isinstance(orig, sqlite3.Error):
        # SQLite's messages name tables and columns, never values.
        return f"{getattr(orig, 'sqlite_errorname', type(orig).__name__)}: {orig}"
    return type(orig).__name__


@contextmanager
def translate(operation: str, *, conflict: str | None = None) -> Iterator[None]:
    """Turn database errors raised inside the block into piguard errors.

    :param operation: what was being done, for the message.
    :param conflict: if given, a unique-key violation becomes :class:`Conflict` with
        this message.
    :raises Conflict: a unique key was violated and ``conflict`` was given.
    :raises StorageError: any other database failure.
    """
    try:
        yield
    except (exc.SQLAlchemyError, sqlite3.Error, psycopg.Error) as error:
        if conflict is not None and _is_unique_violation(error):
            raise Conflict(conflict) from None
        if is_busy(error):
            busy = f"{operation} refused: the database is busy ({_describe(error)})"
            raise StoreBusy(busy, RETRY_AFTER_S) from None
        raise StorageError(f"{operation} failed ({_describe(error)})") from None
