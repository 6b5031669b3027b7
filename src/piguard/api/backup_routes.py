"""HTTP routes of backups under ``/v1/backups``: create and verify, by name, in the installation's
backup directory (``<home>/backups``; the API never takes a server path, so a caller cannot
write or read elsewhere on the server), and the erasure ledger a restore elsewhere replays.

Restoring writes a new home and runs there as ``system:restore``: the CLI's
``piguard backup restore``, not a route of the installation being restored from.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from piguard.api.deps import Who, context
from piguard.backup import Backups
from piguard.installation import Installation

#: A backup's name: a directory under ``<home>/backups``, nothing that could climb out of it.
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class BackupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME)


def build_router(inst: Installation) -> APIRouter:
    """The backup routes under ``/v1``."""
    backups = inst.capability(Backups)
    router = APIRouter(prefix="/v1", tags=["backups"])

    @router.post("/backups", status_code=201)
    def create_backup(body: BackupIn, request: Request, who: Who) -> dict[str, Any]:
        """Write a sealed, signed backup named ``name`` (online; the data database and the key
        store as separate artifacts)."""
        return backups.create(context(request, who), backups.directory(body.name))

    @router.post("/backups/verify")
    def verify_backup(body: BackupIn, request: Request, who: Who) -> dict[str, Any]:
        """Check a backup's signature and checksums and restore it into a throwaway home."""
        return backups.verify(context(request, who), backups.directory(body.name))

    @router.get("/backups")
    def list_backups(request: Request, who: Who) -> dict[str, Any]:
        """The backups in the backup directory, from their signed manifests (no secret needed)."""
        return {"backups": backups.listing(context(request, who))}

    @router.get("/backups/ledger")
    def erasure_ledger(request: Request, who: Who) -> dict[str, Any]:
        """Every erasure, in order (customer references, record ids, field names): what a restore
        of an older backup replays."""
        return {"entries": backups.ledger(context(request, who))}

    return router
