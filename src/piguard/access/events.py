"""What the gate hands to the audit trail: :class:`AccessEvent` and the recorder protocol.

Defined here (and re-exported by :mod:`piguard.service`) so that both the gate and the
account administration in :mod:`piguard.access` can record without importing
each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """What the audit trail records for one gate call. Holds no field values, ever."""

    time: datetime
    actor_id: str
    role: str
    action: str
    purpose: str
    record_type: str | None
    customer_id: str | None
    record_id: str | None
    fields: tuple[str, ...]
    decision: str
    rule: str
    result: str
    client: str | None = None
    address: str | None = None
    session: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class AccessRecorder(Protocol):
    """Where access events go. ``conn`` is the data transaction when there is one."""

    def record(self, event: AccessEvent, conn: Connection | None = None) -> None: ...


class MemoryRecorder:
    """Keeps events in a list; for tests and until the audit trail is configured."""

    def __init__(self) -> None:
        self.events: list[AccessEvent] = []

    def record(self, event: AccessEvent, conn: Connection | None = None) -> None:
        self.events.append(event)
