"""What a legal hold is, as the edges see it (no reasons: they are sealed and shown only to
the officers who decide on holds)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Hold:
    """A legal hold on one customer (S3 Object Lock's legal hold: a flag with no end date until
    released; a review date reminds the owner to decide, it releases nothing by itself)."""

    id: str
    customer_id: str
    matter: str | None
    owner: str
    review_on: date | None
    placed_by: str
    placed_at: datetime
    released_by: str | None = None
    released_at: datetime | None = None
    reason: str | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None

    def review_due(self, today: date) -> bool:
        """The owner should review the hold (it stays in force until released)."""
        return self.active and self.review_on is not None and self.review_on <= today

    def as_dict(self, today: date | None = None) -> dict[str, Any]:
        out = asdict(self)
        for key in ("review_on", "placed_at", "released_at"):
            if out[key] is not None:
                out[key] = out[key].isoformat()
        out["active"] = self.active
        if today is not None:
            out["review_due"] = self.review_due(today)
        return out
