"""Authentication: bearer tokens, login with password and TOTP, lockout, step-up, logout (R-USE-1).

:meth:`Authentication.authenticate` turns a bearer token (session or API key) into an
:class:`~piguard.vault.model.Actor` on every request, so disabling a user or revoking a
key takes effect on the very next one. Tokens and keys are created here (sessions) and in
:mod:`piguard.access.principals` (API keys); both store only a SHA-256 digest.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import Connection, bindparam, insert, select, update

from piguard.access import credentials as cred
from piguard.access.context import AccessContext
from piguard.access.decision import BOOTSTRAP_ROLE
from piguard.access.quotas import Limits
from piguard.access.tables import BEARER_KINDS, principals, tokens
from piguard.access.throttle import Failures
from piguard.catalog import Catalog, Role
from piguard.errors import AuthenticationFailed
from piguard.principal import Actor

BOOTSTRAP_ID = "bootstrap"
#: The one answer to every failed login: unknown name, wrong password or TOTP, replayed code, or a
#: name and address backing off after repeated failures. One message, so it tells no account apart.
LOGIN_FAILURE = (
    "invalid user name, password or TOTP code; after repeated failures wait a few minutes before trying again"
)
#: The one answer to a wrong, replayed or backed-off step-up code.
STEP_UP_FAILURE = (
    "wrong or already used TOTP code; after repeated failures wait a few minutes before trying again"
)


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
        principals.c.probes_per_hour,
    )
    .join(principals, principals.c.id == tokens.c.principal_id)
    # Only bearer kinds: a one-time reset password or an enrolment ticket is never a session.
    .where(tokens.c.token_hash == bindparam("digest"), tokens.c.kind.in_(BEARER_KINDS))
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


def bootstrap_actor() -> Actor:
    """The actor of the ``piguard init`` bootstrap token (and of demo setup)."""
    return Actor(BOOTSTRAP_ID, BOOTSTRAP_ROLE, "staff", name="bootstrap")


class Authentication:
    """Sessions and API keys checked, logins and step-ups proved, failures counted."""

    def __init__(self, context: AccessContext) -> None:
        self.context = context

    def authenticate(self, token: str) -> Actor:
        """Turn a bearer token into the actor it belongs to. Call it on every request.

        :raises AuthenticationFailed: unknown, expired or revoked token; disabled, frozen or
            unknown principal; a role no longer in the catalog.
        """
        ctx = self.context
        if not token:
            raise AuthenticationFailed("missing bearer token")
        digest = cred.token_digest(token)
        if ctx.bootstrap_token_hash and hmac.compare_digest(ctx.bootstrap_token_hash, digest):
            return bootstrap_actor()
        with ctx.db.engine.connect() as conn:
            row = conn.execute(_TOKEN_LOOKUP, {"digest": digest}).first()
        if row is None:
            raise AuthenticationFailed("invalid token")
        now = ctx.clock.now()
        refusal: str | None = None
        # The account's state is reported first: "account disabled" tells a leaver more than "token revoked".
        if row.status != "active":
            refusal = f"account {row.status}: ask an administrator"
        elif row.revoked_at is not None:
            refusal = "token revoked"
        elif row.expires_at is not None and row.expires_at <= now:
            refusal = "token expired: log in again"
        elif row.role not in ctx.catalog.roles:
            refusal = f"role '{row.role}' is no longer in the catalog"
        if refusal is not None:
            # A known principal refused is worth an audit entry: a disabled or frozen account still
            # trying is what the monitoring rule for disabled principals looks for.
            ctx.record(
                None,
                "authenticate",
                result="denied",
                rule=refusal,
                actor_id=row.pid,
                detail={"status": row.status, "kind": row.kind},
            )
            raise AuthenticationFailed(refusal)
        ctx.quotas.overrides[row.pid] = Limits(row.customers_per_hour, row.max_results, row.probes_per_hour)
        return Actor(row.pid, row.role, row.kind, session=row.id, step_up_at=row.step_up_at, name=row.name)

    def _totp_seed(self, row: Any) -> str:
        """The principal's TOTP seed, opened (sealed per principal in the database)."""
        return self.context.secret_box.open(row.totp_secret, row.id)

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
                expires_at=now + self.context.session_ttl,
                revoked_at=None,
                step_up_at=now if step_up else None,
            )
        )
        return token, token_id

    def login(
        self, name: str, password: str, totp_code: str | None = None, *, address: str | None = None
    ) -> Login:
        """Check password and TOTP; open a session. A TOTP code given here counts as a step-up.

        Every failure (unknown name, wrong password or TOTP, replayed code, or a name and address
        still backing off after repeated failures) gets the one message :data:`LOGIN_FAILURE`, so
        the answer tells no account apart; each is audited (never with the password or code) in
        the same transaction that counts it (:mod:`piguard.access.throttle`).

        :param address: the caller's network address; failures are counted per (name, address).
        :raises AuthenticationFailed: wrong credentials or backing off (:data:`LOGIN_FAILURE`),
            a disabled account, a role needing TOTP without it enrolled.
        """
        ctx = self.context
        with ctx.db.read() as conn:
            row = conn.execute(
                select(principals).where(principals.c.name == name, principals.c.kind == "staff")
            ).first()
        actor = Actor(row.id, row.role, "staff", name=row.name) if row is not None else None
        # Unknown names are recorded under the name tried, so the failed-logins rule still counts them.
        tried = None if row is not None else f"name:{name[:64]}"
        backoff = ctx.throttle.failures(name, address)
        if backoff.blocked:
            # Not even checked: the pair waits out its back-off whatever it sends now.
            ctx.record(
                actor,
                "login",
                result="denied",
                rule="backing off after repeated failures",
                detail={"failures": backoff.count, "backoff": True},
                actor_id=tried,
                address=address,
            )
            raise AuthenticationFailed(LOGIN_FAILURE)
        # The hash is verified even for unknown names, so timing does not tell them apart.
        password_ok = ctx.passwords.verify(row.password_hash if row else None, password)
        if row is None or actor is None:
            self._fail(None, name, address, "unknown user", tried)
        now = ctx.clock.now()
        step: int | None = None
        totp_ok = True
        if row.totp_secret:
            step = cred.totp_step(self._totp_seed(row), totp_code or "", now, row.totp_last_step)
            totp_ok = step is not None
        if not (password_ok and totp_ok):
            self._fail(
                actor, name, address, "bad password" if not password_ok else "bad or replayed TOTP", tried
            )
        if row.status != "active":
            ctx.record(actor, "login", result="denied", rule=f"account {row.status}", address=address)
            raise AuthenticationFailed(f"account {row.status}: ask an administrator")
        role = ctx.catalog.roles.get(row.role)
        if role is not None and role_needs_totp(role, ctx.catalog) and not row.totp_secret:
            ctx.record(actor, "login", result="denied", rule="role requires TOTP", address=address)
            raise AuthenticationFailed("this role requires TOTP: an administrator must enrol it first")
        with ctx.db.transaction() as conn:
            if step is not None and not self._claim_step(conn, row.id, step):
                replayed = True
            else:
                replayed = False
                conn.execute(update(principals).where(principals.c.id == row.id).values(failed_logins=0))
                ctx.throttle.clear(conn, name, address)
                token, session = self._new_session(conn, row.id, now, step_up=step is not None)
                actor = Actor(
                    row.id,
                    row.role,
                    "staff",
                    session=session,
                    step_up_at=now if step is not None else None,
                    name=row.name,
                )
                # In this transaction: the session exists exactly when its login entry does.
                ctx.record(actor, "login", address=address, conn=conn)
        if replayed:
            # A concurrent login took this code's time step first: a failure like any other.
            self._fail(actor, name, address, "bad or replayed TOTP", tried)
        return Login(token, now + ctx.session_ttl, actor)

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

    def _count_failure(
        self, conn: Connection, actor: Actor | None, account: str, address: str | None
    ) -> Failures:
        """Count a failed login or step-up towards the (account, address) back-off, in ``conn``."""
        if actor is not None:
            conn.execute(
                update(principals)
                .where(principals.c.id == actor.id)
                .values(failed_logins=principals.c.failed_logins + 1)
            )
        return self.context.throttle.note_failure(conn, account, address)

    def _fail(
        self, actor: Actor | None, account: str, address: str | None, why: str, tried: str | None
    ) -> NoReturn:
        """Count and audit a failed login in one transaction, then refuse with the one message."""
        ctx = self.context
        with ctx.db.transaction() as conn:
            failures = self._count_failure(conn, actor, account, address)
            ctx.record(
                actor,
                "login",
                result="denied",
                rule=why,
                detail={"failures": failures.count, "backoff": failures.blocked},
                actor_id=tried,
                address=address,
                conn=conn,
            )
        raise AuthenticationFailed(LOGIN_FAILURE)

    def step_up(self, actor: Actor, totp_code: str, *, address: str | None = None) -> datetime:
        """Prove a fresh TOTP code within a session; clear access to step-up fields opens for ``step_up_ttl``.

        A wrong or replayed code is audited and counts towards the same (login name, address)
        back-off as failed logins, in one transaction that commits before the refusal is raised.

        :param address: the caller's network address.
        :raises AuthenticationFailed: no session, no TOTP enrolled, wrong or replayed code, or
            the name and address backing off after repeated failures.
        """
        ctx = self.context
        if actor.kind != "staff" or actor.session is None:
            raise AuthenticationFailed("step-up needs a staff login session")
        account = actor.name or actor.id
        now = ctx.clock.now()
        backoff = ctx.throttle.failures(account, address)
        if backoff.blocked:
            ctx.record(
                actor,
                "step_up",
                result="denied",
                rule="backing off after repeated failures",
                detail={"failures": backoff.count, "backoff": True},
                address=address,
            )
            raise AuthenticationFailed(STEP_UP_FAILURE)
        refusal: AuthenticationFailed | None = None
        # Everything (the check, the counter, the entry) in one transaction, and the refusal raised
        # only after it committed: raising inside would roll the entry and the count back.
        with ctx.db.transaction() as conn:
            row = ctx.find_principal(conn, actor.id, "staff")
            step = (
                cred.totp_step(self._totp_seed(row), totp_code, now, row.totp_last_step)
                if row.totp_secret
                else None
            )
            if not row.totp_secret:
                ctx.record(
                    actor, "step_up", result="denied", rule="no TOTP enrolled", address=address, conn=conn
                )
                refusal = AuthenticationFailed("no TOTP enrolled for this user")
            elif step is None or not self._claim_step(conn, actor.id, step):
                failures = self._count_failure(conn, actor, account, address)
                ctx.record(
                    actor,
                    "step_up",
                    result="denied",
                    rule="bad or replayed TOTP",
                    detail={"failures": failures.count, "backoff": failures.blocked},
                    address=address,
                    conn=conn,
                )
                refusal = AuthenticationFailed(STEP_UP_FAILURE)
            else:
                conn.execute(update(tokens).where(tokens.c.id == actor.session).values(step_up_at=now))
                ctx.throttle.clear(conn, account, address)
                ctx.record(actor, "step_up", address=address, conn=conn)
        if refusal is not None:
            raise refusal
        return now

    def stepped_up(self, actor: Actor) -> bool:
        """Whether ``actor`` proved a TOTP code recently enough for step-up fields (R-USE-2)."""
        return self.context.stepped_up(actor)

    def logout(self, actor: Actor) -> None:
        """Revoke the session token ``actor`` authenticated with."""
        if actor.session is None:
            return
        with self.context.db.transaction() as conn:
            conn.execute(
                update(tokens)
                .where(
                    tokens.c.id == actor.session, tokens.c.kind == "session", tokens.c.revoked_at.is_(None)
                )
                .values(revoked_at=self.context.clock.now())
            )
            self.context.record(actor, "logout", conn=conn)
