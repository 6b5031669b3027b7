"""Migration data_0003 builds exactly what piguard.audit.tables describes, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from piguard.audit.tables import audit_metadata
from piguard.store import Database


def test_audit_migration_matches_the_tables(db: Database) -> None:
    mine = set(audit_metadata.tables)

    def include_name(name: str | None, type_: str, parent: Any) -> bool:
        return type_ != "table" or name in mine

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True})
        assert list(compare_metadata(context, audit_metadata)) == []
