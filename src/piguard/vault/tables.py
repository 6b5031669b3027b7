"""The vault's own bookkeeping table, in SQLAlchemy Core; migration ``data_0027`` creates it.

- ``import_checkpoints``: how far an import has committed, written in each batch's own data
  transaction (with its rows and audit entries), so an import stopped by a crash or SIGKILL is
  resumed after its last committed batch and stores no row twice. An import is named by a keyed
  digest of its source (the file's bytes, record type and purpose), never by the file's content.

No column holds customer PI.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

from piguard.store.tables import UTCDateTime

vault_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

import_checkpoints = Table(
    "import_checkpoints",
    vault_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("import_key", String(64), primary_key=True),
    Column("record_type", String(64), nullable=False),
    # The highest row number whose batch committed: every row up to it is stored or was rejected.
    Column("rows_done", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
