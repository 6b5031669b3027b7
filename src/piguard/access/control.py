"""Principals and authentication: staff users, API clients, sessions, lockout, step-up (R-USE-1).

:class:`AccessControl` is what the edges call to turn a bearer token into an
:class:`~piguard.vault.model.Actor` (on every request, so disabling a user or revoking
a key takes effect on the very next one) and what the gate asks about training,
grants and quotas. Administrative operations take the acting :class:`Actor` and
require the ``administer`` action of the catalog.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from piguard.access import credentials as cred
from piguard.access.decision import BOOTSTRAP_ROLE, Policy
from piguard.access.events import AccessEvent, AccessRecorder, MemoryRecorder
from piguard.access.grants import DEFAULT_MINUTES, GrantBook
from piguard.access.quotas import QuotaMeter
from piguard.access.tables import principals, tokens
from piguard.access.training import TrainingBook
from piguard.catalog import Catalog, Role
from piguard.clock import Clock, SystemClock
from piguard.crypto.secretbox import SecretBox
from piguard.errors import AccessDenied, AuthenticationFailed, Conflict, NotFound, ValidationError
from piguard.store import Database
from piguard.vault.model import Actor

BOOTSTRAP_ID = "bootstrap"
_GENERIC_LOGIN_FAILURE = "invalid user name, password or TOTP code"


# Built once: authenticate runs on every request, and building the joined select each time
# cost as much as running it.
_TOKEN_LOOKUP = (
    select(
        tokens.c.id,
        tokens.c.expires_at,
        tokens.c.revoked_at,
        tokens.c.step_up_at,
        principals.c.id.label("pid"),
        principals.c.kind,
        principals.c.name,
        principals.c.role,
        principals.c.status,
        principals.c.customers_per_hour,
        principals.c.max_results,
    )
    .join(principals, principals.c.id == tokens.c.principal_id)
    .where(tokens.c.token_hash == bindparam("digest"))
)


@dataclass(frozen=True, slots=True)
class Login:
    """A new session: the bearer token (shown once) and when it expires."""

    token: str
    expires_at: datetime
    actor: Actor

    def as_dict(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "expires_at": self.expires_at.isoformat(),
            "principal_id": self.actor.id,
            "name": self.actor.name,
            "role": self.actor.role,
        }


def role_needs_totp(role: Role, catalog: Catalog) -> bool:
    """TOTP is mandatory for roles that ask for it, that approve, or that may see sensitive data in clear."""
    if role.requires_totp or role.can_approve:
        return True
    return any(f.sensitive and role.level_for(f, rt).level == "clear" for rt, f in catalog.iter_fields())


class AccessControl:
    """Principals, tokens, training, grants and quotas over the data database.

    :param db: the data database (migrated: the access tables exist).
    :param catalog: roles and purposes.
    :param clock: injectable time.
    :param secret_box: seals TOTP seeds in the database (``Keyring.secret_box("totp")``).
    :param bootstrap_token_hash: SHA-256 hex of the ``piguard init`` bootstrap token, if still valid.
    :param passwords: argon2id parameters (tests pass cheap ones).
    :param recorder: where administrative and login events go.
    """

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        clock: Clock | None = None,
        *,
        secret_box: SecretBox,
        bootstrap_token_hash: str | None = None,
        passwords: cred.Passwords | None = None,
        recorder: AccessRecorder | None = None,
        session_ttl: timedelta = timedelta(hours=8),
        api_key_ttl: timedelta = timedelta(days=90),
        step_up_ttl: timedelta = timedelta(minutes=10),
        max_failures: int = 5,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.clock: Clock = clock or SystemClock()
        self.bootstrap_token_hash = bootstrap_token_hash
        self.secret_box = secret_box
        self.passwords = passwords or cred.Passwords()
        self.recorder: AccessRecorder = recorder or MemoryRecorder()
        self.session_ttl = session_ttl
        self.api_key_ttl = api_key_ttl
        self.step_up_ttl = step_up_ttl
        self.max_failures = max_failures
        self.policy = Policy(catalog, bootstrap_reads=False)
        self.training = TrainingBook(db, self.clock)
        self.grants = GrantBook(db, catalog, self.clock)
        self.quotas = QuotaMeter(db, catalog, self.clock)

    # ------------------------------------------------------------------ events

    def _record(
        self,
        actor: Actor | None,
        action: str,
        *,
        result: str = "ok",
        rule: str = "",
        detail: dict[str, Any] | None = None,
        actor_id: str | None = None,
    ) -> None:
        self.recorder.record(
            AccessEvent(
                time=self.clock.now(),
                actor_id=actor_id or (actor.id if actor else "anonymous"),
                role=actor.role if actor else "",
                action=action,
                purpose="",
                record_type=None,
                customer_id=None,
                record_id=None,
                fields=(),
                decision="allow" if result == "ok" else "deny",
                rule=rule,
                result=result,
                session=actor.session if actor else None,
                detail=detail or {},
            )
        )

    def require(self, actor: Actor, action: str = "administer") -> str:
        """Return the rule allowing ``actor`` to ``action``; record and raise otherwise.

        :raises AccessDenied: the actor's role lacks the action.
        """
        try:
            return self.policy.check_action(actor.role, action, None)
        except AccessDenied as exc:
            self._record(actor, f"{action}_check", result="denied", rule=exc.rule or "")
            raise

    # ------------------------------------------------------------------ authentication

    def authenticate(self, token: str) -> Actor:
        """Turn a bearer token into the actor it belongs to. Call it on every request.

        :raises AuthenticationFailed: unknown, expired or revoked token; disabled, frozen or
            unknown principal; a role no longer in the catalog.
        """
        if not token:
            raise AuthenticationFailed("missing bearer token")
        digest = cred.token_digest(token)
        if self.bootstrap_token_hash and hmac.compare_digest(self.bootstrap_token_hash, digest):
            return Actor(BOOTSTRAP_ID, BOOTSTRAP_ROLE, "staff", name="bootstrap")
        with self.db.engine.connect() as conn:
            row = conn.execute(_TOKEN_LOOKUP, {"digest": digest}).first()
        if row is None:
            raise AuthenticationFailed("invalid token")
        now = self.clock.now()
        refusal: str | None = None
        # The account's state is reported first: "account disabled" tells a leaver more than "token revoked".
        if row.status != "active":
            refusal = f"account {row.status}: ask an administrator"
        elif row.revoked_at is not None:
            refusal = "token revoked"
        elif row.expires_at is not None and row.expires_at <= now:
            refusal = "token expired: log in again"
        elif row.role not in self.catalog.roles:
            refusal = f"role '{row.role}' is no longer in the catalog"
        if refusal is not None:
            # A known principal refused is worth an audit entry: a disabled or frozen account still
            # trying is what the monitoring rule for disabled principals looks for.
            self._record(
                None,
                "authenticate",
                result="denied",
                rule=refusal,
                actor_id=row.pid,
                detail={"status": row.status, "kind": row.kind},
            )
            raise AuthenticationFailed(refusal)
        self.quotas.overrides[row.pid] = (row.customers_per_hour, row.max_results)
        return Actor(row.pid, row.role, row.kind, session=row.id, step_up_at=row.step_up_at, name=row.name)

    def _totp_seed(self, row: Any) -> str:
        """The principal's TOTP seed, opened (sealed per principal in the database)."""
        return self.secret_box.open(row.totp_secret, row.id)

    def _principal(self, conn: Connection, name_or_id: str, kind: str | None = None) -> Any:
        query = select(principals).where((principals.c.name == name_or_id) | (principals.c.id == name_or_id))
        if kind is not None:
            query = query.where(principals.c.kind == kind)
        row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"no such {'user' if kind == 'staff' else 'client' if kind else 'principal'}")
        return row

    def _new_session(
        self, conn: Connection, principal_id: str, now: datetime, step_up: bool
    ) -> tuple[str, str]:
        token, digest = cred.new_token(cred.SESSION_PREFIX)
        token_id = cred.new_id("ses")
        conn.execute(
            insert(tokens).values(
                id=token_id,
                token_hash=digest,
                principal_id=principal_id,
                kind="session",
                created_at=now,
                expires_at=now + self.session_ttl,
                revoked_at=None,
                step_up_at=now if step_up else None,
            )
        )
        return token, token_id

    def login(self, name: str, password: str, totp_code: str | None = None) -> Login:
        """Check password and TOTP; open a session. A TOTP code given here counts as a step-up.

        :raises AuthenticationFailed: wrong credentials (one message for all, so nothing is
            revealed), a locked account (after ``max_failures`` failures, until an administrator
            unlocks it), a disabled account, or a replayed TOTP code.
        """
        with self.db.read() as conn:
            row = conn.execute(
                select(principals).where(principals.c.name == name, principals.c.kind == "staff")
            ).first()
        # The hash is verified even for unknown names, so timing does not tell them apart.
        password_ok = self.passwords.verify(row.password_hash if row else None, password)
        if row is None:
            self._record(None, "login", result="denied", rule="unknown user", actor_id=f"name:{name[:64]}")
            raise AuthenticationFailed(_GENERIC_LOGIN_FAILURE)
        actor = Actor(row.id, row.role, "staff", name=row.name)
        if row.locked_at is not None:
            self._record(actor, "login", result="denied", rule="locked")
            raise AuthenticationFailed(self._locked_message(row.name))
        now = self.clock.now()
        step: int | None = None
        totp_ok = True
        if row.totp_secret:
            step = cred.totp_step(self._totp_seed(row), totp_code or "", now, row.totp_last_step)
            totp_ok = step is not None
        if not (password_ok and totp_ok):
            self._fail(
                actor, row.failed_logins + 1, "bad password" if not password_ok else "bad or replayed TOTP"
            )
        if row.status != "active":
            self._record(actor, "login", result="denied", rule=f"account {row.status}")
            raise AuthenticationFailed(f"account {row.status}: ask an administrator")
        role = self.catalog.roles.get(row.role)
        if role is not None and role_needs_totp(role, self.catalog) and not row.totp_secret:
            raise AuthenticationFailed("this role requires TOTP: an administrator must enrol it first")
        with self.db.transaction() as conn:
            if step is not None and not self._claim_step(conn, row.id, step):
                raise AuthenticationFailed("TOTP code already used: wait for the next one")
            conn.execute(update(principals).where(principals.c.id == row.id).values(failed_logins=0))
            token, session = self._new_session(conn, row.id, now, step_up=step is not None)
        actor = Actor(
            row.id,
            row.role,
            "staff",
            session=session,
            step_up_at=now if step is not None else None,
            name=row.name,
        )
        self._record(actor, "login")
        return Login(token, now + self.session_ttl, actor)

    def _claim_step(self, conn: Connection, principal_id: str, step: int) -> bool:
        # Conditional update: of two concurrent logins with the same code, only one wins.
        result = conn.execute(
            update(principals)
            .where(
                principals.c.id == principal_id,
                (principals.c.totp_last_step.is_(None)) | (principals.c.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        return result.rowcount == 1

    def _locked_message(self, name: str) -> str:
        return (
            f"account locked after {self.max_failures} failed logins: "
            f"an administrator must unlock it (piguard users unlock {name})"
        )

    def _fail(self, actor: Actor, failures: int, why: str) -> None:
        locked = failures >= self.max_failures
        with self.db.transaction() as conn:
            values: dict[str, Any] = {"failed_logins": principals.c.failed_logins + 1}
            if locked:
                values["locked_at"] = self.clock.now()
            conn.execute(update(principals).where(principals.c.id == actor.id).values(**values))
        self._record(
            actor, "login", result="denied", rule=why, detail={"failures": failures, "locked": locked}
        )
        if locked:
            raise AuthenticationFailed(self._locked_message(actor.name or actor.id))
        raise AuthenticationFailed(_GENERIC_LOGIN_FAILURE)

    def step_up(self, actor: Actor, totp_code: str) -> datetime:
        """Prove a fresh TOTP code within a session; clear access to step-up fields opens for ``step_up_ttl``.

        :raises AuthenticationFailed: no session, no TOTP enrolled, wrong or replayed code.
        """
        if actor.kind != "staff" or actor.session is None:
            raise AuthenticationFailed("step-up needs a staff login session")
        now = self.clock.now()
        with self.db.transaction() as conn:
            row = self._principal(conn, actor.id, "staff")
            if not row.totp_secret:
                raise AuthenticationFailed("no TOTP enrolled for this user")
            step = cred.totp_step(self._totp_seed(row), totp_code, now, row.totp_last_step)
            if step is None or not self._claim_step(conn, actor.id, step):
                self._record(actor, "step_up", result="denied", rule="bad or replayed TOTP")
                raise AuthenticationFailed("wrong or already used TOTP code")
            conn.execute(update(tokens).where(tokens.c.id == actor.session).values(step_up_at=now))
        self._record(actor, "step_up")
        return now

    def stepped_up(self, actor: Actor) -> bool:
        """Whether ``actor`` proved a TOTP code recently enough for step-up fields (R-USE-2)."""
        if actor.step_up_at is None:
            return False
        return timedelta(0) <= self.clock.now() - actor.step_up_at <= self.step_up_ttl

    def logout(self, actor: Actor) -> None:
        """Revoke the session token ``actor`` authenticated with."""
        if actor.session is None:
            return
        with self.db.transaction() as conn:
            conn.execute(
                update(tokens)
                .where(
                    tokens.c.id == actor.session, tokens.c.kind == "session", tokens.c.revoked_at.is_(None)
                )
                .values(revoked_at=self.clock.now())
            )
        self._record(actor, "logout")

    # ------------------------------------------------------------------ administration

    def _role(self, role: str) -> Role:
        spec = self.catalog.roles.get(role)
        if spec is None:
            raise ValidationError(f"no role '{role}' in the catalog", "role")
        return spec

    def _insert_principal(self, conn: Connection, **values: Any) -> None:
        if conn.execute(select(principals.c.id).where(principals.c.name == values["name"])).first():
            raise Conflict(f"the name '{values['name']}' is taken")
        now = self.clock.now()
        conn.execute(
            insert(principals).values(
                status="active",
                status_reason=None,
                failed_logins=0,
                locked_at=None,
                totp_last_step=None,
                created_at=now,
                updated_at=now,
                **values,
            )
        )

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
    ) -> dict[str, Any]:
        """Create a staff user. Returns the initial password (generated if not given) and TOTP secret once.

        :raises AccessDenied: ``admin`` may not administer.
        :raises ValidationError: bad name, unknown role, weak password, TOTP refused for a role that needs it.
        :raises Conflict: the name is taken.
        """
        self.require(admin)
        self._check_name(name)
        spec = self._role(role)
        if not totp and role_needs_totp(spec, self.catalog):
            raise ValidationError(f"role '{role}' requires TOTP", "totp")
        secret_pw = password or cred.new_password()
        pw_hash = self.passwords.hash(secret_pw)
        totp_secret = cred.new_totp_secret() if totp else None
        pid = cred.new_id("usr")
        with self.db.transaction() as conn:
            self._insert_principal(
                conn,
                id=pid,
                kind="staff",
                name=name,
                role=role,
                password_hash=pw_hash,
                # The seed is sealed: whoever reads the database must not be able to mint codes.
                totp_secret=self.secret_box.seal(totp_secret, pid) if totp_secret else None,
                customers_per_hour=customers_per_hour,
                max_results=max_results,
                created_by=admin.id,
            )
        self._record(admin, "user_add", detail={"principal_id": pid, "role": role})
        return {
            "id": pid,
            "name": name,
            "role": role,
            "password": secret_pw,
            "totp_secret": totp_secret,
            "totp_uri": cred.totp_uri(totp_secret, name) if totp_secret else None,
        }

    def add_client(self, admin: Actor, name: str, role: str, *, days: int | None = None) -> dict[str, Any]:
        """Create an application client and its API key (shown once).

        :param days: key lifetime; default ``api_key_ttl``.
        """
        self.require(admin)
        self._check_name(name)
        self._role(role)
        if days is not None and not 1 <= days <= 3650:
            raise ValidationError("must be between 1 and 3650", "days")
        pid = cred.new_id("cli")
        token, digest = cred.new_token(cred.API_KEY_PREFIX)
        now = self.clock.now()
        expires = now + (timedelta(days=days) if days is not None else self.api_key_ttl)
        with self.db.transaction() as conn:
            self._insert_principal(
                conn,
                id=pid,
                kind="client",
                name=name,
                role=role,
                password_hash=None,
                totp_secret=None,
                customers_per_hour=None,
                max_results=None,
                created_by=admin.id,
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
        self._record(admin, "client_add", detail={"principal_id": pid, "role": role})
        return {"id": pid, "name": name, "role": role, "api_key": token, "expires_at": expires.isoformat()}

    def _set_status(
        self, admin: Actor, name_or_id: str, kind: str | None, status: str, reason: str | None, action: str
    ) -> dict[str, Any]:
        self.require(admin)
        now = self.clock.now()
        with self.db.transaction() as conn:
            row = self._principal(conn, name_or_id, kind)
            if row.id == admin.id and status != "active":
                raise ValidationError("you cannot disable yourself", "name")
            conn.execute(
                update(principals)
                .where(principals.c.id == row.id)
                .values(status=status, status_reason=reason, updated_at=now)
            )
            if status != "active":
                # Belt and braces: authenticate() already refuses inactive principals.
                conn.execute(
                    update(tokens)
                    .where(tokens.c.principal_id == row.id, tokens.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
        self._record(admin, action, detail={"principal_id": row.id})
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
        """Clear a lockout after failed logins."""
        self.require(admin)
        with self.db.transaction() as conn:
            row = self._principal(conn, name_or_id, "staff")
            conn.execute(
                update(principals)
                .where(principals.c.id == row.id)
                .values(locked_at=None, failed_logins=0, updated_at=self.clock.now())
            )
        self._record(admin, "user_unlock", detail={"principal_id": row.id})
        return {"id": row.id, "name": row.name, "locked": False}

    def freeze_principal(self, principal_id: str, reason: str) -> None:
        """Freeze a principal at once (the monitoring rules call this on suspected harvesting).

        Revokes every token; an administrator re-enables with ``enable``.

        :raises NotFound: no such principal.
        """
        now = self.clock.now()
        with self.db.transaction() as conn:
            row = self._principal(conn, principal_id)
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
        self._record(
            Actor("system", "system", "system"),
            "principal_freeze",
            detail={"principal_id": row.id, "reason": reason[:500]},
        )

    def list_principals(self, admin: Actor, kind: str | None = None) -> list[dict[str, Any]]:
        self.require(admin)
        query = select(principals).order_by(principals.c.name)
        if kind is not None:
            query = query.where(principals.c.kind == kind)
        with self.db.read() as conn:
            rows = list(conn.execute(query))
        return [self._describe(r) for r in rows]

    def _describe(self, row: Any) -> dict[str, Any]:
        return {
            "id": row.id,
            "kind": row.kind,
            "name": row.name,
            "role": row.role,
            "status": row.status,
            "status_reason": row.status_reason,
            "locked": row.locked_at is not None,
            "failed_logins": row.failed_logins,
            "totp": row.totp_secret is not None,
            "customers_per_hour": row.customers_per_hour,
            "max_results": row.max_results,
            "created_at": row.created_at.isoformat(),
            "created_by": row.created_by,
        }

    def principal(self, name_or_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            return self._describe(self._principal(conn, name_or_id))

    def whoami(self, actor: Actor) -> dict[str, Any]:
        """Who the actor is, what its role allows, and whether training and step-up are current."""
        out: dict[str, Any] = {
            "id": actor.id,
            "name": actor.name,
            "kind": actor.kind,
            "role": actor.role,
            "session": actor.session,
        }
        role = self.catalog.roles.get(actor.role)
        if role is not None:
            out.update(
                actions=sorted(role.actions),
                purposes=sorted(role.purposes),
                quotas=role.quotas.model_dump(),
                scope=role.scope,
            )
        if actor.kind == "staff" and actor.role != BOOTSTRAP_ROLE:
            out["training"] = self.training.status(actor.id).as_dict()
            out["stepped_up"] = self.stepped_up(actor)
            out["customers_read_this_hour"] = self.quotas.used(actor.id)
        return out

    # ------------------------------------------------------------------ grants

    def request_grant(
        self,
        requester: Actor,
        *,
        kind: str,
        purpose: str,
        reason: str,
        customer_id: str | None = None,
        record_type: str | None = None,
        fields: Collection[str] | None = None,
        minutes: int = DEFAULT_MINUTES,
        max_rows: int | None = None,
        client: str | None = None,
    ) -> dict[str, Any]:
        """File a pending grant request for ``requester`` itself (R-USE-2) and record it
        (``grant_request``: the customer, record type, field names and purpose; never values).

        :param fields: qualified ``record_type.field`` names (default: every field).
        :raises ValidationError: see :meth:`GrantBook.request`.
        :raises AccessDenied: the requester's role may not act for ``purpose``.
        """
        grant = self.grants.request(
            requester,
            kind=kind,
            purpose=purpose,
            reason=reason,
            customer_id=customer_id,
            record_type=record_type,
            fields=fields,
            minutes=minutes,
            max_rows=max_rows,
        )
        names = tuple(sorted(f.split(".", 1)[-1] for f in fields or ()))
        types = {f.split(".", 1)[0] for f in fields or () if "." in f}
        self.recorder.record(
            AccessEvent(
                time=self.clock.now(),
                actor_id=requester.id,
                role=requester.role,
                action="grant_request",
                purpose=purpose,
                record_type=record_type or (types.pop() if len(types) == 1 else None),
                customer_id=customer_id,
                record_id=None,
                fields=names,
                decision="allow",
                rule="",
                result="ok",
                client=client,
                session=requester.session,
                detail={"grant": grant.id, "kind": kind},
            )
        )
        return grant.as_dict(self.clock.now())

    def decide_grant(
        self, approver: Actor, grant_id: str, *, approve: bool = True, minutes: int | None = None
    ) -> dict[str, Any]:
        """Approve or reject a grant (R-USE-2). The approver must be trained too (R-TRN-1).

        :raises AccessDenied: self-approval, a role that may not approve the requester's, lapsed training.
        """
        if approve and approver.kind == "staff" and approver.role != BOOTSTRAP_ROLE:
            status = self.training.status(approver.id)
            if not status.ok:
                self._record(approver, "grant_decide", result="denied", rule="training")
                raise AccessDenied(f"cannot approve: {status.reason}", "training")
        try:
            grant = self.grants.decide(approver, grant_id, approve=approve, minutes=minutes)
        except AccessDenied as exc:
            self._record(
                approver, "grant_decide", result="denied", rule=exc.rule or "", detail={"grant": grant_id}
            )
            raise
        self._record(
            approver,
            "grant_approve" if approve else "grant_reject",
            detail={"grant": grant_id, "requester_id": grant.requester_id},
        )
        return grant.as_dict(self.clock.now())

    def list_grants(self, actor: Actor, *, status: str | None = None) -> list[dict[str, Any]]:
        """Grants visible to ``actor``: its own; those it may approve; all for administrators and auditors."""
        now = self.clock.now()
        role = self.catalog.roles.get(actor.role)
        sees_all = actor.role == BOOTSTRAP_ROLE or (
            role is not None and bool({"administer", "audit"} & role.actions)
        )
        approvable = role.can_approve if role is not None and "approve" in role.actions else frozenset()
        return [
            g.as_dict(now)
            for g in self.grants.list(status=status)
            if sees_all or g.requester_id == actor.id or g.requester_role in approvable
        ]

    # ------------------------------------------------------------------ training and demo

    def list_training(self, actor: Actor, name_or_id: str | None = None) -> list[dict[str, Any]]:
        """Training records: one's own, or anyone's for administrators and auditors (R-TRN-1)."""
        role = self.catalog.roles.get(actor.role)
        privileged = actor.role == BOOTSTRAP_ROLE or (
            role is not None and bool({"administer", "audit"} & role.actions)
        )
        if name_or_id is None:
            return self.training.list(None if privileged else actor.id)
        with self.db.read() as conn:
            pid = self._principal(conn, name_or_id, "staff").id
        if pid != actor.id and not privileged:
            raise AccessDenied("only administrators and auditors see other people's training", "training")
        return self.training.list(pid)

    def record_training(self, admin: Actor, name_or_id: str, **fields: Any) -> dict[str, Any]:
        """Record a course or a signed agreement for a staff user (R-TRN-1); administrators only."""
        self.require(admin)
        with self.db.read() as conn:
            row = self._principal(conn, name_or_id, "staff")
        entry = self.training.record(row.id, recorded_by=admin.id, **fields)
        self._record(admin, "training_record", detail={"principal_id": row.id, "kind": entry["kind"]})
        return entry

    def create_demo_staff(self, catalog: Catalog | None = None) -> list[dict[str, Any]]:
        """One demo user per catalog role, trained and signed, with printed credentials.

        For ``piguard demo`` only: the passwords and TOTP secrets are returned in clear.
        Users that already exist (``demo_<role>``) are skipped.
        """
        cat = catalog or self.catalog
        setup = Actor(BOOTSTRAP_ID, BOOTSTRAP_ROLE, "staff", name="bootstrap")
        today = self.training.today()
        out: list[dict[str, Any]] = []
        for role in cat.roles:
            name = f"demo_{role}"
            try:
                user = self.add_user(setup, name, role)
            except Conflict:
                continue
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
