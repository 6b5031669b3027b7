"""Principals: staff users and API clients created, disabled, re-enabled, unlocked, frozen.

Every operation here but :meth:`Principals.freeze_principal` is administrative: it takes
the acting :class:`~piguard.vault.model.Actor`, requires the catalog's ``administer``
action, and is recorded. Freezing is the monitoring rules' reflex on suspected
harvesting, so it takes no actor and is recorded as ``system``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from piguard.access import credentials as cred
from piguard.access import duties
from piguard.access.authentication import bootstrap_actor, role_needs_totp
from piguard.access.context import AccessContext
from piguard.access.tables import principals, tokens
from piguard.catalog import Catalog, Role
from piguard.catalog.vocabulary import BUILTIN_ROLES
from piguard.detect import mask_free_text
from piguard.errors import AccessDenied, Conflict, ValidationError
from piguard.principal import Actor


class Principals:
    """The lifecycle of users and clients, their training records, and the demo staff."""

    def __init__(self, context: AccessContext) -> None:
        self.context = context

    def _role(self, role: str) -> Role:
        spec = self.context.catalog.roles.get(role)
        if spec is None:
            raise ValidationError(f"no role '{role}' in the catalog", "role")
        if role in BUILTIN_ROLES:
            # System jobs and customers are principals of their own kind, never accounts.
            raise ValidationError(
                f"role '{role}' is for system jobs or customers, not staff or clients", "role"
            )
        return spec

    def _insert_principal(self, conn: Connection, creator: Actor, **values: Any) -> str:
        """Insert an account; returns its status (``pending`` under the two-person rule)."""
        if conn.execute(select(principals.c.id).where(principals.c.name == values["name"])).first():
            raise Conflict(f"the name '{values['name']}' is taken")
        now = self.context.clock.now()
        status = duties.creation_status(conn, self.context.catalog, creator, values["role"])
        conn.execute(
            insert(principals).values(
                status=status,
                status_reason=(
                    f"pending: a second administrator or an approver must approve ({duties.RULE})"
                    if status == "pending"
                    else None
                ),
                failed_logins=0,
                locked_at=None,
                totp_last_step=None,
                created_at=now,
                updated_at=now,
                created_by=creator.id,
                **values,
            )
        )
        return status

    @staticmethod
    def _check_name(name: str) -> None:
        if not (1 <= len(name) <= 64) or not all(ch.isalnum() or ch in "._-@" for ch in name):
            raise ValidationError("1-64 letters, digits or . _ - @", "name")

    def add_user(
        self,
        admin: Actor,
        name: str,
        role: str,
        *,
        password: str | None = None,
        totp: bool = True,
        customers_per_hour: int | None = None,
        max_results: int | None = None,
        probes_per_hour: int | None = None,
    ) -> dict[str, Any]:
        """Create a staff user. Returns the initial password (generated if not given) and TOTP secret once.

        :raises AccessDenied: ``admin`` may not administer.
        :raises ValidationError: bad name, unknown role, weak password, TOTP refused for a role that needs it.
        :raises Conflict: the name is taken.
        """
        ctx = self.context
        ctx.require(admin)
        self._check_name(name)
        spec = self._role(role)
        if not totp and role_needs_totp(spec, ctx.catalog):
            raise ValidationError(f"role '{role}' requires TOTP", "totp")
        secret_pw = password or cred.new_password()
        pw_hash = ctx.passwords.hash(secret_pw)
        totp_secret = cred.new_totp_secret() if totp else None
        pid = cred.new_id("usr")
        with ctx.db.transaction() as conn:
            status = self._insert_principal(
                conn,
                admin,
                id=pid,
                kind="staff",
                name=name,
                role=role,
                password_hash=pw_hash,
                # The seed is sealed: whoever reads the database must not be able to mint codes.
                totp_secret=ctx.secret_box.seal(totp_secret, pid) if totp_secret else None,
                customers_per_hour=customers_per_hour,
                max_results=max_results,
                probes_per_hour=probes_per_hour,
            )
        ctx.record(admin, "user_add", detail={"principal_id": pid, "role": role, "status": status})
        return {
            "id": pid,
            "name": name,
            "role": role,
            "status": status,
            "password": secret_pw,
            "totp_secret": totp_secret,
            "totp_uri": cred.totp_uri(totp_secret, name) if totp_secret else None,
        }

    def add_client(self, admin: Actor, name: str, role: str, *, days: int | None = None) -> dict[str, Any]:
        """Create an application client and its API key (shown once).

        :param days: key lifetime; default ``api_key_ttl``.
        """
        ctx = self.context
        ctx.require(admin)
        self._check_name(name)
        self._role(role)
        if days is not None and not 1 <= days <= 3650:
            raise ValidationError("must be between 1 and 3650", "days")
        pid = cred.new_id("cli")
        token, digest = cred.new_token(cred.API_KEY_PREFIX)
        now = ctx.clock.now()
        expires = now + (timedelta(days=days) if days is not None else ctx.api_key_ttl)
        with ctx.db.transaction() as conn:
            status = self._insert_principal(
                conn,
                admin,
                id=pid,
                kind="client",
                name=name,
                role=role,
                password_hash=None,
                totp_secret=None,
                customers_per_hour=None,
                max_results=None,
            )
            conn.execute(
                insert(tokens).values(
                    id=cred.new_id("key"),
                    token_hash=digest,
                    principal_id=pid,
                    kind="api_key",
                    created_at=now,
                    expires_at=expires,
                    revoked_at=None,
                    step_up_at=None,
                )
            )
        ctx.record(admin, "client_add", detail={"principal_id": pid, "role": role, "status": status})
        return {
            "id": pid,
            "name": name,
            "role": role,
            "status": status,
            "api_key": token,
            "expires_at": expires.isoformat(),
        }

    def approve_account(self, approver: Actor, name_or_id: str) -> dict[str, Any]:
        """The second person activates a pending account (two-person rule, issue 11.3).

        :raises AccessDenied: see :func:`piguard.access.duties.check_account_approver`; recorded.
        :raises Conflict: the account is not pending.
        :raises NotFound: no such account.
        """
        ctx = self.context
        refusal: AccessDenied | None = None
        with ctx.db.transaction() as conn:
            row = ctx.find_principal(conn, name_or_id)
            try:
                duties.check_account_approver(conn, ctx.catalog, approver, row.id)
            except AccessDenied as exc:
                refusal = exc
            else:
                if row.status != "pending":
                    raise Conflict(f"the account is {row.status}, not pending")
                conn.execute(
                    update(principals)
                    .where(principals.c.id == row.id)
                    .values(status="active", status_reason=None, updated_at=ctx.clock.now())
                )
        if refusal is not None:
            ctx.record(
                approver,
                "principal_approve",
                result="denied",
                rule=refusal.rule or "",
                detail={"principal_id": row.id},
            )
            raise refusal
        ctx.record(approver, "principal_approve", detail={"principal_id": row.id, "role": row.role})
        return {"id": row.id, "name": row.name, "role": row.role, "status": "active"}

    def _set_status(
        self, admin: Actor, name_or_id: str, kind: str | None, status: str, reason: str | None, action: str
    ) -> dict[str, Any]:
        ctx = self.context
        ctx.require(admin)
        now = ctx.clock.now()
        with ctx.db.transaction() as conn:
            row = ctx.find_principal(conn, name_or_id, kind)
            if row.id == admin.id and status != "active":
                raise ValidationError("you cannot disable yourself", "name")
            if row.status == "pending" and status == "active":
                # Enabling is not the second person's approval: that is approve_account.
                raise Conflict("the account awaits approval by a second person (approve it instead)")
            conn.execute(
                update(principals)
                .where(principals.c.id == row.id)
                .values(
                    status=status,
                    status_reason=mask_free_text(reason[:500]) if reason else None,
                    updated_at=now,
                )
            )
            if status != "active":
                # Belt and braces: authenticate() already refuses inactive principals.
                conn.execute(
                    update(tokens)
                    .where(tokens.c.principal_id == row.id, tokens.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
        ctx.record(admin, action, detail={"principal_id": row.id})
        return {"id": row.id, "name": row.name, "status": status}

    def disable(
        self, admin: Actor, name_or_id: str, reason: str = "disabled by an administrator"
    ) -> dict[str, Any]:
        """Disable a user or client; every token stops working on the very next request (seed 001)."""
        return self._set_status(admin, name_or_id, None, "disabled", reason, "principal_disable")

    def enable(self, admin: Actor, name_or_id: str) -> dict[str, Any]:
        """Re-enable a disabled or frozen principal (its old tokens stay revoked)."""
        return self._set_status(admin, name_or_id, None, "active", None, "principal_enable")

    def revoke_client(self, admin: Actor, name_or_id: str) -> dict[str, Any]:
        """Revoke an API client: its key stops working on the next request."""
        return self._set_status(admin, name_or_id, "client", "disabled", "revoked", "client_revoke")

    def unlock(self, admin: Actor, name_or_id: str) -> dict[str, Any]:
        """Clear the back-off after failed logins and step-ups, from every address."""
        ctx = self.context
        ctx.require(admin)
        with ctx.db.transaction() as conn:
            row = ctx.find_principal(conn, name_or_id, "staff")
            conn.execute(
                update(principals)
                .where(principals.c.id == row.id)
                .values(locked_at=None, failed_logins=0, updated_at=ctx.clock.now())
            )
            ctx.throttle.clear_account(conn, row.name)
            ctx.record(admin, "user_unlock", detail={"principal_id": row.id}, conn=conn)
        return {"id": row.id, "name": row.name, "locked": False}

    def freeze_principal(self, principal_id: str, reason: str) -> None:
        """Freeze a principal at once (the monitoring rules call this on suspected harvesting).

        Revokes every token; an administrator re-enables with ``enable``.

        :raises NotFound: no such principal.
        """
        ctx = self.context
        now = ctx.clock.now()
        with ctx.db.transaction() as conn:
            row = ctx.find_principal(conn, principal_id)
            conn.execute(
                update(principals)
                .where(principals.c.id == row.id)
                .values(status="frozen", status_reason=reason[:500], updated_at=now)
            )
            conn.execute(
                update(tokens)
                .where(tokens.c.principal_id == row.id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        ctx.record(
            Actor("system", "system", "system"),
            "principal_freeze",
            detail={"principal_id": row.id, "reason": reason[:500]},
        )

    # ------------------------------------------------------------------ training and demo

    def record_training(self, admin: Actor, name_or_id: str, **fields: Any) -> dict[str, Any]:
        """Record a course or a signed agreement for a staff user (R-TRN-1); administrators only."""
        ctx = self.context
        ctx.require(admin)
        with ctx.db.read() as conn:
            row = ctx.find_principal(conn, name_or_id, "staff")
        entry = ctx.training.record(row.id, recorded_by=admin.id, **fields)
        ctx.record(admin, "training_record", detail={"principal_id": row.id, "kind": entry["kind"]})
        return entry

    def _id_of(self, name: str) -> str:
        with self.context.db.read() as conn:
            return str(self.context.find_principal(conn, name).id)

    def create_demo_staff(self, catalog: Catalog | None = None) -> list[dict[str, Any]]:
        """One demo user per catalog role, trained and signed, with printed credentials.

        For ``piguard demo`` only: the passwords and TOTP secrets are returned in clear.
        Users that already exist (``demo_<role>``) are skipped.
        """
        cat = catalog or self.context.catalog
        setup = bootstrap_actor()
        today = self.context.training.today()
        out: list[dict[str, Any]] = []
        roles = [r for r in cat.roles if r not in BUILTIN_ROLES]
        # Separation of duties shapes the order: the bootstrap credential creates the officer (and
        # any role that may approve grants) and the administrator while it still may; the
        # administrator creates everyone else, and the officer is the second person who approves
        # those accounts. Requesters and approvers then come from different creators.
        approvers = [r for r in roles if "approve" in cat.roles[r].actions]
        admins = [r for r in roles if "administer" in cat.roles[r].actions and r not in approvers][:1]
        creator_of: dict[str, Actor] = {}
        for role in [*approvers, *admins, *(r for r in roles if r not in approvers and r not in admins)]:
            name = f"demo_{role}"
            if role in approvers or role in admins or not admins:
                creator = setup
            else:
                creator = creator_of.setdefault(
                    "admin", Actor(self._id_of(f"demo_{admins[0]}"), admins[0], "staff")
                )
            try:
                user = self.add_user(creator, name, role)
            except Conflict:
                continue
            if user["status"] == "pending":
                second = next((r for r in approvers if r != role), None) or (admins[0] if admins else None)
                if second is not None:
                    self.approve_account(Actor(self._id_of(f"demo_{second}"), second, "staff"), user["id"])
            self.record_training(
                setup, user["id"], kind="agreement", course="confidentiality agreement", completed_on=today
            )
            self.record_training(
                setup, user["id"], kind="course", course="PI protection basics", completed_on=today, score=100
            )
            out.append(
                {
                    "role": role,
                    "name": name,
                    "password": user["password"],
                    "totp_secret": user["totp_secret"],
                    "totp_uri": user["totp_uri"],
                }
            )
        return out
