"""What the SDK returns: small frozen dataclasses over the API's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from piguard.errors import QuotaExceeded


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A record's address: its id, its owner (the customer) and its type."""

    id: str
    customer_id: str
    type: str
    #: On search matches: the customer's name and mobile, masked (``None`` elsewhere, or unreadable).
    summary: dict[str, str | None] | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordRef:
        summary = data.get("summary")
        return cls(
            str(data["id"]),
            str(data["customer_id"]),
            str(data["type"]),
            dict(summary) if isinstance(summary, dict) else None,
        )


@dataclass(frozen=True, slots=True)
class Record:
    """A record as the gate let it out: values (masked as decided) and each field's level."""

    id: str
    type: str
    fields: dict[str, str | None]
    levels: dict[str, str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(str(data["id"]), str(data["type"]), dict(data["fields"]), dict(data["levels"]))


@dataclass(frozen=True, slots=True)
class ImportResult:
    accepted: int
    ids: list[str]
    rejected: list[dict[str, Any]] = field(default_factory=list)


class RetryLater(QuotaExceeded):
    """The server's rate limiter refused the call (HTTP 429); wait ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason, "rate limit")
        self.retry_after = retry_after
