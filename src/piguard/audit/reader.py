"""Reading the trail back: segments for verification, queries, checkpoints.

The functions read within a connection they are given; :class:`AuditReader` is the part
of :class:`~piguard.audit.AuditLog` that opens the connections: verification of the
stored chain, queries by customer, actor, action and time, a customer's own history.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from piguard.audit.anchors import AnchorSource
from piguard.audit.chain import read_head
from piguard.audit.context import TrailContext
from piguard.audit.entry import AuditEntry
from piguard.audit.format import GENESIS, format_time
from piguard.audit.signing import Checkpoint
from piguard.audit.tables import audit_checkpoints, audit_entries
from piguard.audit.verify import Lookup, Segment, VerifyReport, verify_rows

_E = audit_entries.c
#: Columns a verification row carries, in :data:`piguard.audit.verify.Row` order.
VERIFY_COLUMNS = (
    _E.seq,
    _E.prev_hash,
    _E.entry_hash,
    _E.mac,
    _E.body,
    _E.tenant,
    _E.time,
    _E.actor_id,
    _E.action,
    _E.customer_ref,
)


def checkpoints(
    conn: Connection, tenant: str, since_seq: int = 0, until_seq: int | None = None
) -> list[Checkpoint]:
    c = audit_checkpoints.c
    query = select(c.seq, c.kind, c.time, c.entry_hash, c.key_id, c.signature).where(
        c.tenant == tenant, c.seq >= since_seq
    )
    if until_seq is not None:
        query = query.where(c.seq <= until_seq)
    return [
        Checkpoint(tenant, int(r[0]), r[1], r[2], bytes(r[3]), r[4], bytes(r[5]))
        for r in conn.execute(query.order_by(c.seq, c.kind))
    ]


def anchor(conn: Connection, tenant: str, cps: list[Checkpoint], valid: set[int]) -> tuple[int, bytes]:
    """Where the stored chain starts: after the latest valid prune checkpoint, else at 1."""
    prunes = [cp for cp in cps if cp.kind == "prune" and cp.seq in valid]
    if prunes:
        last = max(prunes, key=lambda cp: cp.seq)
        return last.seq + 1, last.entry_hash
    return 1, GENESIS


def rows(
    conn: Connection, tenant: str, start_seq: int, until_seq: int | None = None
) -> Iterator[Sequence[Any]]:
    """Verification rows from ``start_seq`` on, streamed straight from the driver.

    Verification reads every row ever written, so SQLAlchemy's per-row result processing
    (about 40% of the time) is skipped: SQLite hands out tuples, psycopg streams through a
    server-side cursor. Both run inside ``conn``'s transaction.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(c.name for c in VERIFY_COLUMNS)
    sql = f"SELECT {columns} FROM {audit_entries.name} WHERE tenant = {mark} AND seq >= {mark}"
    params: list[object] = [tenant, start_seq]
    if until_seq is not None:
        sql += f" AND seq <= {mark}"
        params.append(until_seq)
    sql += " ORDER BY seq"
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name="piguard_audit_rows")
        cursor.itersize = 20_000
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(20_000):
            yield from batch
    finally:
        cursor.close()


def lookup(conn: Connection, tenant: str) -> Lookup:
    """Where given hashes occur as entry hashes (a full scan; only run when links are broken)."""

    def find(hashes: set[bytes]) -> dict[bytes, list[int]]:
        found: dict[bytes, list[int]] = {}
        query = select(_E.seq, _E.entry_hash).where(_E.tenant == tenant).order_by(_E.seq)
        for seq, entry_hash in conn.execution_options(yield_per=50_000).execute(query):
            h = bytes(entry_hash)
            if h in hashes:
                found.setdefault(h, []).append(int(seq))
        return found

    return find


@dataclass(frozen=True, slots=True)
class Filter:
    """What :meth:`AuditLog.query` looks for; every part optional, all parts must match."""

    customer_ref: str | None = None
    actor_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_seq: int | None = None
    limit: int = 100
    #: Entries at or before this sequence number (an evidence range's end, a newest-first page).
    through_seq: int | None = None
    #: Newest first (the console's viewer) instead of chain order.
    newest_first: bool = False

    def select(self, tenant: str) -> Select[Any]:
        query = select(_E.seq, _E.body, _E.prev_hash, _E.entry_hash).where(_E.tenant == tenant)
        if self.customer_ref is not None:
            query = query.where(_E.customer_ref == self.customer_ref)
        if self.actor_id is not None:
            query = query.where(_E.actor_id == self.actor_id)
        if self.action is not None:
            query = query.where(_E.action == self.action)
        if self.since is not None:
            query = query.where(_E.time >= format_time(self.since))
        if self.until is not None:
            query = query.where(_E.time < format_time(self.until))
        if self.after_seq is not None:
            query = query.where(_E.seq > self.after_seq)
        if self.through_seq is not None:
            query = query.where(_E.seq <= self.through_seq)
        order = _E.seq.desc() if self.newest_first else _E.seq
        return query.order_by(order).limit(max(1, min(self.limit, 100_000)))


def query(conn: Connection, tenant: str, flt: Filter) -> list[AuditEntry]:
    return [
        AuditEntry.decode(int(r[0]), r[1], bytes(r[2]), bytes(r[3])) for r in conn.execute(flt.select(tenant))
    ]


def entries_between(
    conn: Connection, tenant: str, first: int, last: int
) -> Iterator[tuple[int, bytes, bytes, bytes, str]]:
    """(seq, prev_hash, entry_hash, mac, body) for an export, streamed."""
    q = (
        select(_E.seq, _E.prev_hash, _E.entry_hash, _E.mac, _E.body)
        .where(_E.tenant == tenant, _E.seq >= first, _E.seq <= last)
        .order_by(_E.seq)
    )
    for r in conn.execution_options(stream_results=True, yield_per=20_000).execute(q):
        yield int(r[0]), bytes(r[1]), bytes(r[2]), bytes(r[3]), r[4]


class AuditReader:
    """Verification and queries over one trail; writes nothing."""

    def __init__(self, trail: TrailContext) -> None:
        self.trail = trail

    def verify(self, *, check_macs: bool = True, sources: Iterable[AnchorSource] = ()) -> VerifyReport:
        """Check the stored chain against its signed checkpoints, its MACs, the head and the anchors.

        :param check_macs: also check each entry's MAC (needs this installation's keys).
        :param sources: anchors outside the database besides the trail's own (a witness file,
            the JSON Lines sink); their newest checkpoints must be in the chain (see
            :mod:`piguard.audit.anchors`).
        :returns: a report naming the first bad entry for each kind of tampering.
        :raises StorageError: the database could not be read.
        """
        trail = self.trail
        verifier = trail.signer.verifier
        report = VerifyReport(source=f"database ({trail.tenant})", key_id=trail.signer.key_id)
        # Read the anchors first: a checkpoint committed while the chain is read is then
        # already in the snapshot, never newer than it.
        anchored: list[tuple[str, Checkpoint]] = []
        for source in [*trail.anchors, *sources]:
            try:
                cp = source.latest(trail.tenant, verifier)
            except Exception as exc:  # an unreadable anchor is reported, not fatal
                report.anchors.append({"source": source.name, "error": type(exc).__name__})
                continue
            report.anchors.append({"source": source.name, "seq": cp.seq if cp else None})
            if cp is not None:
                anchored.append((source.name, cp))
        with trail.snapshot() as conn:
            head = read_head(conn, trail.tenant, lock=False)
            cps = checkpoints(conn, trail.tenant)
            valid = {cp.seq for cp in cps if verifier.valid(cp)}
            start, anchor_hash = anchor(conn, trail.tenant, cps, valid)
            segment = Segment(
                start,
                anchor_hash,
                cps,
                verifier,
                mac_key=trail.keys.mac_key if check_macs else None,
                head=head,
                anchors=anchored,
            )
            return verify_rows(segment, rows(conn, trail.tenant, start), lookup(conn, trail.tenant), report)

    def window(
        self,
        *,
        actors: Collection[str] = (),
        actions: Collection[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        check_macs: bool = True,
    ) -> tuple[list[AuditEntry], VerifyReport]:
        """The entries of the window ``[since, until)`` by any of ``actors`` under any of
        ``actions`` (empty: all), after verifying the chain over the whole window, in one snapshot.

        Verification covers every entry from the window's first to its last: each links to the
        one before (the first to the entry just before the window), matches its hash and MAC, and
        agrees with the signed checkpoints inside the window. Entries are decoded from their
        hashed bodies, never from the index columns.

        :raises StorageError: the database could not be read.
        """
        trail = self.trail
        tenant = trail.tenant
        verifier = trail.signer.verifier
        report = VerifyReport(source=f"database ({tenant}) window", key_id=trail.signer.key_id)
        with trail.snapshot() as conn:
            bounds = select(func.min(_E.seq), func.max(_E.seq)).where(_E.tenant == tenant)
            if since is not None:
                bounds = bounds.where(_E.time >= format_time(since))
            if until is not None:
                bounds = bounds.where(_E.time < format_time(until))
            first, last = conn.execute(bounds).one()
            if first is None:
                return [], report
            first, last = int(first), int(last)
            cps = checkpoints(conn, tenant, max(0, first - 1), last)
            before = conn.execute(
                select(_E.entry_hash).where(_E.tenant == tenant, _E.seq == first - 1)
            ).scalar_one_or_none()
            if before is not None:
                anchor_hash = bytes(before)
            else:
                earlier = checkpoints(conn, tenant, 0, first)
                ok = {cp.seq for cp in earlier if verifier.valid(cp)}
                start, anchor_hash = anchor(conn, tenant, earlier, ok)
                if start != first:
                    # The window starts after the stored chain's start: the entry before it is gone.
                    report.add("deletion", first, f"the entry before seq {first} is missing")
            segment = Segment(
                first, anchor_hash, cps, verifier, mac_key=trail.keys.mac_key if check_macs else None
            )
            verify_rows(segment, rows(conn, tenant, first, last), lookup(conn, tenant), report)
            found = select(_E.seq, _E.body, _E.prev_hash, _E.entry_hash).where(
                _E.tenant == tenant, _E.seq >= first, _E.seq <= last, _E.customer_ref != ""
            )
            if actors:
                found = found.where(_E.actor_id.in_(sorted(set(actors))))
            if actions:
                found = found.where(_E.action.in_(sorted(set(actions))))
            out: list[AuditEntry] = []
            for r in conn.execution_options(yield_per=20_000).execute(found.order_by(_E.seq)):
                out.append(AuditEntry.decode(int(r[0]), r[1], bytes(r[2]), bytes(r[3])))
            return out, report

    def query(
        self,
        *,
        customer_id: str | None = None,
        customer_ref: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int | None = None,
        limit: int = 100,
        through_seq: int | None = None,
        newest_first: bool = False,
        decision: str | None = None,
    ) -> list[AuditEntry]:
        """Entries matching every given filter, oldest first (``after_seq`` pages on), or newest
        first (``through_seq`` pages back).

        :param customer_id: computed into its reference; or pass ``customer_ref`` directly.
        :param decision: ``allow`` or ``deny`` only. The decision lives in the hashed body, not
            in an indexed column, so it is matched on decoded entries, page by page.
        :raises StorageError: the database could not be read.
        """
        trail = self.trail
        ref = trail.keys.customer_ref(customer_id) if customer_id is not None else customer_ref
        flt = Filter(ref, actor, action, since, until, after_seq, limit, through_seq, newest_first)
        with trail.db.read() as conn:
            # The module's query(), not this method: methods do not shadow module names.
            if decision is None:
                return query(conn, trail.tenant, flt)
            out: list[AuditEntry] = []
            page = replace(flt, limit=max(limit, 500))
            while len(out) < limit:
                batch = query(conn, trail.tenant, page)
                out.extend(e for e in batch if e.decision == decision)
                if len(batch) < page.limit:
                    break
                last = batch[-1].seq
                page = replace(page, through_seq=last - 1) if newest_first else replace(page, after_seq=last)
            return out[:limit]

    def customer_history(self, customer_id: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """One customer's own access history, for the privacy centre: staff appear by role
        and purpose, never by name or id."""
        out: list[dict[str, Any]] = []
        for e in self.query(customer_id=customer_id, limit=limit):
            if e.actor_id.startswith("system:"):
                continue
            out.append(
                {
                    "time": e.time,
                    "action": e.action,
                    "by_role": e.role,
                    "purpose": e.purpose,
                    "record_type": e.record_type or None,
                    "fields": list(e.fields),
                    "decision": e.decision,
                    "result": e.result,
                }
            )
        return out
