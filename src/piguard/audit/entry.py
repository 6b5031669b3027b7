"""Audit entries: built from an :class:`~piguard.service.AccessEvent`, read back from rows."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from piguard.access.events import AccessEvent
from piguard.audit.format import LIMITS, clean, dump_json, format_time, make_body, split_body
from piguard.audit.keys import AuditKeys
from piguard.audit.scrub import scrub
from piguard.detect import mask_free_text


@dataclass(frozen=True, slots=True)
class Prepared:
    """An entry ready to chain: its body and its indexed column values."""

    body: str
    time: str
    actor_id: str
    action: str
    customer_ref: str
    values: dict[str, str]
    fields: tuple[str, ...]
    detail: dict[str, Any]


#: What a declared purpose looks like (catalog names). Anything else is whatever a caller typed.
_PURPOSE_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")


def clean_purpose(purpose: str | None) -> str:
    """The purpose as stored: a catalog name as is; anything else (a refused request's raw
    purpose, which may carry a mobile or a name) masked with the detector, since the trail is
    immutable and exported."""
    text = clean(purpose)
    return text if not text or _PURPOSE_NAME.fullmatch(text) else mask_free_text(text)


def prepare(event: AccessEvent, keys: AuditKeys, tenant: str) -> Prepared:
    """Turn an event into a body. Customer, record and session ids become keyed refs;
    ``detail`` is scrubbed; no value of a customer field can appear (the event has none).

    :raises ValueError: the event's time is naive.
    """
    fields = tuple(clean(f, 64) for f in event.fields)
    detail = scrub(event.detail, keys) if event.detail else {}
    values = {
        "tenant": clean(tenant, LIMITS["tenant"]),
        "time": format_time(event.time),
        "actor_id": clean(event.actor_id, LIMITS["actor_id"]),
        "action": clean(event.action, LIMITS["action"]),
        "customer_ref": keys.customer_ref(event.customer_id) if event.customer_id else "",
        "role": clean(event.role),
        "purpose": clean_purpose(event.purpose),
        "record_type": clean(event.record_type),
        "record_ref": keys.opaque_ref("record", event.record_type or "", event.record_id)
        if event.record_id
        else "",
        "fields": dump_json(list(fields)),
        "decision": clean(event.decision),
        "rule": clean(event.rule),
        "result": clean(event.result),
        "client": clean(event.client),
        "address": clean(event.address),
        "session_ref": keys.opaque_ref("session", event.session) if event.session else "",
        "detail": dump_json(detail) if detail else "",
    }
    return Prepared(
        make_body(values),
        values["time"],
        values["actor_id"],
        values["action"],
        values["customer_ref"],
        values,
        fields,
        detail,
    )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One stored entry, decoded. Holds references and names only, never customer values."""

    seq: int
    tenant: str
    time: str
    actor_id: str
    action: str
    customer_ref: str
    role: str
    purpose: str
    record_type: str
    record_ref: str
    fields: tuple[str, ...]
    decision: str
    rule: str
    result: str
    client: str
    address: str
    session_ref: str
    detail: dict[str, Any]
    prev_hash: str
    entry_hash: str

    @classmethod
    def from_prepared(cls, seq: int, p: Prepared, prev_hash: bytes, entry_hash: bytes) -> AuditEntry:
        """The entry just appended, without re-parsing its body."""
        return cls._build(seq, p.values, p.fields, p.detail, prev_hash, entry_hash)

    @classmethod
    def decode(cls, seq: int, body: str, prev_hash: bytes, entry_hash: bytes) -> AuditEntry:
        """:raises ValueError: the body is malformed."""
        v = split_body(body)
        fields = tuple(json.loads(v["fields"]) if v["fields"] else ())
        detail = json.loads(v["detail"]) if v["detail"] else {}
        return cls._build(seq, v, fields, detail, prev_hash, entry_hash)

    @classmethod
    def _build(
        cls,
        seq: int,
        v: Mapping[str, str],
        fields: tuple[str, ...],
        detail: dict[str, Any],
        prev_hash: bytes,
        entry_hash: bytes,
    ) -> AuditEntry:
        return cls(
            seq=seq,
            tenant=v["tenant"],
            time=v["time"],
            actor_id=v["actor_id"],
            action=v["action"],
            customer_ref=v["customer_ref"],
            role=v["role"],
            purpose=v["purpose"],
            record_type=v["record_type"],
            record_ref=v["record_ref"],
            fields=fields,
            decision=v["decision"],
            rule=v["rule"],
            result=v["result"],
            client=v["client"],
            address=v["address"],
            session_ref=v["session_ref"],
            detail=detail,
            prev_hash=prev_hash.hex(),
            entry_hash=entry_hash.hex(),
        )

    @property
    def actor_kind(self) -> str:
        """What kind of principal acted, read from its id: ``customer`` (``customer:<id>``, the
        privacy centre), ``system`` (``system:<job>``, the jobs and the privacy centre's sign-in
        principal) or ``staff`` (a user or an application client, whose ids hold no colon)."""
        head, sep, _ = self.actor_id.partition(":")
        return head if sep and head in ("customer", "system") else "staff"

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "actor_id": self.actor_id,
            "role": self.role,
            "action": self.action,
            "purpose": self.purpose,
            "customer_ref": self.customer_ref or None,
            "record_type": self.record_type or None,
            "record_ref": self.record_ref or None,
            "fields": list(self.fields),
            "decision": self.decision,
            "rule": self.rule,
            "result": self.result,
            "client": self.client or None,
            "address": self.address or None,
            "session_ref": self.session_ref or None,
            "detail": self.detail,
            "tenant": self.tenant,
            "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
        }
