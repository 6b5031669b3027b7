"""Signed manifests: how a report or an evidence bundle is verified offline.

A manifest lists every file (name, size, SHA-256), the report id, the time and the signing
key's id. It is signed with the installation's audit key (Ed25519), the key that signs audit
checkpoints and destruction records, so one published public key
(``piguard audit public-key``) verifies all three. :func:`verify` needs only the directory or
the bundle and that public key: no home, no master secret, no database.

A report directory holds ``manifest.json`` and ``manifest.sig`` (hex) beside its files; a bundle
is a ZIP archive with the same two members.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from piguard.gate.sdk import SigningKey, VerifyKey

SCHEMA = "piguard.compliance.manifest/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"


def key_id_of(public_raw: bytes) -> str:
    """The audit key's id (as the audit trail names it)."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def canonical(manifest: Mapping[str, Any]) -> bytes:
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def manifest_for(
    files: Mapping[str, bytes], *, report_id: str, created_at: str, key: SigningKey
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "report": report_id,
        "created_at": created_at,
        "key_id": key_id_of(key.public_raw),
        "files": [
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted(files.items())
        ],
    }


def sign(manifest: Mapping[str, Any], key: SigningKey) -> str:
    """The hex signature of the manifest's canonical bytes, which are what ``manifest.json``
    holds byte for byte (so any changed byte of it fails)."""
    return key.sign(canonical(manifest)).hex()


def _members(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def verify(path: Path, public_key: bytes) -> dict[str, Any]:
    """Check a report directory or bundle against the trusted ``public_key`` (raw 32 bytes).

    :returns: ``{"ok", "report", "files", "problems"}``; ``ok`` only when the signature is good for
        this key and every listed file is present with its size and hash, and no file is unlisted.
    """
    problems: list[str] = []
    try:
        members = _members(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return {"ok": False, "report": None, "files": 0, "problems": [f"unreadable: {type(exc).__name__}"]}
    raw, sig = members.pop(MANIFEST, None), members.pop(SIGNATURE, None)
    if raw is None or sig is None:
        return {"ok": False, "report": None, "files": 0, "problems": ["no signed manifest"]}
    try:
        manifest = json.loads(raw)
        signature = bytes.fromhex(sig.decode("ascii").strip())
    except (ValueError, UnicodeDecodeError):
        return {
            "ok": False,
            "report": None,
            "files": 0,
            "problems": ["the manifest or signature is malformed"],
        }
    if manifest.get("key_id") != key_id_of(public_key):
        problems.append("signed with another key than the one trusted")
    if not VerifyKey(public_key).valid(signature, raw):
        problems.append("the signature does not match the manifest (altered, or another key)")
    listed = {f["name"]: f for f in manifest.get("files", [])}
    for name, entry in sorted(listed.items()):
        data = members.get(name)
        if data is None:
            problems.append(f"{name}: missing")
        elif len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"{name}: altered")
    problems += [f"{name}: not in the manifest" for name in sorted(set(members) - set(listed))]
    return {"ok": not problems, "report": manifest.get("report"), "files": len(listed), "problems": problems}
