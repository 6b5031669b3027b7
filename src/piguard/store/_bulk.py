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

so SQLite uses the DBAPI cursor and PostgreSQL uses COPY. Through
``Database.insert_records`` (validation, savepoint and bind processors included) the
same load then ran at ~13,000-15,000 records/s on SQLite and ~23,000-26,000 on
PostgreSQL (test server: fsync off, same VM). Values still pass through the
columns' own bind processors (e.g. :class:`~piguard.store.tables.UTCDateTime`), so what
lands on disk is exactly what the SQLAlchemy path would have written and reads back the
same way. A unique-key violation still raises (COPY is all-or-nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table

Processor = Callable[[Any], Any]


def _processors(conn: Connection, columns: Sequence[Column[Any]]) -> list[tuple[int, Processor]]:
    found: list[tuple[int, Processor]] = []
    for position, column in enumerate(columns):
        process = column.type.bind_processor(conn.dialect)
        if process is not None:
            found.append((position, process))
    return found


def _memoized(process: Processor) -> Processor:
    # A batch usually carries one timestamp many times over; converting it once per
    # distinct value halves the SQLite insert time. Values that processors touch here
    # (datetimes) are hashable, and equal values always convert equally.
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            converted = cache[value] = process(value)
            return converted

    return convert


def _bound(rows: Iterable[Sequence[Any]], processors: list[tuple[int, Processor]]) -> Iterator[Sequence[Any]]:
    if not processors:
        yield from rows
        return
    memoized = [(position, _memoized(process)) for position, process in processors]
    for row in rows:
        values = list(row)
        for position, convert in memoized:
            values[position] = convert(values[position])
        yield values


def _target(conn: Connection, table: Table) -> str:
    """The quoted table name, with the connection's schema translation applied.

    Raw SQL bypasses SQLAlchemy's schema_translate_map (the key store's PostgreSQL schema),
    so it is applied here.
    """
    preparer = conn.dialect.identifier_preparer
    schema = (conn.get_execution_options().get("schema_translate_map") or {}).get(table.schema)
    if schema:
        return f"{preparer.quote_schema(schema)}.{preparer.quote(table.name)}"
    return preparer.format_table(table)


def bulk_update(
    conn: Connection,
    table: Table,
    set_columns: Sequence[Column[Any]],
    where_columns: Sequence[Column[Any]],
    rows: Iterable[tuple[Any, ...]],
) -> int:
    """``UPDATE table SET set_columns WHERE where_columns`` for each row (set values first,
    then where values), through the driver's executemany; returns the rows changed.

    Both sqlite3 and psycopg sum the row counts of an executemany, which is what a
    compare-and-set batch needs. Measured on key rotation: 70 µs a key with one statement
    per row through SQLAlchemy, a few µs this way.
    """
    preparer = conn.dialect.identifier_preparer
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    assignments = ", ".join(f"{preparer.quote(c.name)} = {mark}" for c in set_columns)
    conditions = " AND ".join(f"{preparer.quote(c.name)} = {mark}" for c in where_columns)
    values = _bound(rows, _processors(conn, [*set_columns, *where_columns]))
    driver = conn.connection.dbapi_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        cursor.executemany(
            f"UPDATE {_target(conn, table)} SET {assignments} WHERE {conditions}",
            list(values),
        )
        return int(cursor.rowcount)
    finally:
        cursor.close()


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[Column[Any]], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` through the driver.

    Runs inside the caller's transaction. Raises the driver's own exceptions; wrap the
    call in :func:`piguard.store._engine.translate`.
    """
    preparer = conn.dialect.identifier_preparer
    target = _target(conn, table)
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
            # sqlite3 accepts any iterable of rows, whatever the DBAPI stubs say.
            cursor.executemany(f"INSERT INTO {target} ({names}) VALUES ({marks})", values)  # type: ignore[arg-type]
    finally:
        cursor.close()
