"""Run the Alembic migrations programmatically; no ``alembic`` command line needed.

The scripts ship as package data under ``migrations/``: one script directory holding
two independent branches, ``data`` and ``keys``, each with its own version table.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Engine, MetaData

from piguard.errors import StorageError
from piguard.store._engine import translate, write_transaction

_SCRIPTS = Path(__file__).resolve().parent / "migrations"

DATA_BRANCH = "data"
KEYS_BRANCH = "keys"
DATA_VERSION_TABLE = "piguard_data_version"
KEYS_VERSION_TABLE = "piguard_keys_version"


def upgrade(
    engine: Engine,
    *,
    branch: str,
    version_table: str,
    metadata: MetaData,
    schema: str | None = None,
) -> None:
    """Bring one database to the head of its branch, in a single transaction.

    Running it again is a no-op.

    :raises StorageError: a migration failed; the transaction is rolled back.
    """
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    with write_transaction(engine) as connection, translate("migrate"):
        config.attributes.update(
            connection=connection, version_table=version_table, schema=schema, metadata=metadata
        )
        try:
            command.upgrade(config, f"{branch}@head")
        except CommandError as error:
            raise StorageError(f"migrate failed: {error}") from None
