"""Alembic environment for piguard's two databases.

Only :mod:`piguard.store._migrate` runs this, handing over through ``config.attributes``:

- ``connection``: a connection already inside a transaction;
- ``version_table``: ``piguard_data_version`` or ``piguard_keys_version``;
- ``schema``: the PostgreSQL schema of the key store, or ``None``;
- ``metadata``: the target :class:`~sqlalchemy.MetaData` (for autogenerate).

Both databases share this script directory as two independent branches (``data`` and
``keys``), each recording its revision in its own version table.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

config = context.config
connection: Connection = config.attributes["connection"]
schema: str | None = config.attributes.get("schema")
version_table: str = config.attributes["version_table"]

context.configure(
    connection=connection,
    target_metadata=config.attributes.get("metadata"),
    version_table=version_table,
    version_table_schema=schema,
    # SQLite cannot ALTER most things; batch mode recreates the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)

with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two processes migrating at once would race on the version table; the lock
        # (released at commit) makes the second one wait and then find nothing to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": version_table})
        if schema is not None:
            # The version table lives in the schema, so it must exist before Alembic looks.
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    context.run_migrations()
