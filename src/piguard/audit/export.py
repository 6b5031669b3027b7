"""Exported segments: JSON Lines files that verify on their own.

Layout: one ``header`` line (tenant, key id, public key, the segment's range, the hash
its first entry links to, and every signed checkpoint inside the range), then one
``entry`` line per entry carrying the hashed ``body`` *and* a readable decoding of it,
then a ``footer``. The exporter writes a checkpoint at the segment's end first, so every
entry in a file is covered by a signature; anyone holding the public key can check it
with :func:`verify_file` (``piguard audit verify --file F``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from piguard.audit.entry import AuditEntry
from piguard.audit.signing import Checkpoint, Verifier
from piguard.audit.verify import Row, Segment, VerifyReport, verify_rows
from piguard.errors import ValidationError

FORMAT: Final = "piguard-audit-export/1"


def write_segment(
    path: Path,
    *,
    tenant: str,
    public_raw: bytes,
    key_id: str,
    first_seq: int,
    last_seq: int,
    anchor_hash: bytes,
    checkpoints: list[Checkpoint],
    entries: Iterable[tuple[int, bytes, bytes, bytes, str]],
    exported_at: str,
) -> tuple[int, str]:
    """Write a segment atomically (temporary file, fsync, rename), mode 0600.

    :returns: the number of entries written and the file's SHA-256 (hex).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.", suffix=".tmp")
    digest = hashlib.sha256()
    count = 0
    try:
        with os.fdopen(fd, "wb") as fh:

            def put(doc: dict[str, Any]) -> None:
                line = (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
                digest.update(line)
                fh.write(line)

            put(
                {
                    "type": "header",
                    "format": FORMAT,
                    "tenant": tenant,
                    "key_id": key_id,
                    "public_key": public_raw.hex(),
                    "first_seq": first_seq,
                    "last_seq": last_seq,
                    "anchor_hash": anchor_hash.hex(),
                    "exported_at": exported_at,
                    "checkpoints": [cp.as_dict() for cp in checkpoints],
                }
            )
            for seq, prev_hash, entry_hash, mac, body in entries:
                entry = AuditEntry.decode(seq, body, prev_hash, entry_hash).as_dict()
                put(
                    {
                        "type": "entry",
                        "seq": seq,
                        "prev_hash": prev_hash.hex(),
                        "entry_hash": entry_hash.hex(),
                        "mac": mac.hex(),
                        "body": body,
                        "entry": entry,
                    }
                )
                count += 1
            put({"type": "footer", "entries": count})
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return count, digest.hexdigest()


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                raise ValidationError(f"line {number} is not JSON", "file") from None
            if not isinstance(doc, dict):
                raise ValidationError(f"line {number} is not an object", "file")
            yield doc


def _row(doc: dict[str, Any]) -> Row:
    seq, body = int(doc["seq"]), str(doc["body"])
    prev_hash, entry_hash = bytes.fromhex(doc["prev_hash"]), bytes.fromhex(doc["entry_hash"])
    readable = doc.get("entry")
    try:
        decoded = AuditEntry.decode(seq, body, prev_hash, entry_hash).as_dict()
    except ValueError:
        decoded = None
    if decoded is None or readable != decoded:
        # The readable copy was edited (or the body is malformed): fail the content check.
        body = ""
    e = decoded or {}
    return (
        seq,
        prev_hash,
        entry_hash,
        bytes.fromhex(doc["mac"]),
        body,
        e.get("tenant", ""),
        e.get("time", ""),
        e.get("actor_id", ""),
        e.get("action", ""),
        e.get("customer_ref") or "",
    )


def verify_file(
    path: str | os.PathLike[str], public_key: bytes | str, *, mac_key: bytes | None = None
) -> VerifyReport:
    """Verify an exported segment with nothing but the public key.

    :param public_key: the trusted Ed25519 public key (32 bytes, or 64 hex digits);
        a file signed by another key fails with a ``checkpoint`` finding.
    :param mac_key: also check entry MACs (only the installation has this key).
    :raises ValidationError: the file is not an export (bad JSON, no header).
    """
    target = Path(path)
    raw = bytes.fromhex(public_key) if isinstance(public_key, str) else public_key
    verifier = Verifier(raw)
    lines = _lines(target)
    header = next(lines, None)
    if not header or header.get("type") != "header" or header.get("format") != FORMAT:
        raise ValidationError("not a piguard audit export (missing header)", "file")
    try:
        tenant = str(header["tenant"])
        cps = [Checkpoint.from_dict(tenant, cp) for cp in header["checkpoints"]]
        segment = Segment(
            int(header["first_seq"]),
            bytes.fromhex(header["anchor_hash"]),
            cps,
            verifier,
            mac_key=mac_key,
            expected_last=int(header["last_seq"]),
            strict=True,
        )
    except (KeyError, TypeError, ValueError):
        raise ValidationError("malformed export header", "file") from None
    report = VerifyReport(source=str(target), key_id=verifier.key_id)
    if header.get("key_id") != verifier.key_id:
        report.add(
            "checkpoint",
            None,
            f"the file names key {header.get('key_id')}, not the trusted {verifier.key_id}",
        )

    def entry_rows() -> Iterator[Row]:
        for doc in lines:
            if doc.get("type") == "entry":
                try:
                    yield _row(doc)
                except (KeyError, TypeError, ValueError):
                    raise ValidationError(f"malformed entry line (seq {doc.get('seq')})", "file") from None

    def lookup(hashes: set[bytes]) -> dict[bytes, list[int]]:
        found: dict[bytes, list[int]] = {}
        for doc in _lines(target):
            if doc.get("type") == "entry":
                h = bytes.fromhex(str(doc.get("entry_hash", "")))
                if h in hashes:
                    found.setdefault(h, []).append(int(doc["seq"]))
        return found

    return verify_rows(segment, entry_rows(), lookup, report)
