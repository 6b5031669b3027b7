"""Verification of a chain segment against its signed checkpoints.

One pass recomputes every hash and MAC and checks every link; the rare rows that fail are
classified afterwards (a second scan, only when links are broken, finds where a dangling
``prev_hash`` points). Each kind of tampering is named with its first location:

- **modification** — a row's content no longer matches its hash, or its hash was
  recomputed without the MAC key;
- **deletion** — a row links to a predecessor that no longer exists;
- **insertion** — a row not written by piguard (bad MAC) that its successor skips, a row
  past the head, or a duplicate of another row;
- **reordering** — a row links to a predecessor stored elsewhere in the sequence;
- **truncation** — a signed checkpoint (or the head) vouches for entries that are gone;
- **checkpoint** — a checkpoint with a bad signature, or a chain that does not match one;
- **unsigned** — (exported files only) entries after the last checkpoint;
- **rollback** — the newest checkpoint an anchor outside the database holds
  (:mod:`piguard.audit.anchors`: the key store, a witness file, the JSON Lines sink) is gone
  from the database, or the chain no longer extends it: the tail was deleted together with
  its checkpoints and the head was pointed back.

**Limit:** entries appended after the newest *anchored* checkpoint and then deleted together
with the head row's record of them cannot be detected; a checkpoint is written every
``checkpoint_every`` entries or ``checkpoint_seconds`` seconds and on every clean shutdown,
which bounds that window.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from piguard.audit.chain import Head
from piguard.audit.format import SEP, SEPARATORS, VERSION
from piguard.audit.signing import Checkpoint, Verifier

KINDS: Final = (
    "modification",
    "deletion",
    "insertion",
    "reordering",
    "truncation",
    "checkpoint",
    "unsigned",
    "rollback",
)
#: Anomalies classified in detail; beyond this only counts are kept (a wholesale rewrite
#: should not exhaust memory).
_MAX_ANOMALIES: Final = 10_000

#: One row: (seq, prev_hash, entry_hash, mac, body, tenant, time, actor_id, action, customer_ref).
Row = Sequence[Any]
Lookup = Callable[[set[bytes]], dict[bytes, list[int]]]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    seq: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "message": self.message}


@dataclass
class VerifyReport:
    """What :meth:`AuditLog.verify` or :func:`verify_file` found.

    ``findings`` holds the first finding of each kind (``counts`` how many there were).
    """

    source: str
    key_id: str
    entries: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0
    last_checkpoint_seq: int | None = None
    unanchored: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    #: The anchors consulted: ``{"source", "seq"}`` (``seq`` None: it holds no checkpoint yet),
    #: or ``{"source", "error"}`` when it could not be read.
    anchors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def first(self, kind: str) -> Finding | None:
        return next((f for f in self.findings if f.kind == kind), None)

    def add(self, kind: str, seq: int | None, message: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.first(kind) is None:
            self.findings.append(Finding(kind, seq, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "source": self.source,
            "key_id": self.key_id,
            "entries": self.entries,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "checkpoints": self.checkpoints,
            "last_checkpoint_seq": self.last_checkpoint_seq,
            "unanchored": self.unanchored,
            "seconds": round(self.seconds, 3),
            "findings": [f.as_dict() for f in self.findings],
            "counts": dict(self.counts),
            "anchors": list(self.anchors),
        }


@dataclass(slots=True)
class _Anomaly:
    seq: int
    expected: int
    content_ok: bool
    mac_ok: bool
    link_ok: bool
    prev_hash: bytes
    entry_hash: bytes
    prev_stored: bytes  # entry_hash of the row before, or the anchor
    succ_prev: bytes | None = None


@dataclass
class Segment:
    """What to verify: the anchor the first entry must link to, and the trusted inputs."""

    start_seq: int
    anchor_hash: bytes
    checkpoints: list[Checkpoint]
    verifier: Verifier
    mac_key: bytes | None = None
    head: Head | None = None
    expected_last: int | None = None
    strict: bool = False  # files: every entry must be covered by a checkpoint
    #: The newest checkpoint each anchor outside the database holds: (source name, checkpoint).
    anchors: list[tuple[str, Checkpoint]] = field(default_factory=list)


def verify_rows(segment: Segment, rows: Iterable[Row], lookup: Lookup, report: VerifyReport) -> VerifyReport:
    """Check ``rows`` (ordered by seq) as a chain starting at ``segment``'s anchor."""
    started = time.perf_counter()
    valid: dict[int, bytes] = {}
    for cp in segment.checkpoints:
        if segment.verifier.valid(cp):
            if cp.seq >= segment.start_seq - 1:
                valid.setdefault(cp.seq, cp.entry_hash)
                report.checkpoints += 1
        else:
            report.add(
                "checkpoint", cp.seq, f"checkpoint at seq {cp.seq} ({cp.kind}) has a bad signature or key"
            )
    # The scan remembers the hash at every signed seq: the database's and the anchors'.
    watch = dict(valid)
    for _, cp in segment.anchors:
        watch.setdefault(cp.seq, cp.entry_hash)
    anomalies, seen, last_seq, count = _scan(segment, rows, watch)
    report.entries = count
    report.first_seq = segment.start_seq if count else None
    report.last_seq = last_seq if count else None
    last = last_seq if count else segment.start_seq - 1
    _classify(segment, anomalies, lookup, report)
    _check_checkpoints(segment, valid, seen, last, report)
    _check_anchors(segment, seen, last, report)
    report.seconds = time.perf_counter() - started
    return report


def _scan(
    segment: Segment, rows: Iterable[Row], valid: dict[int, bytes]
) -> tuple[list[_Anomaly], dict[int, bytes], int, int]:
    # The hot loop: kept flat, with locals only, because it runs a million times.
    sha = hashlib.sha256
    blake = hashlib.blake2b
    version, sep, separators = VERSION, SEP, SEPARATORS
    mac_key = segment.mac_key
    prev = segment.anchor_hash
    expected = segment.start_seq
    last_seq = expected - 1
    count = 0
    anomalies: list[_Anomaly] = []
    awaiting: _Anomaly | None = None
    seen: dict[int, bytes] = {}
    for row in rows:
        seq, ph, eh, mac, body = row[0], row[1], row[2], row[3], row[4]
        if awaiting is not None:
            awaiting.succ_prev = ph
            awaiting = None
        content_ok = (
            sha(ph + version + body.encode("utf-8")).digest() == eh
            and body.count(sep) == separators
            and body.startswith(sep.join(row[5:10]) + sep)
        )
        mac_ok = mac_key is None or blake(eh, key=mac_key, digest_size=32).digest() == mac
        if not (content_ok and mac_ok and ph == prev and seq == expected):
            anomaly = _Anomaly(seq, expected, content_ok, mac_ok, ph == prev, ph, eh, prev)
            if len(anomalies) < _MAX_ANOMALIES:
                anomalies.append(anomaly)
            awaiting = anomaly
        if seq in valid:
            seen[seq] = eh
        prev = eh
        expected = seq + 1
        last_seq = seq
        count += 1
    return anomalies, seen, last_seq, count


def _check_anchors(segment: Segment, seen: dict[int, bytes], last: int, report: VerifyReport) -> None:
    """The newest anchored checkpoints must still be in the database, and the chain must extend them."""
    stored = {(cp.seq, cp.kind, cp.entry_hash) for cp in segment.checkpoints}
    for name, cp in sorted(segment.anchors, key=lambda a: -a[1].seq):
        at = f"the checkpoint at seq {cp.seq} ({cp.kind}, {cp.time}) anchored in the {name}"
        if cp.seq >= segment.start_seq and cp.seq > last:
            report.add(
                "rollback",
                last + 1,
                f"the trail was rolled back: {at} is missing from the database; "
                f"at least {cp.seq - last} entries after seq {last} are gone",
            )
        elif cp.seq >= segment.start_seq and seen.get(cp.seq) != cp.entry_hash:
            report.add(
                "rollback",
                cp.seq,
                f"the trail was rewritten: the chain no longer extends {at}",
            )
        elif (cp.seq, cp.kind, cp.entry_hash) not in stored:
            report.add("rollback", cp.seq, f"{at} was deleted from the database")


def _classify(segment: Segment, anomalies: list[_Anomaly], lookup: Lookup, report: VerifyReport) -> None:
    head_seq = segment.head.seq if segment.head is not None else None
    explained: set[int] = set()
    unresolved: list[_Anomaly] = []
    for i, a in enumerate(anomalies):
        nxt = anomalies[i + 1] if i + 1 < len(anomalies) else None
        skipped = a.succ_prev is not None and a.succ_prev == a.prev_stored and a.prev_stored != a.entry_hash
        beyond_head = a.succ_prev is None and head_seq is not None and a.seq > head_seq
        if (skipped or beyond_head) and (not a.mac_ok or not a.content_ok):
            report.add("insertion", a.seq, f"entry at seq {a.seq} was not written by piguard")
            if nxt is not None:
                explained.add(nxt.seq)
        elif not a.content_ok:
            report.add("modification", a.seq, f"entry at seq {a.seq} does not match its hash")
        elif not a.mac_ok:
            report.add("modification", a.seq, f"entry at seq {a.seq} was rewritten (its hash was recomputed)")
            if nxt is not None:
                explained.add(nxt.seq)  # the successor still links to the original hash
        elif a.seq in explained:
            continue
        elif not a.link_ok:
            unresolved.append(a)
        else:
            report.add("modification", a.seq, f"sequence numbers changed before seq {a.seq}")
    if not unresolved:
        return
    where = lookup({a.prev_hash for a in unresolved} | {a.entry_hash for a in unresolved})
    for a in unresolved:
        if len(where.get(a.entry_hash, ())) > 1:
            report.add("insertion", a.seq, f"entry at seq {a.seq} duplicates another entry")
            continue
        targets = where.get(a.prev_hash, [])
        if not targets:
            missing = a.expected if a.seq > a.expected else a.seq
            report.add("deletion", missing, f"entries are missing before seq {a.seq}")
        else:
            report.add("reordering", a.seq, f"entry at seq {a.seq} belongs after seq {targets[0]}")


def _check_checkpoints(
    segment: Segment, valid: dict[int, bytes], seen: dict[int, bytes], last: int, report: VerifyReport
) -> None:
    for seq in sorted(valid):
        if seq < segment.start_seq:
            continue  # the anchor itself (a prune checkpoint) or an archived one
        if seq > last:
            report.add(
                "truncation",
                last + 1,
                f"entries from seq {last + 1} are gone; checkpoint at seq {seq} vouched for them",
            )
        elif seq not in seen:
            report.add("checkpoint", seq, f"the entry signed by the checkpoint at seq {seq} is missing")
        elif seen[seq] != valid[seq]:
            report.add("checkpoint", seq, f"the chain up to seq {seq} does not match its signed checkpoint")
    anchored = [s for s in valid if s <= last]
    report.last_checkpoint_seq = max(anchored) if anchored else None
    report.unanchored = last - max([*anchored, segment.start_seq - 1])
    if segment.strict and report.unanchored > 0:
        report.add(
            "unsigned",
            last - report.unanchored + 1,
            f"{report.unanchored} entries after the last checkpoint are not covered by a signature",
        )
    head = segment.head
    if head is not None:
        if head.seq > last:
            report.add("truncation", last + 1, f"entries from seq {last + 1} to {head.seq} are gone")
        if head.checkpoint_seq >= segment.start_seq and head.checkpoint_seq not in valid:
            report.add(
                "checkpoint",
                head.checkpoint_seq,
                f"the latest checkpoint (seq {head.checkpoint_seq}) is missing",
            )
    if segment.expected_last is not None and segment.expected_last > last:
        report.add("truncation", last + 1, f"the segment should end at seq {segment.expected_last}")
