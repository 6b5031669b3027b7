"""The access tables, in SQLAlchemy Core: principals, tokens, grants, training, quota reads.

They live in the DATA database (so that access changes and audit entries can share a
transaction) but in their own :class:`~sqlalchemy.MetaData`; the migration
``data_0002_access`` creates them and ``tests/access/test_tables.py`` checks the two agree.

**Invariant:** no secret is stored in a form that can be used directly: passwords are
argon2id hashes, tokens SHA-256 digests of 256-bit random strings. TOTP secrets must be
stored usable (the server recomputes codes); they are staff credentials, never customer PI.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text

from piguard.store.tables import UTCDateTime

_ID = 64
_NAME = 64

access_metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Staff users and application clients.
principals = Table(
    "access_principals",
    access_metadata,
    Column("id", String(_ID), primary_key=True),
    Column("kind", String(16), nullable=False),  # staff | client
    Column("name", String(_NAME), nullable=False, unique=True),
    Column("role", String(_NAME), nullable=False),
    Column("password_hash", Text, nullable=True),
    #: The TOTP seed sealed with ``Keyring.secret_box("totp")`` (bound to the principal id).
    Column("totp_secret", String(255), nullable=True),
    # The last TOTP time step accepted: a code of that step or earlier is a replay.
    Column("totp_last_step", Integer, nullable=True),
    Column("status", String(16), nullable=False),  # active | disabled | frozen | reset
    Column("status_reason", Text, nullable=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_at", UTCDateTime, nullable=True),
    # Per-principal quota overrides; they can only narrow the role's limits.
    Column("customers_per_hour", Integer, nullable=True),
    Column("max_results", Integer, nullable=True),
    Column("probes_per_hour", Integer, nullable=True),  # data_0013
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(_ID), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Bearer tokens: login sessions and API keys. Only the SHA-256 of the secret is stored.
tokens = Table(
    "access_tokens",
    access_metadata,
    Column("id", String(_ID), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("principal_id", String(_ID), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # session | api_key | reset | enrolment
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("step_up_at", UTCDateTime, nullable=True),
)

#: The token kinds that authenticate a request. The others (``reset``: a one-time password,
#: ``enrolment``: its ticket, see :mod:`piguard.access.resets`) only open their own step.
BEARER_KINDS = ("session", "api_key")

#: Just-in-time grants (clear access to one customer) and export approvals.
grants = Table(
    "access_grants",
    access_metadata,
    Column("id", String(_ID), primary_key=True),
    Column("kind", String(16), nullable=False),  # clear | export
    Column("requester_id", String(_ID), nullable=False),
    Column("requester_role", String(_NAME), nullable=False),
    Column("customer_id", String(128), nullable=True),
    Column("record_type", String(_NAME), nullable=True),
    Column("purpose", String(_NAME), nullable=False),
    Column("fields", Text, nullable=False),  # JSON list of "record_type.field", or "*"
    Column("reason", Text, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("max_rows", Integer, nullable=True),
    Column("status", String(16), nullable=False),  # pending | approved | rejected | revoked | used
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decided_by", String(_ID), nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    Index("ix_access_grants_lookup", "requester_id", "customer_id", "purpose", "status"),
)

#: Training courses completed and confidentiality agreements signed (R-TRN-1).
training = Table(
    "access_training",
    access_metadata,
    Column("id", String(_ID), primary_key=True),
    Column("principal_id", String(_ID), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # course | agreement
    Column("course", String(128), nullable=False),
    Column("completed_on", Date, nullable=False),
    Column("score", Integer, nullable=True),
    Column("valid_until", Date, nullable=True),
    Column("recorded_by", String(_ID), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

#: First read of a customer by a principal within the quota window (R-USE-3).
quota_reads = Table(
    "access_quota_reads",
    access_metadata,
    Column("principal_id", String(_ID), primary_key=True),
    Column("customer_id", String(128), primary_key=True),
    Column("read_at", UTCDateTime, primary_key=True),
    Column("role", String(_NAME), nullable=False),
    Index("ix_access_quota_reads_window", "principal_id", "read_at"),
)

#: Counters of authentication attempts, in fixed windows (issue 11, item 10): failed logins and
#: step-ups per (account, address), unauthenticated requests per address. In the database, not
#: in one process's memory, so every API worker and console shares one count. ``key`` is a digest
#: (never a raw address or token); ``account`` is the login name as typed, kept so that an
#: administrator's unlock clears every address's back-off for that name.
auth_counters = Table(
    "access_auth_counters",
    access_metadata,
    Column("scope", String(32), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("count", Integer, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("account", String(_NAME), nullable=True, index=True),
)

#: Hotel stays checked in (issue 11, item 5): a stay grants the front desk its row scope only once
#: checked in through ``stay_check_in`` (the guest's ID number matched, or a check-in grant a second
#: person approved), and until ``stay_check_out``. ``failed_matches`` counts ID numbers that did
#: not match (never the number itself); once the customer's stays reach the limit, check-in by ID
#: number is locked and only an approval checks them in (``piguard.access.checkins``).
stay_checkins = Table(
    "access_stay_checkins",
    access_metadata,
    Column("stay_id", String(128), primary_key=True),
    Column("customer_id", String(128), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # registered | checked_in | checked_out
    Column("method", String(16), nullable=True),  # id_match | approval
    Column("grant_id", String(_ID), nullable=True),
    Column("failed_matches", Integer, nullable=False, default=0),
    Column("checked_in_at", UTCDateTime, nullable=True),
    Column("checked_in_by", String(_ID), nullable=True),
    Column("checked_out_at", UTCDateTime, nullable=True),
    Column("checked_out_by", String(_ID), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Probes of a field the principal does not see in clear (issue 11, items 2 and 17): every exact
#: search and every match check on it, hit or miss, one row each. The budget
#: (``probes_per_hour``) and the miss thresholds count these rows over the last hour, in the
#: database, so every process enforces one budget. ``target`` is ``record_type.field``; no value,
#: digest or customer is stored.
probes = Table(
    "access_probes",
    access_metadata,
    Column("id", String(_ID), primary_key=True),
    Column("principal_id", String(_ID), nullable=False),
    Column("target", String(2 * _NAME + 1), nullable=False),
    Column("probed_at", UTCDateTime, nullable=False),
    Column("hit", Boolean, nullable=False),
    Index("ix_access_probes_window", "principal_id", "target", "probed_at"),
)
