"""The node-shared tables, in SQLAlchemy Core (migration ``data_0025_node_state``).

They live in the DATA database in their own :class:`~sqlalchemy.MetaData`. No secret and no
customer PI is stored: session rows are keyed by the SHA-256 of the cookie, bucket keys are
digests of credentials or principal ids, rule windows hold pseudonymous customer references
or operation ids as the audit trail itself does.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, String, Table, Text

from piguard.store.tables import UTCDateTime

node_metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Signed-in console browsers: the cookie's digest, the staff member's API session token behind
#: it (sealed by the console's secret box), its CSRF token, last use and queued flash messages.
console_sessions = Table(
    "node_console_sessions",
    node_metadata,
    Column("id", String(64), primary_key=True),
    Column("principal_id", String(64), nullable=False, index=True),
    Column("token", Text, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("last_seen", UTCDateTime, nullable=False, index=True),
    Column("flashes", Text, nullable=False),
)

#: Rate-limit token buckets, one row per key: ``tokens`` left at ``at`` (epoch seconds).
rate_buckets = Table(
    "node_rate_buckets",
    node_metadata,
    Column("key", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("at", Float, nullable=False, index=True),
    Column("admitted", Integer, nullable=False),
)

#: Events inside the monitoring rules' sliding windows: one row per (rule, key, entry).
rule_events = Table(
    "node_rule_events",
    node_metadata,
    Column("rule", String(64), primary_key=True),
    Column("key", String(160), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("at", Float, nullable=False),
    Column("value", String(160), nullable=True),
    Column("weight", Integer, nullable=False),
    Index("ix_node_rule_events_rule_key_at", "rule", "key", "at"),
)

#: When a rule last fired for a key (alert cooldowns), epoch seconds.
rule_cooldowns = Table(
    "node_rule_cooldowns",
    node_metadata,
    Column("rule", String(64), primary_key=True),
    Column("key", String(240), primary_key=True),
    Column("last_at", Float, nullable=False),
)
