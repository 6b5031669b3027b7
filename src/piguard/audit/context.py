"""One tenant's trail: where it is stored, its keys, its clock; what every part of the log shares.

:class:`~piguard.audit.AuditLog` is a facade over a writer, a monitor, a reader and
retention (:mod:`~piguard.audit.writer`, :mod:`~piguard.audit.monitor`,
:mod:`~piguard.audit.reader`, :mod:`~piguard.audit.retention`). They all address the same
chain with the same keys, so they hold one :class:`TrailContext` rather than copies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from piguard.access.events import AccessEvent
from piguard.audit.anchors import Anchor
from piguard.audit.entry import Prepared, prepare
from piguard.audit.keys import AuditKeys
from piguard.audit.rules import TRAIL_PURPOSE
from piguard.audit.signing import Checkpoint, Signer
from piguard.clock import Clock
from piguard.errors import AuditFailure, Error, StoreBusy
from piguard.store import Database
from piguard.store._engine import translate

log = logging.getLogger(__name__)


def failure_reason(exc: BaseException) -> str:
    """What an :class:`~piguard.errors.AuditFailure` may say about its cause."""
    # piguard errors and driver summaries carry no values; anything else is named by type only.
    return str(exc) if isinstance(exc, Error) else type(exc).__name__


def audit_failure(what: str, exc: BaseException) -> AuditFailure:
    """The :class:`AuditFailure` for ``exc``; one caused by a busy database says when to retry
    (the API's 503 then carries ``Retry-After``)."""
    failure = AuditFailure(f"{what}: {failure_reason(exc)}")
    if isinstance(exc, StoreBusy):
        failure.retry_after = exc.retry_after
    return failure


class TrailContext:
    """The database, tenant, clock, reference and MAC keys, checkpoint signer and anchors of one chain.

    :param clock: time of checkpoints, alerts and retention decisions (events carry their own).
    :param anchors: where committed checkpoints are published outside the data database.
    """

    def __init__(
        self,
        db: Database,
        tenant: str,
        clock: Clock,
        keys: AuditKeys,
        signer: Signer,
        anchors: Iterable[Anchor] = (),
    ) -> None:
        self.db = db
        self.tenant = tenant
        self.clock = clock
        self.keys = keys
        self.signer = signer
        self.anchors: list[Anchor] = list(anchors)

    def publish(self, cps: Iterable[Checkpoint]) -> None:
        """Publish committed checkpoints to every anchor; a failing anchor is logged, never raised
        (the checkpoint is already durable in the database, and the request must not fail)."""
        for cp in cps:
            for anchor in self.anchors:
                try:
                    anchor.publish(cp)
                except Exception as exc:
                    log.warning("audit anchor %s failed: %s", anchor.name, type(exc).__name__)

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """One consistent view of the trail (REPEATABLE READ on PostgreSQL)."""
        with translate("audit read"):
            with self.db.engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn

    def system_entry(self, now: datetime, action: str, detail: dict[str, Any], actor: str) -> Prepared:
        """An entry the trail writes about itself (an alert, an acknowledgement, a prune)."""
        return prepare(
            AccessEvent(
                time=now,
                actor_id=actor,
                role="system",
                action=action,
                purpose=TRAIL_PURPOSE,
                record_type=None,
                customer_id=None,
                record_id=None,
                fields=(),
                decision="allow",
                rule="",
                result="ok",
                detail=detail,
            ),
            self.keys,
            self.tenant,
        )
