"""piguard.consent.tables and migration data_0004 describe the same schema."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from piguard.consent.tables import consent_metadata
from piguard.store import Database


def test_tables_match_the_migration(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'd.db'}")
    db.migrate()
    inspector = inspect(db.engine)
    for table in consent_metadata.sorted_tables:
        columns = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name: c.nullable for c in table.columns}, table.name
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        assert indexes == {i.name for i in table.indexes}, table.name
    db.dispose()
