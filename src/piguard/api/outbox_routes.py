"""HTTP routes of the outbox: what was queued for customers and how its delivery went.

``GET /v1/outbox`` runs the outbox's ``outbox_list`` operation (the catalog's ``administer``
action): ids, customer, channel, template, status, attempts and times, never a message's
parameters, address or text. Sending has no route: the ``outbox`` job sends, as its own
system principal.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from piguard.api.deps import Who, context
from piguard.installation import Installation
from piguard.outbox import Outbox


def build_router(inst: Installation) -> APIRouter:
    """The outbox routes under ``/v1``."""
    outbox = inst.capability(Outbox)
    router = APIRouter(prefix="/v1", tags=["outbox"])

    @router.get("/outbox")
    def messages(
        request: Request,
        who: Who,
        status: Literal["pending", "sent", "failed"] | None = None,
        reference: str | None = Query(default=None, max_length=128),
        limit: int = Query(default=100, ge=1, le=1000),
    ) -> dict[str, Any]:
        """Messages to customers, newest first (status only: no contents, no addresses)."""
        found = outbox.list(context(request, who), status=status, reference=reference, limit=limit)
        return {"messages": found}

    return router
