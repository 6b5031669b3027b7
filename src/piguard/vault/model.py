"""Plain data passed between the vault, the gate and the edges."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from piguard.principal import Actor

__all__ = ["Actor", "ImportReport", "Record", "RecordRef", "Rejection", "TxHook"]


@dataclass(frozen=True, slots=True)
class RecordRef:
    customer_id: str
    record_type: str
    record_id: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """One rejected import row: ``row`` counts from 1 for the first data row."""

    row: int
    field: str | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass(slots=True)
class ImportReport:
    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Record:
    """Decrypted fields of one record (clear values; the gate masks before anything leaves)."""

    ref: RecordRef
    values: dict[str, str]
    status: str = "active"


#: A hook run inside the data transaction before it commits (the audit log writes here,
#: so a data change and its audit entry commit together or not at all).
TxHook = Callable[[Connection, Sequence[RecordRef]], None]
