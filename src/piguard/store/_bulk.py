"""Fast bulk insert, below SQLAlchemy's statement layer.

Measured on the development VM (2 vCPU, shared with other work, so roughly), inserting
200,000 records of 300 payload bytes plus 800,000 blind-index rows in 20 transactions
of 10,000 records:

==========  ===================================  ==============================
backend     path                                 records/s (records + index rows/s)
==========  ===================================  ==============================
SQLite      SQLAlchemy Core executemany          ~7,900 (~39,000)
SQLite      DBAPI ``cursor.executemany``         ~15,100 (~76,000)
PostgreSQL  SQLAlchemy Core (insertmanyvalues)   ~6,100 (~30,000)
PostgreSQL  psycopg ``executemany`` (pipeline)   ~8,300 (~41,000)
PostgreSQL  psycopg ``COPY FROM STDIN``          ~17,000 (~85,000)
==========  ===================================  ==============================

so SQLite uses the DBAPI cursor and PostgreSQL uses COPY. Values still pass through the
columns' own bind processors (e.g. :class:`~piguard.store.tables.UTCDateTime`), so what
lands on disk is exactly what the SQLAlchemy path would have written and reads back the
same way. A unique-key violation still raises (COPY is all-or-nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table


def _processors(conn: Connection, columns: Sequence[Column[Any]]) -> list[tuple[int, Callable[[Any], Any]]]:
    found = []
    for position, column in enumerate(columns):
        process = column.type.bind_processor(conn.dialect)
        if process is not None:
            found.append((position, process))
    return found


def _bound(
    rows: Iterable[tuple[Any, ...]], processors: list[tuple[int, Callable[[Any], Any]]]
) -> Iterable[Any]:
    if not processors:
        yield from rows
        return
    for row in rows:
        values = list(row)
        for position, process in processors:
            values[position] = process(values[position])
        yield values


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[Column[Any]], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` through the driver.

    Runs inside the caller's transaction. Raises the driver's own exceptions; wrap the
    call in :func:`piguard.store._engine.translate`.
    """
    preparer = conn.dialect.identifier_preparer
    target = preparer.format_table(table)
    names = ", ".join(preparer.quote(column.name) for column in columns)
    values = _bound(rows, _processors(conn, columns))
    driver = conn.connection.dbapi_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {target} ({names}) VALUES ({marks})", values)
    finally:
        cursor.close()
