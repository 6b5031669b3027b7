"""Retention: exported segments, and archive-then-prune of entries past the retention period (R-AUD-2).

An export is a file that verifies on its own with only the public key; archiving is an
export that is verified before anything is deleted. After a prune the stored chain starts
at a signed ``prune`` checkpoint, so it stays verifiable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import delete, func, insert, select

from piguard.audit import reader
from piguard.audit.chain import lock_head, read_head, write_checkpoint
from piguard.audit.context import TrailContext, failure_reason
from piguard.audit.export import verify_file, write_segment
from piguard.audit.format import format_time
from piguard.audit.tables import audit_archives, audit_entries
from piguard.audit.writer import AuditWriter
from piguard.errors import AuditFailure, Error, NotFound, ValidationError

#: R-AUD-2: at least six calendar months; configurable upward only.
MIN_RETENTION_DAYS: Final = 184


class AuditRetention:
    """Export and archive-and-prune over one trail.

    :param writer: where the prune's own entry is appended (in the prune's transaction).
    :param retention_days: entries younger than this are never pruned; the caller has
        checked it is at least :data:`MIN_RETENTION_DAYS`.
    """

    def __init__(self, trail: TrailContext, writer: AuditWriter, retention_days: int) -> None:
        self.trail = trail
        self.writer = writer
        self.retention_days = retention_days

    def export(
        self,
        path: str | Path,
        *,
        first_seq: int | None = None,
        last_seq: int | None = None,
        kind: str = "export",
    ) -> dict[str, Any]:
        """Write entries ``first_seq..last_seq`` (default: everything stored) as a segment that
        verifies on its own; a checkpoint is signed at its end first.

        :raises NotFound: the range holds no entries.
        :raises AuditFailure: the closing checkpoint could not be written.
        """
        trail = self.trail
        signer = trail.signer
        now = trail.clock.now()
        try:
            with trail.db.transaction() as conn:
                head = lock_head(conn, trail.tenant)
                last = head.seq if last_seq is None else min(last_seq, head.seq)
                cps = reader.checkpoints(conn, trail.tenant)
                valid = {cp.seq for cp in cps if signer.verifier.valid(cp)}
                start, _ = reader.anchor(conn, trail.tenant, cps, valid)
                first = start if first_seq is None else max(first_seq, start)
                if last < first:
                    raise NotFound("no audit entries in that range")
                row = conn.execute(
                    select(audit_entries.c.prev_hash, audit_entries.c.entry_hash)
                    .where(audit_entries.c.tenant == trail.tenant, audit_entries.c.seq.in_([first, last]))
                    .order_by(audit_entries.c.seq)
                ).all()
                if len(row) != (1 if first == last else 2):
                    raise NotFound("the range's first or last entry is missing")
                anchor_hash, last_hash = bytes(row[0][0]), bytes(row[-1][1])
                written = None
                if not any(cp.seq == last and cp.kind == kind for cp in cps):
                    written = signer.sign(trail.tenant, last, kind, format_time(now), last_hash)
                    write_checkpoint(conn, written)
        except Error:
            raise
        except Exception as exc:
            raise AuditFailure(f"export checkpoint could not be written: {failure_reason(exc)}") from None
        if written is not None:
            trail.publish([written])
        with trail.snapshot() as conn:
            in_range = reader.checkpoints(conn, trail.tenant, first, last)
            count, digest = write_segment(
                Path(path),
                tenant=trail.tenant,
                public_raw=signer.public_raw,
                key_id=signer.key_id,
                first_seq=first,
                last_seq=last,
                anchor_hash=anchor_hash,
                checkpoints=in_range,
                entries=reader.entries_between(conn, trail.tenant, first, last),
                exported_at=format_time(now),
            )
        return {
            "file": str(path),
            "first_seq": first,
            "last_seq": last,
            "entries": count,
            "sha256": digest,
            "key_id": signer.key_id,
        }

    def archive_and_prune(
        self, before: datetime, out_path: str | Path, *, actor: str = "system:retention"
    ) -> dict[str, Any]:
        """Archive the entries older than ``before`` to ``out_path``, verify the archive,
        then delete them. The chain stays verifiable: a signed ``prune`` checkpoint marks
        where the stored part now starts.

        :raises ValidationError: ``before`` is within the retention period (R-AUD-2).
        :raises AuditFailure: the archive did not verify (nothing was pruned).
        """
        trail = self.trail
        signer = trail.signer
        now = trail.clock.now()
        if before > now - timedelta(days=self.retention_days):
            raise ValidationError(
                f"entries younger than the retention period ({self.retention_days} days) cannot be pruned",
                "before",
            )
        with trail.snapshot() as conn:
            head = read_head(conn, trail.tenant, lock=False)
            cps = reader.checkpoints(conn, trail.tenant)
            valid = {cp.seq for cp in cps if signer.verifier.valid(cp)}
            start, _ = reader.anchor(conn, trail.tenant, cps, valid)
            young = conn.execute(
                select(func.min(audit_entries.c.seq)).where(
                    audit_entries.c.tenant == trail.tenant, audit_entries.c.time >= format_time(before)
                )
            ).scalar()
        through = (int(young) - 1) if young is not None else (head.seq if head else 0)
        if through < start:
            return {"pruned": 0, "through_seq": start - 1, "file": None}
        info = self.export(out_path, first_seq=start, last_seq=through, kind="archive")
        report = verify_file(out_path, signer.public_raw, mac_key=trail.keys.mac_key)
        if not report.ok or info["entries"] != through - start + 1:
            raise AuditFailure("the archive did not verify; nothing was pruned")
        with trail.db.transaction() as conn:
            lock_head(conn, trail.tenant)
            last_hash = conn.execute(
                select(audit_entries.c.entry_hash).where(
                    audit_entries.c.tenant == trail.tenant, audit_entries.c.seq == through
                )
            ).scalar_one()
            pruned = signer.sign(trail.tenant, through, "prune", format_time(now), bytes(last_hash))
            write_checkpoint(conn, pruned)
            conn.execute(
                insert(audit_archives).values(
                    tenant=trail.tenant,
                    through_seq=through,
                    through_hash=bytes(last_hash),
                    archived_at=format_time(now),
                    file=str(out_path),
                    file_sha256=info["sha256"],
                    entries=info["entries"],
                )
            )
            conn.execute(
                delete(audit_entries).where(
                    audit_entries.c.tenant == trail.tenant, audit_entries.c.seq <= through
                )
            )
            self.writer.append(
                conn,
                [
                    trail.system_entry(
                        now, "audit_prune", {"through_seq": through, "entries": info["entries"]}, actor=actor
                    )
                ],
                stash=True,
            )
        trail.publish([pruned])
        return {
            "pruned": info["entries"],
            "through_seq": through,
            "file": str(out_path),
            "sha256": info["sha256"],
        }
