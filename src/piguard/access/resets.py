"""Credential resets: an administrator resets a staff user's password and TOTP; the user sets new ones.

Three steps, each recorded, each in one transaction:

1. :meth:`Resets.reset` (an administrator): the account's status becomes ``reset`` (login
   refuses it), its password hash and TOTP seed are wiped (the old password and authenticator
   stop working at once), every token it holds is revoked (API sessions and, through them,
   console sessions end on the next request), and a **one-time password** is returned to the
   administrator, once. The database keeps only its SHA-256 (it holds about 119 random bits,
   like a bearer token, so a fast digest is enough) in a token row of kind ``reset`` that
   expires after :attr:`Resets.one_time_ttl`.
2. :meth:`Resets.begin` (the user, with the one-time password): the password is consumed (a
   conditional update, so of two concurrent uses one wins), a new TOTP seed is generated and
   sealed in the account's row, and an **enrolment ticket** (kind ``enrolment``, valid for
   :attr:`Resets.enrolment_ttl`) is returned with the new secret, shown this once.
3. :meth:`Resets.complete` (the user, with the ticket): the new password (the usual policy)
   and a first code of the new seed (proving enrolment) are checked; the account becomes
   ``active`` and the ticket is revoked. The user then logs in as usual.

Reset and enrolment tokens are never bearer tokens: :meth:`Authentication.authenticate`
accepts only :data:`~piguard.access.tables.BEARER_KINDS`.

Refused: resetting oneself (ask another administrator), the bootstrap principal as either side
(it sets an installation up; a reset takes an account over, so a named administrator must be
accountable for it), an account whose role oversees administrators (``approve`` or ``audit``)
unless the resetter's role holds those actions too (whoever holds the one-time password can
become the account, so a reset must not hand an administrator the powers meant to check it),
and a disabled or frozen account (an administrator re-enables it first, deliberately: a reset
must not lift a freeze).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from piguard.access import credentials as cred
from piguard.access.authentication import BOOTSTRAP_ID
from piguard.access.context import AccessContext
from piguard.access.tables import principals, tokens
from piguard.errors import AccessDenied, AuthenticationFailed, Conflict, ValidationError
from piguard.principal import Actor

#: Token kinds of this module; neither is a bearer token.
RESET_KIND = "reset"
ENROLMENT_KIND = "enrolment"
ENROLMENT_PREFIX = "pge_"
#: Actions of the roles that check administrators: a reset may not hand them to someone lacking them.
OVERSIGHT_ACTIONS = ("approve", "audit")
#: Resettable states: an active account, or one already reset (its one-time password lost).
_RESETTABLE = ("active", "reset")
_BEGIN_FAILURE = "invalid user name or one-time password"
_TICKET_FAILURE = "this reset has expired or was used: ask an administrator for a new one-time password"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What :meth:`Resets.begin` returns: the next step's ticket and the new TOTP secret (shown once)."""

    ticket: str
    expires_at: datetime
    name: str
    totp_secret: str
    totp_uri: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "expires_at": self.expires_at.isoformat(),
            "name": self.name,
            "totp_secret": self.totp_secret,
            "totp_uri": self.totp_uri,
        }


class Resets:
    """Administrator resets of staff credentials, and the user's re-enrolment.

    :param one_time_ttl: how long a one-time password stays usable.
    :param enrolment_ttl: how long the user has, after using it, to set the new credentials.
    """

    def __init__(
        self,
        context: AccessContext,
        *,
        one_time_ttl: timedelta = timedelta(hours=24),
        enrolment_ttl: timedelta = timedelta(minutes=30),
    ) -> None:
        self.context = context
        self.one_time_ttl = one_time_ttl
        self.enrolment_ttl = enrolment_ttl

    # ------------------------------------------------------------------ the administrator

    def reset(self, admin: Actor, name_or_id: str) -> dict[str, Any]:
        """Reset a staff user's password and TOTP; return a one-time password, shown this once.

        :raises AccessDenied: ``admin`` may not administer; resets itself (key ``self_reset``);
            is or targets the bootstrap principal (key ``reset_bootstrap``); targets a role
            holding ``approve`` or ``audit`` that its own role lacks (key ``reset_oversight``).
        :raises NotFound: no such staff user.
        :raises ValidationError: the account is disabled or frozen (enable it first).
        """
        ctx = self.context
        ctx.require(admin)
        if admin.id == BOOTSTRAP_ID or name_or_id == BOOTSTRAP_ID:
            self._refuse(admin, "the bootstrap principal neither resets nor is reset", "reset_bootstrap")
        with ctx.db.read() as conn:
            row = ctx.find_principal(conn, name_or_id, "staff")
        if row.id == admin.id:
            self._refuse(
                admin, "you cannot reset your own credentials: ask another administrator", "self_reset"
            )
        self._check_oversight(admin, row.role)
        if row.status not in _RESETTABLE:
            raise ValidationError(
                f"the account is {row.status}: enable it before resetting its credentials", "name"
            )
        now = ctx.clock.now()
        one_time = cred.new_password()
        with ctx.db.transaction() as conn:
            changed = conn.execute(
                update(principals)
                # Conditional: a freeze or a disable landing meanwhile is not undone by the reset.
                .where(principals.c.id == row.id, principals.c.status.in_(_RESETTABLE))
                .values(
                    status="reset",
                    status_reason="credentials reset by an administrator",
                    # Wiped, not kept aside: the old password and authenticator must fail from now on.
                    password_hash=None,
                    totp_secret=None,
                    totp_last_step=None,
                    # The administrator vouches for the account; a lockout ends with the old password.
                    failed_logins=0,
                    locked_at=None,
                    updated_at=now,
                )
            )
            if changed.rowcount != 1:
                raise Conflict("the account changed meanwhile: try again")
            # Every token: sessions, API keys (none for staff), and earlier reset tokens.
            self._revoke_all(conn, row.id, now)
            conn.execute(
                insert(tokens).values(
                    id=cred.new_id("rst"),
                    token_hash=cred.token_digest(one_time),
                    principal_id=row.id,
                    kind=RESET_KIND,
                    created_at=now,
                    expires_at=now + self.one_time_ttl,
                    revoked_at=None,
                    step_up_at=None,
                )
            )
        ctx.record(admin, "user_reset", detail={"principal_id": row.id})
        return {
            "id": row.id,
            "name": row.name,
            "status": "reset",
            "one_time_password": one_time,
            "expires_at": (now + self.one_time_ttl).isoformat(),
        }

    def _refuse(self, admin: Actor, reason: str, key: str, params: dict[str, str] | None = None) -> None:
        self.context.record(admin, "user_reset", result="denied", rule=reason)
        raise AccessDenied(reason, key=key, params=params)

    def _check_oversight(self, admin: Actor, target_role: str) -> None:
        catalog = self.context.catalog
        target = catalog.roles.get(target_role)
        mine = catalog.roles.get(admin.role)
        if target is None:
            return  # a role gone from the catalog holds nothing (and cannot log in)
        held = mine.actions if mine is not None else frozenset()
        missing = [a for a in OVERSIGHT_ACTIONS if a in target.actions and a not in held]
        if missing:
            self._refuse(
                admin,
                f"role '{target_role}' may {' and '.join(missing)}, which your role may not: "
                "its credentials cannot be reset by you",
                "reset_oversight",
                {"role": target_role},
            )

    @staticmethod
    def _revoke_all(conn: Connection, principal_id: str, now: datetime) -> None:
        conn.execute(
            update(tokens)
            .where(tokens.c.principal_id == principal_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    # ------------------------------------------------------------------ the user

    def _live_token(self, conn: Connection, secret: str, kind: str, now: datetime) -> Any:
        row = conn.execute(
            select(tokens.c.id, tokens.c.principal_id, tokens.c.expires_at, tokens.c.revoked_at).where(
                tokens.c.token_hash == cred.token_digest(secret), tokens.c.kind == kind
            )
        ).first()
        if (
            row is None
            or row.revoked_at is not None
            or (row.expires_at is not None and row.expires_at <= now)
        ):
            return None
        return row

    def begin(self, name: str, one_time_password: str) -> Enrolment:
        """Use the one-time password (once): a new TOTP seed is made and a ticket returned.

        :raises AuthenticationFailed: wrong name or one-time password, or one expired or used
            (one message for all).
        """
        ctx = self.context
        now = ctx.clock.now()
        secret = cred.new_totp_secret()
        ticket, digest = cred.new_token(ENROLMENT_PREFIX)
        with ctx.db.transaction() as conn:
            found = (
                self._live_token(conn, one_time_password.strip(), RESET_KIND, now)
                if one_time_password
                else None
            )
            row = ctx.find_principal(conn, found.principal_id, "staff") if found is not None else None
            if found is None or row is None or row.name != name or row.status != "reset":
                failed = True
            else:
                # Conditional: of two concurrent uses of the same one-time password, one wins.
                claimed = conn.execute(
                    update(tokens)
                    .where(tokens.c.id == found.id, tokens.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                failed = claimed.rowcount != 1
            if not failed:
                assert row is not None
                conn.execute(
                    update(principals)
                    .where(principals.c.id == row.id)
                    # Sealed and bound to the principal, like every seed: the database alone mints no codes.
                    .values(
                        totp_secret=ctx.secret_box.seal(secret, row.id), totp_last_step=None, updated_at=now
                    )
                )
                conn.execute(
                    insert(tokens).values(
                        id=cred.new_id("enr"),
                        token_hash=digest,
                        principal_id=row.id,
                        kind=ENROLMENT_KIND,
                        created_at=now,
                        expires_at=now + self.enrolment_ttl,
                        revoked_at=None,
                        step_up_at=None,
                    )
                )
        if failed:
            ctx.record(
                None,
                "reset_begin",
                result="denied",
                rule="bad one-time password",
                actor_id=f"name:{name[:64]}",
            )
            raise AuthenticationFailed(_BEGIN_FAILURE)
        assert row is not None
        ctx.record(Actor(row.id, row.role, "staff", name=row.name), "reset_begin")
        return Enrolment(ticket, now + self.enrolment_ttl, row.name, secret, cred.totp_uri(secret, row.name))

    def enrolment(self, ticket: str) -> Enrolment:
        """The pending enrolment of a live ticket (to show its secret again after a mistake).

        :raises AuthenticationFailed: the ticket is unknown, expired or used.
        """
        ctx = self.context
        with ctx.db.read() as conn:
            found = self._live_token(conn, ticket, ENROLMENT_KIND, ctx.clock.now())
            row = ctx.find_principal(conn, found.principal_id, "staff") if found is not None else None
        if found is None or row is None or row.status != "reset" or not row.totp_secret:
            raise AuthenticationFailed(_TICKET_FAILURE)
        secret = ctx.secret_box.open(row.totp_secret, row.id)
        return Enrolment(ticket, found.expires_at, row.name, secret, cred.totp_uri(secret, row.name))

    def complete(self, ticket: str, new_password: str, totp_code: str) -> dict[str, Any]:
        """Set the new password and prove the new TOTP seed; the account is active again.

        :raises ValidationError: the password breaks the policy (field ``password``).
        :raises AuthenticationFailed: the ticket is unknown, expired or used, or the code is not
            one of the new seed (the ticket stays valid for another try).
        """
        ctx = self.context
        now = ctx.clock.now()
        with ctx.db.read() as conn:
            found = self._live_token(conn, ticket, ENROLMENT_KIND, now)
            row = ctx.find_principal(conn, found.principal_id, "staff") if found is not None else None
        if found is None or row is None or row.status != "reset" or not row.totp_secret:
            raise AuthenticationFailed(_TICKET_FAILURE)
        actor = Actor(row.id, row.role, "staff", name=row.name)
        # The policy first (argon2id hashing is slow, and a weak password needs no code check).
        password_hash = ctx.passwords.hash(new_password)
        step = cred.totp_step(ctx.secret_box.open(row.totp_secret, row.id), totp_code, now, None)
        if step is None:
            ctx.record(actor, "credentials_set", result="denied", rule="bad TOTP code for the new seed")
            raise AuthenticationFailed("wrong TOTP code: enter a code the new secret shows")
        with ctx.db.transaction() as conn:
            done = conn.execute(
                update(principals)
                .where(principals.c.id == row.id, principals.c.status == "reset")
                .values(
                    status="active",
                    status_reason=None,
                    password_hash=password_hash,
                    # The enrolment code counts as used: it cannot log in a second time.
                    totp_last_step=step,
                    failed_logins=0,
                    updated_at=now,
                )
            )
            claimed = conn.execute(
                update(tokens)
                .where(tokens.c.id == found.id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            if done.rowcount != 1 or claimed.rowcount != 1:
                raise AuthenticationFailed(_TICKET_FAILURE)
            self._revoke_all(conn, row.id, now)
        ctx.record(actor, "credentials_set")
        return {"id": row.id, "name": row.name, "status": "active"}
