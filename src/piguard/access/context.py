"""What the parts of :class:`~piguard.access.AccessControl` share: settings, books, recording.

Authentication, principal administration, approvals and the directory each take one
:class:`AccessContext` rather than copies of its settings, so a setting changed on the
facade (tests swap in cheap password hashing after construction) reaches all of them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select

from piguard.access import credentials as cred
from piguard.access.decision import Policy
from piguard.access.events import AccessEvent, AccessRecorder
from piguard.access.grants import GrantBook
from piguard.access.probes import ProbeBudget
from piguard.access.quotas import QuotaMeter
from piguard.access.tables import principals
from piguard.access.throttle import AuthThrottle
from piguard.access.training import TrainingBook
from piguard.catalog import Catalog
from piguard.clock import Clock
from piguard.crypto.secretbox import SecretBox
from piguard.errors import AccessDenied, NotFound
from piguard.principal import Actor
from piguard.store import Database


class AccessContext:
    """The database, catalog, clock, secrets and limits of access control, and its books.

    The parameters are those of :class:`~piguard.access.AccessControl`, which builds one.
    """

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        clock: Clock,
        *,
        secret_box: SecretBox,
        bootstrap_token_hash: str | None,
        passwords: cred.Passwords,
        recorder: AccessRecorder,
        session_ttl: timedelta,
        api_key_ttl: timedelta,
        step_up_ttl: timedelta,
        max_failures: int,
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(hours=1),
        failure_window: timedelta = timedelta(hours=24),
        unauthenticated_per_minute: int = 60,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.clock = clock
        self.bootstrap_token_hash = bootstrap_token_hash
        self.secret_box = secret_box
        self.passwords = passwords
        self.recorder = recorder
        self.session_ttl = session_ttl
        self.api_key_ttl = api_key_ttl
        self.step_up_ttl = step_up_ttl
        self.max_failures = max_failures
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.failure_window = failure_window
        self.unauthenticated_per_minute = unauthenticated_per_minute
        self.policy = Policy(catalog)
        self.training = TrainingBook(db, clock)
        self.grants = GrantBook(db, catalog, clock, self.policy)
        self.quotas = QuotaMeter(db, catalog, clock)
        self.probes = ProbeBudget(db, self.quotas, clock)
        self.throttle = AuthThrottle(self)

    def record(
        self,
        actor: Actor | None,
        action: str,
        *,
        result: str = "ok",
        rule: str = "",
        detail: dict[str, Any] | None = None,
        actor_id: str | None = None,
        address: str | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Hand an administrative or login event to the recorder (no customer, no fields).

        :param conn: the open write transaction the event belongs to, if any: the entry then
            commits (or rolls back) with it. Never record without it while such a transaction
            is open: a second connection would wait for the first (the database refuses that).
        """
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
                address=address,
                session=actor.session if actor else None,
                detail=detail or {},
            ),
            conn,
        )

    def stepped_up(self, actor: Actor) -> bool:
        """Whether ``actor`` proved a TOTP code within the last ``step_up_ttl`` (R-USE-2)."""
        if actor.step_up_at is None:
            return False
        return timedelta(0) <= self.clock.now() - actor.step_up_at <= self.step_up_ttl

    def require(self, actor: Actor, action: str = "administer") -> str:
        """Return the rule allowing ``actor`` to ``action``; record and raise otherwise.

        :raises AccessDenied: the actor's role lacks the action.
        """
        try:
            return self.policy.check_action(actor.role, action, None)
        except AccessDenied as exc:
            self.record(actor, f"{action}_check", result="denied", rule=exc.rule or "")
            raise

    @staticmethod
    def find_principal(conn: Connection, name_or_id: str, kind: str | None = None) -> Any:
        """The principal's row, by name or id, optionally of one kind (``staff``, ``client``).

        :raises NotFound: no such principal.
        """
        query = select(principals).where((principals.c.name == name_or_id) | (principals.c.id == name_or_id))
        if kind is not None:
            query = query.where(principals.c.kind == kind)
        row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"no such {'user' if kind == 'staff' else 'client' if kind else 'principal'}")
        return row
