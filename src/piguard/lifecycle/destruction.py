"""Destruction records (R-DST-3): what one erasure destroyed, signed, verifiable offline.

A record is a JSON document (schema ``piguard.destruction-record/1``): scope (the customer's
random id, records deleted per record type, for a partial erasure the fields removed and from how
many records), method (``crypto_shred``: records deleted and the customer's data key destroyed, so
every copy of their ciphertexts, backups included, is unreadable; ``partial``: what no legal floor
keeps deleted, the key kept for the rest), time, the operation and principal that erased, and the
verification run once the erasure committed (``unreadable``: the check found no key and no record;
``remaining``: records of the deleted types still found). It holds no value of the customer.

The signature is Ed25519 with the installation's audit key over the canonical JSON of every other
member (sorted keys, no spaces, UTF-8), prefixed by a label so it can never pass for a checkpoint's
signature. ``verify`` needs only the document and the public key (``GET /v1/audit/public-key``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from piguard.gate.sdk import VerifyKey

__all__ = ["SCHEMA", "canonical", "message", "verify"]

SCHEMA: Final = "piguard.destruction-record/1"
_LABEL: Final = b"piguard destruction record v1\n"
#: The members every signed record has (``verify`` refuses a document missing one).
REQUIRED: Final = (
    "schema", "id", "tenant", "at", "operation", "operator", "method", "customer_id", "deleted",
    "stripped", "fields", "records", "verification", "key_id",
)  # fmt: skip


def canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: every member but ``signature``, in canonical JSON."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def message(document: Mapping[str, Any]) -> bytes:
    return _LABEL + canonical(document)


def verify(document: object, public_key: bytes, key_id: str | None = None) -> list[str]:
    """Problems with a signed record (an empty list: it is intact and signed by ``public_key``).

    ``key_id``, when given, is the key the verifier trusts (the audit key's id): a record naming
    another key is refused even if its signature is good for the key it names.
    """
    if not isinstance(document, Mapping):
        return ["not a JSON object"]
    problems = [f"missing {name}" for name in REQUIRED if name not in document]
    if document.get("schema") != SCHEMA:
        problems.append(f"schema is not {SCHEMA}")
    if key_id is not None and document.get("key_id") != key_id:
        problems.append("signed with another key than the one trusted")
    signature = document.get("signature")
    try:
        raw = bytes.fromhex(signature) if isinstance(signature, str) else b""
    except ValueError:
        raw = b""
    if not raw:
        problems.append("no signature")
    elif not VerifyKey(public_key).valid(raw, message(document)):
        problems.append("the signature does not match the document (altered, or another key)")
    return problems
