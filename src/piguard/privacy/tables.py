"""The privacy centre's tables, in SQLAlchemy Core; migration ``data_0020_privacy`` creates them.

- ``privacy_sessions``: one row per signed-in customer browser: the SHA-256 of the cookie (never the
  cookie), the customer (a random id), the channel the sign-in code went by, the CSRF token, when it
  was created, last used, when it expires at the latest, and when it was revoked.
- ``privacy_challenges``: one-time codes (sign-in, and the step-up before a field is shown), as a
  keyed digest bound to the challenge, with expiry, attempts and use. A sign-in challenge for an
  identifier that is on no record has no customer and can never succeed (no enumeration).
- ``privacy_limits``: fixed-window counters (sign-ins per identifier digest and per address, codes
  sent per session), so every node of a cluster enforces the same limit.

No column holds customer PI in clear: identifiers appear only as keyed digests.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table

from piguard.gate.sdk import UTCDateTime

privacy_metadata = MetaData(
    naming_convention={"ix": "ix_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}
)

sessions = Table(
    "privacy_sessions",
    privacy_metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    # ``guardian``: the guardian of a child under 14 signed in for the child (migration data_0024).
    Column("acting", String(16), nullable=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_privacy_sessions_tenant_customer_id", "tenant", "customer_id"),
)

challenges = Table(
    "privacy_challenges",
    privacy_metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the challenge token
    Column("tenant", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # sign_in | guardian | reveal | package
    Column("customer_id", String(128), nullable=True),
    Column("session_id", String(64), nullable=True),
    Column("field", String(128), nullable=True),
    Column("channel", String(16), nullable=True),
    Column("digest", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

limits = Table(
    "privacy_limits",
    privacy_metadata,
    Column("tenant", String(64), primary_key=True),
    Column("key", String(96), primary_key=True),  # kind:digest:window
    Column("count", Integer, nullable=False),
    Column("window_end", UTCDateTime, nullable=False),
    Index("ix_privacy_limits_window_end", "window_end"),
)
