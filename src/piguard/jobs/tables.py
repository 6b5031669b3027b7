"""The job lease table, in SQLAlchemy Core; migration ``data_0005_jobs`` creates it.

``job_leases``: one row per job and tenant: when it is next due, who holds it (the node and
until when), and how its last run ended. No customer data.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

from piguard.store.tables import UTCDateTime

jobs_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

job_leases = Table(
    "job_leases",
    jobs_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("next_due", UTCDateTime, nullable=False),
    Column("owner", String(128), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("last_started", UTCDateTime, nullable=True),
    Column("last_finished", UTCDateTime, nullable=True),
    # "ok", or the error's class name (never its message: it could carry a value).
    Column("last_outcome", String(64), nullable=True),
    Column("runs", Integer, nullable=False),
)
