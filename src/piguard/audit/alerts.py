"""Stored alerts: raised by the rules, listed, acknowledged with a comment."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update

from piguard.audit.format import dump_json
from piguard.audit.rules import AlertDraft
from piguard.audit.tables import audit_alerts
from piguard.detect import mask_free_text
from piguard.errors import Conflict, NotFound, ValidationError

STATUSES: Final = ("open", "acknowledged")
_A = audit_alerts.c


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    time: str
    rule: str
    severity: str
    principal_id: str
    summary: str
    detail: dict[str, Any]
    first_seq: int
    last_seq: int
    action: str
    status: str
    acked_by: str | None = None
    acked_at: str | None = None
    ack_comment: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def new_id() -> str:
    return "al_" + secrets.token_hex(8)


def store(conn: Connection, tenant: str, draft: AlertDraft, *, alert_id: str, now: str, action: str) -> Alert:
    alert = Alert(
        alert_id,
        now,
        draft.rule,
        draft.severity,
        draft.principal_id,
        draft.summary,
        dict(draft.detail),
        draft.first_seq,
        draft.last_seq,
        action,
        "open",
    )
    conn.execute(
        insert(audit_alerts).values(
            id=alert.id,
            tenant=tenant,
            time=now,
            rule=alert.rule,
            severity=alert.severity,
            principal_id=alert.principal_id,
            summary=alert.summary,
            detail=dump_json(alert.detail),
            first_seq=alert.first_seq,
            last_seq=alert.last_seq,
            action=action,
            status="open",
        )
    )
    return alert


def _alert(row: Any) -> Alert:
    return Alert(
        row.id,
        row.time,
        row.rule,
        row.severity,
        row.principal_id,
        row.summary,
        json.loads(row.detail),
        int(row.first_seq),
        int(row.last_seq),
        row.action,
        row.status,
        row.acked_by,
        row.acked_at,
        row.ack_comment,
    )


def listing(conn: Connection, tenant: str, *, status: str | None = None, limit: int = 100) -> list[Alert]:
    """Alerts, newest first.

    :raises ValidationError: unknown status.
    """
    query = select(audit_alerts).where(_A.tenant == tenant)
    if status is not None:
        if status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}", "status")
        query = query.where(_A.status == status)
    return [_alert(r) for r in conn.execute(query.order_by(_A.time.desc(), _A.id).limit(max(1, limit)))]


def acknowledge(conn: Connection, tenant: str, alert_id: str, *, by: str, comment: str, now: str) -> Alert:
    """:raises ValidationError: no comment. :raises NotFound: no such alert.
    :raises Conflict: already acknowledged."""
    if not comment.strip():
        raise ValidationError("a comment is required", "comment")
    row = conn.execute(select(audit_alerts).where(_A.tenant == tenant, _A.id == alert_id)).first()
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    if row.status != "open":
        raise Conflict(f"alert {alert_id} is already acknowledged")
    conn.execute(
        update(audit_alerts)
        .where(_A.id == alert_id)
        .values(
            status="acknowledged",
            acked_by=by,
            acked_at=now,
            ack_comment=mask_free_text(comment.strip()[:2000]),
        )
    )
    updated = conn.execute(select(audit_alerts).where(_A.id == alert_id)).one()
    return _alert(updated)
