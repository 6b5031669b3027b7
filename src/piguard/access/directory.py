"""The directory: read-only views of principals, of oneself, and of training records.

Nothing here writes: these are the lookups the console, the CLI and the API list from.
Descriptions carry no secret (no hash, no seed), only whether TOTP is enrolled.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from piguard.access.authentication import Authentication
from piguard.access.context import AccessContext
from piguard.access.decision import BOOTSTRAP_ROLE
from piguard.access.tables import principals, tokens
from piguard.errors import AccessDenied
from piguard.principal import Actor


def _describe(row: Any, locked: bool) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "name": row.name,
        "role": row.role,
        "status": row.status,
        "status_reason": row.status_reason,
        # Whether some address is backing off after failed logins (there is no account-wide lock).
        "locked": locked,
        "failed_logins": row.failed_logins,
        "totp": row.totp_secret is not None,
        "customers_per_hour": row.customers_per_hour,
        "max_results": row.max_results,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
    }


class Directory:
    """Principals listed and described, ``whoami``, training records.

    :param authentication: asked whether an actor's step-up is current (for ``whoami``).
    """

    def __init__(self, context: AccessContext, authentication: Authentication) -> None:
        self.context = context
        self.authentication = authentication

    def list_principals(self, admin: Actor, kind: str | None = None) -> list[dict[str, Any]]:
        self.context.require(admin)
        query = select(principals).order_by(principals.c.name)
        if kind is not None:
            query = query.where(principals.c.kind == kind)
        with self.context.db.read() as conn:
            rows = list(conn.execute(query))
            expiry = self._key_expiry(conn)
        out = [_describe(r, self._locked(r)) for r in rows]
        for item in out:
            if item["kind"] == "client":
                # When the client's newest live API key stops working (None: no live key).
                item["key_expires_at"] = expiry.get(item["id"])
        return out

    def _locked(self, row: Any) -> bool:
        return row.kind == "staff" and self.context.throttle.backed_off(row.name)

    def _key_expiry(self, conn: Any) -> dict[str, str | None]:
        query = select(tokens.c.principal_id, tokens.c.expires_at).where(
            tokens.c.kind == "api_key", tokens.c.revoked_at.is_(None)
        )
        found: dict[str, str | None] = {}
        for pid, expires in conn.execute(query):
            text = expires.isoformat() if expires is not None else None
            if pid not in found or (text or "9") > (found[pid] or "9"):
                found[pid] = text
        return found

    def principal(self, name_or_id: str) -> dict[str, Any]:
        with self.context.db.read() as conn:
            row = self.context.find_principal(conn, name_or_id)
        return _describe(row, self._locked(row))

    def whoami(self, actor: Actor) -> dict[str, Any]:
        """Who the actor is, what its role allows, and whether training and step-up are current."""
        ctx = self.context
        out: dict[str, Any] = {
            "id": actor.id,
            "name": actor.name,
            "kind": actor.kind,
            "role": actor.role,
            "session": actor.session,
        }
        role = ctx.catalog.roles.get(actor.role)
        if role is not None:
            out.update(
                actions=sorted(role.actions),
                purposes=sorted(role.purposes),
                quotas=role.quotas.model_dump(),
                scope=role.scope,
            )
        if actor.kind == "staff" and actor.role != BOOTSTRAP_ROLE:
            out["training"] = ctx.training.status(actor.id).as_dict()
            out["stepped_up"] = self.authentication.stepped_up(actor)
            out["customers_read_this_hour"] = ctx.quotas.used(actor.id)
        return out

    def list_training(self, actor: Actor, name_or_id: str | None = None) -> list[dict[str, Any]]:
        """Training records: one's own, or anyone's for administrators and auditors (R-TRN-1)."""
        ctx = self.context
        role = ctx.catalog.roles.get(actor.role)
        privileged = actor.role == BOOTSTRAP_ROLE or (
            role is not None and bool({"administer", "audit"} & role.actions)
        )
        if name_or_id is None:
            return ctx.training.list(None if privileged else actor.id)
        with ctx.db.read() as conn:
            pid = ctx.find_principal(conn, name_or_id, "staff").id
        if pid != actor.id and not privileged:
            raise AccessDenied("only administrators and auditors see other people's training", "training")
        return ctx.training.list(pid)
