"""Principals and authentication: staff users, API clients, sessions, lockout, step-up (R-USE-1).

:class:`AccessControl` is what the edges call to turn a bearer token into an
:class:`~piguard.vault.model.Actor` (on every request, so disabling a user or revoking
a key takes effect on the very next one) and what the gate asks about training,
grants and quotas. Administrative operations take the acting :class:`Actor` and
require the ``administer`` action of the catalog.

It is a facade: the work is done by its parts, which share one
:class:`~piguard.access.context.AccessContext` and can be used on their own:

- :attr:`AccessControl.authentication` – tokens, login, lockout, step-up, logout;
- :attr:`AccessControl.principals` – users and clients created, disabled, unlocked, frozen;
- :attr:`AccessControl.resets` – credential resets by an administrator and the user's re-enrolment;
- :attr:`AccessControl.approvals` – grant decisions and listings;
- :attr:`AccessControl.directory` – read-only lookups: principals, ``whoami``, training.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from piguard.access import credentials as cred
from piguard.access.approvals import Approvals
from piguard.access.authentication import BOOTSTRAP_ID, Authentication, Login, role_needs_totp
from piguard.access.context import AccessContext
from piguard.access.decision import Policy
from piguard.access.directory import Directory
from piguard.access.events import AccessRecorder, MemoryRecorder
from piguard.access.grants import GrantBook
from piguard.access.principals import Principals
from piguard.access.probes import ProbeBudget
from piguard.access.quotas import QuotaMeter
from piguard.access.resets import Enrolment, Resets
from piguard.access.throttle import AuthThrottle
from piguard.access.training import TrainingBook
from piguard.catalog import Catalog
from piguard.clock import Clock, SystemClock
from piguard.crypto.secretbox import SecretBox
from piguard.facade import Forward
from piguard.principal import Actor
from piguard.store import Database

# Re-exported: callers import these from here.
__all__ = ["BOOTSTRAP_ID", "AccessControl", "Login", "role_needs_totp"]


class AccessControl:
    """Principals, tokens, training, grants and quotas over the data database.

    :param db: the data database (migrated: the access tables exist).
    :param catalog: roles and purposes.
    :param clock: injectable time.
    :param secret_box: seals TOTP seeds in the database (``Keyring.secret_box("totp")``).
    :param bootstrap_token_hash: SHA-256 hex of the ``piguard init`` bootstrap token, if still valid.
    :param passwords: argon2id parameters (tests pass cheap ones).
    :param recorder: where administrative and login events go.
    :param max_failures: failed logins and step-ups of one name from one address before it
        backs off (:mod:`piguard.access.throttle`) ...
    :param backoff_base: ... for this long, doubling with each further failure ...
    :param backoff_cap: ... up to this; failures are counted over ``failure_window``.
    :param unauthenticated_per_minute: unauthenticated or failed requests one address may
        make per minute before it is refused (:class:`~piguard.errors.TooManyAttempts`).
    """

    # Settings and books live on the shared context; reading or assigning them here reaches every part.
    db = Forward[Database]("context")
    catalog = Forward[Catalog]("context")
    clock = Forward[Clock]("context")
    bootstrap_token_hash = Forward[str | None]("context")
    secret_box = Forward[SecretBox]("context")
    passwords = Forward[cred.Passwords]("context")
    recorder = Forward[AccessRecorder]("context")
    session_ttl = Forward[timedelta]("context")
    api_key_ttl = Forward[timedelta]("context")
    step_up_ttl = Forward[timedelta]("context")
    max_failures = Forward[int]("context")
    backoff_base = Forward[timedelta]("context")
    backoff_cap = Forward[timedelta]("context")
    failure_window = Forward[timedelta]("context")
    unauthenticated_per_minute = Forward[int]("context")
    policy = Forward[Policy]("context")
    training = Forward[TrainingBook]("context")
    grants = Forward[GrantBook]("context")
    quotas = Forward[QuotaMeter]("context")
    probes = Forward[ProbeBudget]("context")
    throttle = Forward[AuthThrottle]("context")

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
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(hours=1),
        failure_window: timedelta = timedelta(hours=24),
        unauthenticated_per_minute: int = 60,
    ) -> None:
        self.context = AccessContext(
            db,
            catalog,
            clock or SystemClock(),
            secret_box=secret_box,
            bootstrap_token_hash=bootstrap_token_hash,
            passwords=passwords or cred.Passwords(),
            recorder=recorder or MemoryRecorder(),
            session_ttl=session_ttl,
            api_key_ttl=api_key_ttl,
            step_up_ttl=step_up_ttl,
            max_failures=max_failures,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            failure_window=failure_window,
            unauthenticated_per_minute=unauthenticated_per_minute,
        )
        self.authentication = Authentication(self.context)
        self.principals = Principals(self.context)
        self.resets = Resets(self.context)
        self.approvals = Approvals(self.context)
        self.directory = Directory(self.context, self.authentication)

    def require(self, actor: Actor, action: str = "administer") -> str:
        """Return the rule allowing ``actor`` to ``action``; record and raise otherwise.

        :raises AccessDenied: the actor's role lacks the action.
        """
        return self.context.require(actor, action)

    # ------------------------------------------------------------------ authentication

    def authenticate(self, token: str) -> Actor:
        """See :meth:`Authentication.authenticate`: a bearer token to its actor, on every request."""
        return self.authentication.authenticate(token)

    def login(
        self, name: str, password: str, totp_code: str | None = None, *, address: str | None = None
    ) -> Login:
        """See :meth:`Authentication.login`: password and TOTP checked, a session opened."""
        return self.authentication.login(name, password, totp_code, address=address)

    def step_up(self, actor: Actor, totp_code: str, *, address: str | None = None) -> datetime:
        """See :meth:`Authentication.step_up`: a fresh TOTP code opens step-up fields."""
        return self.authentication.step_up(actor, totp_code, address=address)

    def charge_unauthenticated(self, address: str | None, limit: int | None = None) -> None:
        """See :meth:`AuthThrottle.charge_unauthenticated`: one refused request counted per address.

        :raises TooManyAttempts: the address is over its budget for this minute.
        """
        self.context.throttle.charge_unauthenticated(address, limit)

    def stepped_up(self, actor: Actor) -> bool:
        """See :meth:`Authentication.stepped_up`."""
        return self.authentication.stepped_up(actor)

    def logout(self, actor: Actor) -> None:
        """See :meth:`Authentication.logout`: the session token revoked."""
        self.authentication.logout(actor)

    # ------------------------------------------------------------------ administration

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
        """See :meth:`Principals.add_user`: the initial password and TOTP secret are returned once."""
        return self.principals.add_user(
            admin,
            name,
            role,
            password=password,
            totp=totp,
            customers_per_hour=customers_per_hour,
            max_results=max_results,
            probes_per_hour=probes_per_hour,
        )

    def add_client(self, admin: Actor, name: str, role: str, *, days: int | None = None) -> dict[str, Any]:
        """See :meth:`Principals.add_client`: the API key is returned once."""
        return self.principals.add_client(admin, name, role, days=days)

    def disable(
        self, admin: Actor, name_or_id: str, reason: str = "disabled by an administrator"
    ) -> dict[str, Any]:
        """See :meth:`Principals.disable`: every token stops working on the next request."""
        return self.principals.disable(admin, name_or_id, reason)

    def enable(self, admin: Actor, name_or_id: str) -> dict[str, Any]:
        """See :meth:`Principals.enable`."""
        return self.principals.enable(admin, name_or_id)

    def revoke_client(self, admin: Actor, name_or_id: str) -> dict[str, Any]:
        """See :meth:`Principals.revoke_client`."""
        return self.principals.revoke_client(admin, name_or_id)

    def approve_account(self, approver: Actor, name_or_id: str) -> dict[str, Any]:
        """See :meth:`Principals.approve_account`: the second person activates a pending account."""
        return self.principals.approve_account(approver, name_or_id)

    def unlock(self, admin: Actor, name_or_id: str) -> dict[str, Any]:
        """See :meth:`Principals.unlock`."""
        return self.principals.unlock(admin, name_or_id)

    def reset_credentials(self, admin: Actor, name_or_id: str) -> dict[str, Any]:
        """See :meth:`Resets.reset`: password and TOTP wiped, tokens revoked, a one-time password once."""
        return self.resets.reset(admin, name_or_id)

    def begin_reset(self, name: str, one_time_password: str) -> Enrolment:
        """See :meth:`Resets.begin`: the one-time password used, a new TOTP secret shown once."""
        return self.resets.begin(name, one_time_password)

    def complete_reset(self, ticket: str, new_password: str, totp_code: str) -> dict[str, Any]:
        """See :meth:`Resets.complete`: the new password set and the new TOTP proved."""
        return self.resets.complete(ticket, new_password, totp_code)

    def freeze_principal(self, principal_id: str, reason: str) -> None:
        """See :meth:`Principals.freeze_principal`: the monitoring rules' freeze."""
        self.principals.freeze_principal(principal_id, reason)

    def list_principals(self, admin: Actor, kind: str | None = None) -> list[dict[str, Any]]:
        """See :meth:`Directory.list_principals`."""
        return self.directory.list_principals(admin, kind)

    def principal(self, name_or_id: str) -> dict[str, Any]:
        """See :meth:`Directory.principal`."""
        return self.directory.principal(name_or_id)

    def whoami(self, actor: Actor) -> dict[str, Any]:
        """See :meth:`Directory.whoami`."""
        return self.directory.whoami(actor)

    # ------------------------------------------------------------------ grants

    def request_grant(self, requester: Actor, **request: Any) -> dict[str, Any]:
        """See :meth:`Approvals.request_grant`: a pending request, recorded (R-USE-2)."""
        return self.approvals.request_grant(requester, **request)

    def decide_grant(
        self, approver: Actor, grant_id: str, *, approve: bool = True, minutes: int | None = None
    ) -> dict[str, Any]:
        """See :meth:`Approvals.decide_grant` (R-USE-2, R-TRN-1)."""
        return self.approvals.decide_grant(approver, grant_id, approve=approve, minutes=minutes)

    def list_grants(self, actor: Actor, *, status: str | None = None) -> list[dict[str, Any]]:
        """See :meth:`Approvals.list_grants`."""
        return self.approvals.list_grants(actor, status=status)

    # ------------------------------------------------------------------ training and demo

    def list_training(self, actor: Actor, name_or_id: str | None = None) -> list[dict[str, Any]]:
        """See :meth:`Directory.list_training` (R-TRN-1)."""
        return self.directory.list_training(actor, name_or_id)

    def record_training(self, admin: Actor, name_or_id: str, **fields: Any) -> dict[str, Any]:
        """See :meth:`Principals.record_training` (R-TRN-1)."""
        return self.principals.record_training(admin, name_or_id, **fields)

    def create_demo_staff(self, catalog: Catalog | None = None) -> list[dict[str, Any]]:
        """See :meth:`Principals.create_demo_staff`: for ``piguard demo`` only."""
        return self.principals.create_demo_staff(catalog)
