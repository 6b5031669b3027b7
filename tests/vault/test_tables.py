"""piguard.vault.tables and migration data_0027 describe the same schema (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from piguard.store import Database
from piguard.vault.tables import vault_metadata


def test_tables_match_the_migration(db: Database) -> None:
    with db.engine.connect() as conn:
        mine = set(vault_metadata.tables)
        context = MigrationContext.configure(
            conn, opts={"include_name": lambda name, kind, _p: kind != "table" or name in mine}
        )
        diffs: list[Any] = list(compare_metadata(context, vault_metadata))
    assert diffs == []
