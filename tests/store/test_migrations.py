"""The migrations build exactly what tables.py describes, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from piguard.store import Database, KeyStore
from piguard.store.tables import data_metadata, key_metadata


def _differences(conn: Any, metadata: MetaData) -> list[Any]:
    mine = set(metadata.tables)

    def include_name(name: str | None, type_: str, parent: Any) -> bool:
        # Other packages add their own tables to the data database; judge only ours.
        return type_ != "table" or name in mine

    context = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True})
    return list(compare_metadata(context, metadata))


def test_data_migrations_match_the_tables(db: Database) -> None:
    with db.engine.connect() as conn:
        assert _differences(conn, data_metadata) == []


def test_key_migrations_match_the_tables(keys: KeyStore) -> None:
    # On PostgreSQL, compare against a copy of the metadata placed in the key store's schema.
    metadata = key_metadata
    if keys.schema is not None:
        metadata = MetaData()
        for table in key_metadata.tables.values():
            table.to_metadata(metadata, schema=keys.schema)
    with keys.engine.connect() as conn:
        inspector = inspect(conn)
        assert "data_keys" in inspector.get_table_names(schema=keys.schema)
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_schemas": keys.schema is not None,
                "include_name": lambda name, type_, parent: (
                    (type_ != "schema" or name == keys.schema)
                    and (type_ != "table" or name in ("data_keys", "audit_anchors", "erasure_ledger"))
                ),
            },
        )
        assert list(compare_metadata(context, metadata)) == []


def test_each_database_records_its_own_version(db: Database, keys: KeyStore) -> None:
    with db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert "piguard_data_version" in tables
        assert "piguard_keys_version" not in tables
    with keys.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names(schema=keys.schema))
        assert "piguard_keys_version" in tables
        version = conn.exec_driver_sql(
            "SELECT version_num FROM " + (f'"{keys.schema}".' if keys.schema else "") + "piguard_keys_version"
        ).scalar_one()
        assert version == "keys_0003"
