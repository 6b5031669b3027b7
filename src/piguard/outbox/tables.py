"""The outbox table, in SQLAlchemy Core; migration ``data_0006_outbox`` creates it.

``outbox_messages``: one row per message. It names the customer (a random id), the channel, the
template and what the message is about; the template's parameters (a one-time code, a due date)
are sealed and bound to the message id, and blanked once the message is sent or given up. No
address is stored: the sender reads it from the vault when it sends.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

from piguard.gate.sdk import UTCDateTime

outbox_metadata = MetaData(
    naming_convention={"ix": "ix_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}
)

messages = Table(
    "outbox_messages",
    outbox_metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("template", String(64), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("params", Text, nullable=False),
    Column("reference", String(128), nullable=True),
    # Another contact field of the profile to send to (a child's guardian_mobile); NULL: the first.
    Column("to_field", String(64), nullable=True),
    # pending -> sent | failed
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    # A reason code of ours ("smtp_unavailable"), never a server's reply (it may quote the address).
    Column("last_error", String(64), nullable=True),
    Index("ix_outbox_messages_tenant_status_next_attempt", "tenant", "status", "next_attempt"),
    Index("ix_outbox_messages_tenant_reference", "tenant", "reference"),
)
