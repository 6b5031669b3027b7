"""Appending to the chain inside a caller's transaction.

Appends serialise on the tenant's head row: SQLite's write transaction (``BEGIN
IMMEDIATE``) already holds the database lock; on PostgreSQL the head row is locked with
``SELECT ... FOR UPDATE`` for the rest of the caller's transaction, so two writers can
never link to the same predecessor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from piguard.audit.entry import Prepared
from piguard.audit.format import GENESIS, VERSION, format_time, parse_time
from piguard.audit.keys import AuditKeys
from piguard.audit.signing import Checkpoint, Signer
from piguard.audit.tables import audit_checkpoints, audit_entries, audit_head

_EPOCH = "1970-01-01T00:00:00.000000Z"


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    entry_hash: bytes
    checkpoint_seq: int
    checkpoint_time: str


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """When to write a periodic checkpoint: every ``every`` entries or ``seconds`` seconds."""

    every: int = 1000
    seconds: float = 60.0

    def due(self, seq: int, head: Head, now: datetime) -> bool:
        if seq <= head.checkpoint_seq:
            return False
        if seq - head.checkpoint_seq >= self.every:
            return True
        return (now - parse_time(head.checkpoint_time)).total_seconds() >= self.seconds


def read_head(conn: Connection, tenant: str, *, lock: bool) -> Head | None:
    query = select(
        audit_head.c.seq, audit_head.c.entry_hash, audit_head.c.checkpoint_seq, audit_head.c.checkpoint_time
    ).where(audit_head.c.tenant == tenant)
    if lock:
        # Ignored by SQLite, whose write transaction already excludes other writers.
        query = query.with_for_update()
    row = conn.execute(query).first()
    return Head(int(row[0]), bytes(row[1]), int(row[2]), str(row[3])) if row else None


def lock_head(conn: Connection, tenant: str) -> Head:
    """The tenant's head, locked until the transaction ends; created on first use."""
    head = read_head(conn, tenant, lock=True)
    if head is not None:
        return head
    values = {
        "tenant": tenant,
        "seq": 0,
        "entry_hash": GENESIS,
        "checkpoint_seq": 0,
        "checkpoint_time": _EPOCH,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # Two first writers may race here; ON CONFLICT lets the loser wait and then read the row.
    conn.execute(dialect.insert(audit_head).values(values).on_conflict_do_nothing())
    head = read_head(conn, tenant, lock=True)
    assert head is not None
    return head


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    prepared: Prepared
    prev_hash: bytes
    entry_hash: bytes


_COLUMNS = (
    "tenant",
    "seq",
    "time",
    "actor_id",
    "action",
    "customer_ref",
    "prev_hash",
    "entry_hash",
    "mac",
    "body",
)


def _insert_sql(conn: Connection) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * len(_COLUMNS))
    return f"INSERT INTO {audit_entries.name} ({', '.join(_COLUMNS)}) VALUES ({marks})"


def append(
    conn: Connection,
    tenant: str,
    prepared: Sequence[Prepared],
    *,
    keys: AuditKeys,
    signer: Signer,
    policy: CheckpointPolicy,
    now: datetime,
) -> tuple[list[Appended], Checkpoint | None]:
    """Chain ``prepared`` after the head, in order, in ``conn``'s transaction.

    :returns: the new entries and the periodic checkpoint written with them, if one was due.
    :raises sqlalchemy.exc.SQLAlchemyError: the database refused (the caller fails closed).
    """
    head = lock_head(conn, tenant)
    seq, prev = head.seq, head.entry_hash
    rows: list[tuple[object, ...]] = []
    out: list[Appended] = []
    sha = hashlib.sha256
    for p in prepared:
        seq += 1
        entry_hash = sha(prev + VERSION + p.body.encode("utf-8")).digest()
        rows.append(
            (
                tenant,
                seq,
                p.time,
                p.actor_id,
                p.action,
                p.customer_ref,
                prev,
                entry_hash,
                keys.entry_mac(entry_hash),
                p.body,
            )
        )
        out.append(Appended(seq, p, prev, entry_hash))
        prev = entry_hash
    if not rows:
        return out, None
    # Straight to the driver: SQLAlchemy's per-row bind processing would cost more than
    # hashing, MAC and the insert together (every value is already a str, int or bytes).
    conn.exec_driver_sql(_insert_sql(conn), rows)
    checkpoint = None
    cp_seq, cp_time = head.checkpoint_seq, head.checkpoint_time
    if policy.due(seq, head, now):
        checkpoint = signer.sign(tenant, seq, "periodic", format_time(now), prev)
        write_checkpoint(conn, checkpoint)
        cp_seq, cp_time = seq, checkpoint.time
    conn.execute(
        update(audit_head)
        .where(audit_head.c.tenant == tenant)
        .values(seq=seq, entry_hash=prev, checkpoint_seq=cp_seq, checkpoint_time=cp_time)
    )
    return out, checkpoint


def write_checkpoint(conn: Connection, cp: Checkpoint) -> None:
    conn.execute(
        insert(audit_checkpoints).values(
            tenant=cp.tenant,
            seq=cp.seq,
            kind=cp.kind,
            time=cp.time,
            entry_hash=cp.entry_hash,
            key_id=cp.key_id,
            signature=cp.signature,
        )
    )


def checkpoint_head(
    conn: Connection, tenant: str, signer: Signer, kind: str, now: datetime
) -> Checkpoint | None:
    """Sign the current head (if it moved since the last checkpoint) and remember it."""
    head = lock_head(conn, tenant)
    if head.seq == 0 or (head.seq == head.checkpoint_seq and kind in ("periodic", "shutdown")):
        return None
    exists = conn.execute(
        select(audit_checkpoints.c.seq).where(
            audit_checkpoints.c.tenant == tenant,
            audit_checkpoints.c.seq == head.seq,
            audit_checkpoints.c.kind == kind,
        )
    ).first()
    if exists:
        return None
    cp = signer.sign(tenant, head.seq, kind, format_time(now), head.entry_hash)
    write_checkpoint(conn, cp)
    conn.execute(
        update(audit_head)
        .where(audit_head.c.tenant == tenant)
        .values(checkpoint_seq=head.seq, checkpoint_time=cp.time)
    )
    return cp
