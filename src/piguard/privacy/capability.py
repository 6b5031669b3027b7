"""The customer privacy centre as a capability on the gate (issue 18; R-RGT-1, R-RGT-2, R-COL-6).

A customer states an identifier (mobile or email); if it is on record, a one-time code goes to it
through the one outbox. The answer, the rows written and the work done are the same whether or not
the identifier exists (a challenge without a customer can never succeed), so the sign-in page is no
oracle of who is a customer. A verified code opens a session kept in the database (cookie digest,
idle and absolute expiry, revocable one by one or everywhere). Once signed in, everything the
customer does runs through the gate *as the customer* (``customer:<id>``, row scope ``own``): their
data masked by default, one field shown after a fresh code (step-up), consents, requests and the
access history through the capabilities that own them, each recorded like a staff action.

Codes are six digits kept as a keyed digest bound to their challenge, valid ten minutes, five
attempts; sign-ins are limited per identifier digest and per address, codes per session, in
fixed-window database counters (no rule lives in one process's memory).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from piguard import masking
from piguard.catalog import Catalog
from piguard.catalog.vocabulary import DATA_SUBJECT_RIGHTS_PURPOSE, GUARDIAN_FIELD_PREFIX
from piguard.clock import Clock, SystemClock
from piguard.errors import AccessDenied, NotFound, TooManyAttempts, ValidationError
from piguard.gate.sdk import (
    Call,
    Kernel,
    Messenger,
    Operation,
    RequestContext,
    Storage,
    UTCDateTime,
    customer_context,
)
from piguard.privacy.tables import challenges, limits, sessions

__all__ = ["OPERATIONS", "GuardianOnRecord", "Privacy", "Session", "SignIn", "charge_window"]

NAME = "privacy"
CLIENT = "privacy"
#: The client of a guardian's session: every entry of it reads "the guardian, for the child".
GUARDIAN_CLIENT = "privacy_guardian"
#: The profile field a guardian's codes go to (the child's record holds it).
GUARDIAN_FIELD = "guardian_mobile"
CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
#: Sign-ins started per identifier and per address within an hour; codes sent per session.
SIGN_INS_PER_IDENTIFIER = 5
SIGN_INS_PER_ADDRESS = 30
REVEALS_PER_SESSION = 10
WINDOW = timedelta(hours=1)
IDLE = timedelta(minutes=15)
ABSOLUTE = timedelta(hours=8)

SIGN_IN = Operation(
    "privacy_sign_in",
    ("search",),
    "none",
    NAME,
    purpose=False,
    writes=True,
    summary="an identifier stated: a one-time code goes to it if on record (the same answer if not)",
    requirements=("R-RGT-2",),
    detail={"channel": "token", "outcome": "token"},
)
SIGN_IN_VERIFY = Operation(
    "privacy_sign_in_verify",
    ("search",),
    "none",
    NAME,
    purpose=False,
    writes=True,
    summary="the sign-in code checked; a privacy-centre session opens",
    requirements=("R-RGT-2",),
    detail={"outcome": "token"},
)
PROFILE = Operation(
    "privacy_profile",
    ("read",),
    "customer",
    NAME,
    purposes=(DATA_SUBJECT_RIGHTS_PURPOSE,),
    summary="the customer's own data, every value masked (shown one by one after a fresh code)",
    requirements=("R-RGT-1",),
    detail={"records": "int"},
)
REVEAL_CODE = Operation(
    "privacy_reveal_code",
    ("read",),
    "customer",
    NAME,
    purpose=False,
    writes=True,
    summary="a fresh one-time code before one field is shown (step-up)",
    requirements=("R-RGT-2",),
    detail={"channel": "token"},
)
REVEAL = Operation(
    "privacy_reveal",
    ("read",),
    "customer",
    NAME,
    purposes=(DATA_SUBJECT_RIGHTS_PURPOSE,),
    writes=True,
    summary="one field of the customer's own data in clear, after the step-up code",
    requirements=("R-RGT-1", "R-RGT-2"),
    detail={"outcome": "token", "field_name": "token"},
)
SIGN_OUT = Operation(
    "privacy_sign_out",
    ("read",),
    "customer",
    NAME,
    purpose=False,
    writes=True,
    summary="end this session, or every session of the customer",
    requirements=("R-RGT-2",),
    detail={"everywhere": "bool", "count": "int"},
)

RECIPIENTS = Operation(
    "privacy_recipients",
    ("read",),
    "customer",
    NAME,
    purpose=False,
    summary="the partners that received the customer's data: name, contact, country, purpose, fields",
    requirements=("R-RGT-1", "R-SHR-2"),
    detail={"count": "int"},
)

PACKAGE_CODE = Operation(
    "privacy_package_code",
    ("read",),
    "customer",
    NAME,
    purpose=False,
    writes=True,
    summary="a fresh one-time code before a request's copy is downloaded (step-up)",
    requirements=("R-RGT-1", "R-RGT-2"),
    detail={"channel": "token"},
)
PACKAGE = Operation(
    "privacy_package",
    ("read",),
    "customer",
    NAME,
    purpose=False,
    writes=True,
    summary="the step-up code checked before a request's copy is downloaded (once)",
    requirements=("R-RGT-1", "R-RGT-2"),
    detail={"outcome": "token"},
)

GUARDIAN = Operation(
    "privacy_guardian",
    ("read",),
    "customer",
    NAME,
    purposes=(DATA_SUBJECT_RIGHTS_PURPOSE,),
    summary="who the guardian is, as the child's record holds it, before the guardian consents or asks "
    "for the child (the consent's guardian evidence, a request's requester)",
    requirements=("R-MIN-1", "R-MIN-3"),
    detail={"outcome": "token"},
)
READY = Operation(
    "privacy_ready",
    ("read",),
    "customer",
    NAME,
    purpose=False,
    summary="which of the customer's requests have a copy waiting for download (case ids only)",
    requirements=("R-RGT-1",),
    detail={"count": "int"},
)

OPERATIONS: tuple[Operation, ...] = (
    SIGN_IN,
    SIGN_IN_VERIFY,
    PROFILE,
    REVEAL_CODE,
    REVEAL,
    SIGN_OUT,
    RECIPIENTS,
    PACKAGE_CODE,
    PACKAGE,
    GUARDIAN,
    READY,
)

#: Finds the customer an identifier belongs to: ``(field, value) -> customer id or None``, wired by
#: the installation as a gate search by the outbox's sender (contact fields only).
Locate = Callable[[str, str], "str | None"]

#: Who received a customer's data (``customer id -> transfers``, each a mapping with
#: ``recipient``, ``contact``, ``country``, ``purpose``, ``fields`` and ``at``), wired by the
#: installation to the sharing capability's register; without it, nobody is listed.
Recipients = Callable[[str], "Sequence[Mapping[str, Any]]"]

#: The copy of a request (``(ctx, case id) -> document``), downloaded once as the customer of
#: ``ctx``, wired by the installation to the rights capability; ``ready`` lists the customer's
#: cases whose copy waits (``customer id -> case ids``), called only inside this capability's own
#: ``privacy_ready`` operation (so each look is authorised, row-scoped and recorded).
Package = Callable[[RequestContext, str], "dict[str, Any]"]
Ready = Callable[[str], "set[str]"]

#: The recorded age band of a customer (``customer id -> "under14" | "minor" | "adult" | None``),
#: wired by the installation to the consent ledger, the one minor-age rule (R-MIN-1).
AgeOf = Callable[[str], "str | None"]
#: Age bands that cannot sign in on their own: a guardian acts for them (PIPL 31).
GUARDIAN_BANDS: tuple[str, ...] = ("under14",)


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def charge_window(
    conn: Connection, tenant: str, key: str, limit: int, now: datetime, window: timedelta = WINDOW
) -> tuple[int, datetime]:
    """Charge one against the fixed-window counter ``(tenant, key)`` in one statement (R-RGT-2).

    An ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on both backends: a new key, or one whose
    window has passed, starts at one; a live one goes up by one, but never past ``limit + 1``. Two
    nodes charging the same key at once are serialised by the row, so neither a first charge nor
    an increment is lost (a select-then-insert let both read the same count, or both insert).

    :returns: the count after this charge (``> limit``: refused, and charged no further) and the
        window's end.
    """
    t = limits.c
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    expired = t.window_end <= literal(now, UTCDateTime)
    stmt = dialect.insert(limits).values(tenant=tenant, key=key, count=1, window_end=now + window)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.tenant, t.key],
        set_={
            "count": case((expired, 1), (t.count > limit, t.count), else_=t.count + 1),
            "window_end": case((expired, literal(now + window, UTCDateTime)), else_=t.window_end),
        },
    ).returning(t.count, t.window_end)
    count, window_end = conn.execute(stmt).one()
    return int(count), window_end


@dataclass(frozen=True, slots=True)
class SignIn:
    """What a sign-in start answers, identical for known and unknown identifiers: the challenge
    token the browser keeps (a cookie) and the channel the code would go by."""

    challenge: str
    channel: str


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in customer: the cookie value (returned once), the customer and the CSRF token."""

    cookie: str
    customer_id: str
    csrf: str
    channel: str
    expires_at: datetime
    #: The guardian of a child under 14 signed in for the child (``customer_id`` is the child's).
    guardian: bool = False

    def context(self, purpose: str = DATA_SUBJECT_RIGHTS_PURPOSE) -> RequestContext:
        """The gate context of this customer acting in the privacy centre (a guardian acts as the
        child, under the client :data:`GUARDIAN_CLIENT`, so each entry says who acted for whom)."""
        return customer_context(
            self.customer_id, purpose, client=GUARDIAN_CLIENT if self.guardian else CLIENT
        )

    @property
    def to_field(self) -> str | None:
        """The contact field step-up codes go to (the guardian's, for a guardian)."""
        return GUARDIAN_FIELD if self.guardian else None


@dataclass(frozen=True, slots=True)
class GuardianOnRecord:
    """The guardian as the child's record names them (PIPL 31): what a guardian's consent
    (relationship, a keyed reference of the ID number) and request (requester) are recorded with.
    The code that opened the guardian's session went to the guardian's mobile on the same record."""

    name: str
    #: ``father``, ``mother`` or ``legal_guardian`` (the catalog's relation field).
    relation: str
    id_number: str = field(repr=False)

    @property
    def relationship(self) -> str:
        """The relationship a rights request states (Civil Code 27: a parent or a legal guardian)."""
        return "legal_guardian" if self.relation == "legal_guardian" else "parent"


@dataclass(frozen=True, slots=True)
class ShownField:
    """One field of the customer's data as the privacy centre lists it (masked)."""

    record_type: str
    record_id: str
    field: str
    label_zh: str
    label_en: str
    masked: str | None
    level: str


class Privacy:
    """The privacy centre's sessions, codes and reads (see the module docstring).

    :param code_key: keys code digests (six digits unkeyed would fall to a million guesses) and
        identifier digests (the rate limit's key).
    :param locate: finds the customer of an identifier (see :data:`Locate`).
    :param recipients: who received a customer's data (see :data:`Recipients`).
    :param age_of: a customer's recorded age band (see :data:`AgeOf`): a customer under 14 is
        answered like an unknown identifier, no code is sent, since their guardian acts for them.
    :param package: a request's copy, downloaded once (see :data:`Package`); ``ready`` the cases
        whose copy waits.
    """

    name = NAME
    operations = OPERATIONS

    def __init__(
        self,
        db: Storage,
        catalog: Catalog,
        tenant: str,
        *,
        code_key: bytes,
        messenger: Messenger,
        locate: Locate,
        recipients: Recipients | None = None,
        package: Package | None = None,
        ready: Ready | None = None,
        age_of: AgeOf | None = None,
        clock: Clock | None = None,
        idle: timedelta = IDLE,
        absolute: timedelta = ABSOLUTE,
    ) -> None:
        self._db, self._catalog, self._tenant = db, catalog, tenant
        self._key, self._messenger, self._locate = code_key, messenger, locate
        self._recipients, self._package, self._ready = recipients, package, ready
        self._age_of = age_of
        self._clock = clock or SystemClock()
        self.idle, self.absolute = idle, absolute
        self._kernel: Kernel | None = None

    def bind(self, kernel: Kernel) -> None:
        self._kernel = kernel

    @property
    def kernel(self) -> Kernel:
        if self._kernel is None:
            raise RuntimeError("the privacy capability is not mounted on a gate")
        return self._kernel

    # ------------------------------------------------------------------ helpers

    def _keyed(self, *parts: str) -> str:
        return hmac.new(self._key, ":".join((self._tenant, *parts)).encode(), hashlib.sha256).hexdigest()

    def _count(self, conn: Connection, key: str, limit: int, now: datetime, *, charge: bool = True) -> None:
        """Charge one against the fixed-window counter ``key`` (``charge=False``: only check it).

        :raises TooManyAttempts: the window's budget is spent (nothing more is charged then).
        """
        key = key[:96]
        if charge:
            count, window_end = charge_window(conn, self._tenant, key, limit, now)
        else:
            t = limits.c
            row = conn.execute(
                select(t.count, t.window_end).where(t.tenant == self._tenant, t.key == key)
            ).first()
            if row is None or row[1] <= now:
                return
            count, window_end = int(row[0]), row[1]
        if count > limit or (not charge and count >= limit):
            raise TooManyAttempts("too many attempts: try again later", (window_end - now).total_seconds())

    @staticmethod
    def identifier_field(identifier: str) -> tuple[str, str]:
        """The profile field an identifier names (``email`` if it holds an ``@``, else ``mobile``)
        and the outbox channel a code goes by. Decided from its form alone, never from the data.

        :raises ValidationError: empty or too long.
        """
        value = identifier.strip()
        if not 3 <= len(value) <= 254:
            raise ValidationError("give your mobile number or email address", "identifier")
        return ("email", "email") if "@" in value else ("mobile", "sms")

    def _challenge(
        self,
        conn: Connection,
        kind: str,
        now: datetime,
        *,
        customer_id: str | None,
        channel: str,
        session_id: str | None = None,
        field: str | None = None,
        to_field: str | None = None,
    ) -> str:
        token = secrets.token_urlsafe(32)
        cid = _sha(token)
        code = f"{secrets.randbelow(10**6):06d}"
        conn.execute(
            insert(challenges).values(
                id=cid, tenant=self._tenant, kind=kind, customer_id=customer_id, session_id=session_id,
                field=field, channel=channel, digest=self._keyed("code", cid, code), attempts=0,
                created_at=now, expires_at=now + CODE_TTL,
            )
        )  # fmt: skip
        if customer_id is not None:
            self._messenger.enqueue(
                conn,
                customer_id,
                "verification_code",
                {"code": code, "minutes": str(int(CODE_TTL.total_seconds() // 60))},
                channel=channel,
                reference="privacy",
                to_field=to_field,
            )
        return token

    def _check(
        self,
        conn: Connection,
        token: str,
        code: str,
        kind: str | tuple[str, ...],
        now: datetime,
        session: Session | None = None,
    ) -> tuple[str, Any]:
        """Check ``code`` against challenge ``token``; one outcome word, and the row on success.

        ``session``: a step-up challenge belongs to one session of one customer; from any other
        it is refused before anything is counted or spent (else whoever holds its cookie and code
        could burn the owner's code or attempts)."""
        cid = _sha(token or "")
        row = (
            conn.execute(
                select(challenges).where(challenges.c.id == cid, challenges.c.tenant == self._tenant)
            )
            .mappings()
            .first()
        )
        if row is None or row["kind"] not in ((kind,) if isinstance(kind, str) else kind):
            return "no_challenge", None
        if session is not None and (
            row["session_id"] != _sha(session.cookie) or row["customer_id"] != session.customer_id
        ):
            return "other_session", None
        if row["used_at"] is not None:
            return "code_used", None
        if row["attempts"] >= CODE_ATTEMPTS:
            return "too_many_attempts", None
        if row["expires_at"] <= now:
            return "code_expired", None
        good = hmac.compare_digest(row["digest"], self._keyed("code", cid, code.strip()))
        if not good or row["customer_id"] is None:
            conn.execute(
                update(challenges).where(challenges.c.id == cid).values(attempts=row["attempts"] + 1)
            )
            return "wrong_code", None
        conn.execute(update(challenges).where(challenges.c.id == cid).values(used_at=now))
        return "verified", row

    # ------------------------------------------------------------------ sign-in

    def start(
        self, ctx: RequestContext, identifier: str, *, address: str = "", guardian: bool = False
    ) -> SignIn:
        """A customer states ``identifier``: if it is on record, a one-time code goes to it.

        The answer is the same whether or not it is on record (no account enumeration): a
        challenge is written either way; only a known one has a customer and a queued message.

        ``guardian``: the guardian of a child under 14 states the child's identifier; the code goes
        by SMS to the guardian's mobile on the child's record (:data:`GUARDIAN_FIELD`), never to the
        child. For anyone not under 14 nothing is sent (the same answer). A child under 14 stating
        their own identifier gets no code either (R-MIN-1): their guardian acts for them.

        :raises ValidationError: the identifier has no usable form.
        :raises TooManyAttempts: too many sign-ins for this identifier or from this address this hour.
        """
        field, channel = self.identifier_field(identifier)
        if guardian:
            channel = "sms"
        value = identifier.strip()
        now = self._clock.now()

        keys = [("in:" + self._keyed("identifier", field, value.lower()), SIGN_INS_PER_IDENTIFIER)]
        if address:
            keys.append(("ad:" + self._keyed("address", address), SIGN_INS_PER_ADDRESS))

        def handler(call: Call) -> SignIn:
            # Over budget: refused before the lookup (checked again when charged, below).
            with self._db.read() as conn:
                for key, limit in keys:
                    self._count(conn, key, limit, now, charge=False)
            # The lookup is its own gate operation (a search by the outbox's sender), before this
            # call's transaction: a thread never opens a second write transaction inside a first.
            try:
                customer_id = self._locate(field, value)
            except (ValidationError, NotFound):
                customer_id = None  # an invalid number is answered like an unknown one
            minor = (
                customer_id is not None
                and self._age_of is not None
                and self._age_of(customer_id) in GUARDIAN_BANDS
            )
            # R-MIN-1: a child under 14 does not sign in alone; only a child's guardian signs in
            # as guardian (the same answer, no code, no session otherwise).
            known = customer_id is not None and self._messenger.has_channel(channel)
            usable = known and (minor if guardian else not minor)
            outcome = "sent" if usable else "unknown" if not known else "not_minor" if guardian else "minor"
            call.note(channel=channel, outcome=outcome)
            with call.transaction() as conn:
                for key, limit in keys:
                    self._count(conn, key, limit, now)
                token = self._challenge(
                    conn, "guardian" if guardian else "sign_in", now,
                    customer_id=customer_id if usable else None, channel=channel,
                    to_field=GUARDIAN_FIELD if guardian and usable else None,
                )  # fmt: skip
            return SignIn(token, channel)

        return self.kernel.run(ctx, SIGN_IN, handler)

    def verify(self, ctx: RequestContext, challenge: str, code: str) -> Session:
        """Check the sign-in code; open a session.

        :raises AccessDenied: wrong, expired, used or voided code, or no such challenge (one
            answer for all, the reason in the audit entry).
        """
        now = self._clock.now()
        out: list[Session] = []

        def handler(call: Call) -> str:
            with call.transaction() as conn:
                outcome, row = self._check(conn, challenge, code, ("sign_in", "guardian"), now)
                call.note(outcome=outcome)
                if row is not None:
                    acting = "guardian" if row["kind"] == "guardian" else None
                    cookie = secrets.token_urlsafe(32)
                    csrf = secrets.token_urlsafe(32)
                    expires = now + self.absolute
                    conn.execute(
                        insert(sessions).values(
                            id=_sha(cookie), tenant=self._tenant, customer_id=row["customer_id"],
                            channel=row["channel"], csrf=csrf, created_at=now, last_seen=now,
                            expires_at=expires, acting=acting,
                        )
                    )  # fmt: skip
                    out.append(
                        Session(
                            cookie, row["customer_id"], csrf, row["channel"], expires, acting == "guardian"
                        )
                    )
            return outcome

        self.kernel.run(ctx, SIGN_IN_VERIFY, handler)
        if not out:
            raise AccessDenied("the code was not accepted", "privacy.code", key="privacy.code")
        return out[0]

    def session(self, cookie: str | None) -> Session | None:
        """The live session of ``cookie`` (its last use moved to now), or ``None``: unknown,
        revoked, idle too long or past its absolute expiry. Read from the database on every call."""
        if not cookie:
            return None
        now = self._clock.now()
        sid = _sha(cookie)
        with self._db.read() as conn:
            row = (
                conn.execute(select(sessions).where(sessions.c.id == sid, sessions.c.tenant == self._tenant))
                .mappings()
                .first()
            )
        if row is None or row["revoked_at"] is not None:
            return None
        lapsed = row["expires_at"] <= now or row["last_seen"] + self.idle <= now
        # R-MIN-1: a customer's own session ends once their recorded age shows them under 14 (a
        # birth date recorded after they signed in): from then on only their guardian acts.
        child_alone = (
            row["acting"] != "guardian"
            and self._age_of is not None
            and self._age_of(row["customer_id"]) in GUARDIAN_BANDS
        )
        with self._db.transaction() as conn:
            live = (sessions.c.id == sid, sessions.c.revoked_at.is_(None))
            if lapsed or child_alone:
                conn.execute(update(sessions).where(*live).values(revoked_at=now))
                return None
            moved = conn.execute(update(sessions).where(*live).values(last_seen=now)).rowcount
        if not moved:  # revoked (signed out everywhere) between the read and now
            return None
        return Session(
            cookie, row["customer_id"], row["csrf"], row["channel"], row["expires_at"],
            row["acting"] == "guardian",
        )  # fmt: skip

    def sign_out(self, ctx: RequestContext, session: Session, *, everywhere: bool = False) -> int:
        """End ``session`` (or, ``everywhere``, every live session of its customer).

        :returns: how many sessions ended.
        """
        now = self._clock.now()

        def handler(call: Call) -> int:
            t = sessions.c
            query = update(sessions).where(t.tenant == self._tenant, t.revoked_at.is_(None))
            if everywhere:
                query = query.where(t.customer_id == session.customer_id)
            else:
                query = query.where(t.id == _sha(session.cookie))
            with call.transaction() as conn:
                count = int(conn.execute(query.values(revoked_at=now)).rowcount or 0)
            call.note(everywhere=everywhere, count=count)
            return count

        return self.kernel.run(ctx, SIGN_OUT, handler, subject=session.customer_id)

    # ------------------------------------------------------------------ the customer's data

    def _label(self, record_type: str, name: str) -> tuple[str, str]:
        label = self._catalog.record_types[record_type].fields[name].label
        return label.zh, label.en

    def profile(self, ctx: RequestContext, session: Session) -> list[ShownField]:
        """Every field of the customer's records, masked (a value is shown only by :meth:`reveal`)."""

        def handler(call: Call) -> list[ShownField]:
            out: list[ShownField] = []
            refs = call.view.records()
            for ref in refs:
                spec = self._catalog.record_types[ref.record_type]
                views = call.view.read(record_type=ref.record_type, record_id=ref.record_id)
                for name, view in views.items():
                    if view.value is None and view.level != "deny":
                        continue
                    fdef = spec.fields[name]
                    shown: str | None = None
                    if view.value is not None:
                        shown = masking.hide(fdef.mask, view.value, **fdef.mask_options)
                    zh, en = self._label(ref.record_type, name)
                    out.append(ShownField(ref.record_type, ref.record_id, name, zh, en, shown, view.level))
            call.note(records=len(refs))
            return out

        return self.kernel.run(ctx, PROFILE, handler, subject=session.customer_id)

    def _field(self, record_type: str, name: str) -> None:
        spec = self._catalog.record_types.get(record_type)
        if spec is None or name not in spec.fields:
            raise ValidationError("no such field", "field")

    def reveal_code(
        self, ctx: RequestContext, session: Session, record_type: str, field: str, record_id: str
    ) -> str:
        """Send a fresh code before ``field`` of one record is shown; returns the challenge token.

        :raises TooManyAttempts: too many codes sent for this session within the hour.
        """
        self._field(record_type, field)
        now = self._clock.now()

        def handler(call: Call) -> str:
            call.note(channel=session.channel)
            if not any(
                r.record_type == record_type and r.record_id == record_id for r in call.view.records()
            ):
                raise NotFound("no such record of this customer")
            with call.transaction() as conn:
                self._count(conn, "rv:" + _sha(session.cookie), REVEALS_PER_SESSION, now)
                return self._challenge(
                    conn, "reveal", now, customer_id=session.customer_id, channel=session.channel,
                    session_id=_sha(session.cookie), field=f"{record_type}.{field}.{record_id}",
                    to_field=session.to_field,
                )  # fmt: skip

        return self.kernel.run(ctx, REVEAL_CODE, handler, subject=session.customer_id)

    def reveal(
        self, ctx: RequestContext, session: Session, challenge: str, code: str
    ) -> tuple[str, str, str, str | None]:
        """Show the field the challenge was for, in clear, if ``code`` is right (one use).

        :returns: ``(record_type, record_id, field, value)``.
        :raises AccessDenied: the code was not accepted, or the challenge belongs to another session.
        """
        now = self._clock.now()
        shown: list[tuple[str, str, str, str | None]] = []

        def handler(call: Call) -> str:
            target: tuple[str, str, str] | None = None
            with call.transaction() as conn:
                outcome, row = self._check(conn, challenge, code, "reveal", now, session)
                if row is not None:
                    record_type, field, record_id = str(row["field"]).split(".", 2)
                    target = (record_type, field, record_id)
                    call.touch([field], record_type)
                    call.note(field_name=field)
                call.note(outcome=outcome)
            if target is not None:
                # The code is spent with the entry that names the field; the value is read after.
                record_type, field, record_id = target
                view = call.view.read([field], record_type=record_type, record_id=record_id)[field]
                shown.append((record_type, record_id, field, view.value))
            return outcome

        self.kernel.run(ctx, REVEAL, handler, subject=session.customer_id)
        if not shown:
            raise AccessDenied("the code was not accepted", "privacy.code", key="privacy.code")
        return shown[0]

    def recipients(self, ctx: RequestContext, session: Session) -> list[dict[str, Any]]:
        """The partners that received the signed-in customer's data, oldest first: who (name,
        contact, country), when, for what purpose and which fields, never a value (PIPL 23, 45)."""

        def handler(call: Call) -> list[dict[str, Any]]:
            found = self._recipients(session.customer_id) if self._recipients is not None else []
            out = [
                {
                    "recipient": str(r.get("recipient") or ""),
                    "contact": str(r.get("contact") or ""),
                    "country": str(r.get("country") or ""),
                    "purpose": str(r.get("purpose") or ""),
                    "fields": [str(f) for f in r.get("fields") or ()],
                    "at": str(r.get("at") or ""),
                }
                for r in found
            ]
            call.note(count=len(out))
            return out

        return self.kernel.run(ctx, RECIPIENTS, handler, subject=session.customer_id)

    def _waiting(self, customer_id: str) -> set[str]:
        """The cases of ``customer_id`` whose copy waits (call it inside an operation about them)."""
        return self._ready(customer_id) if self._ready is not None else set()

    def ready(self, ctx: RequestContext, session: Session) -> set[str]:
        """The signed-in customer's cases whose copy waits for download (ids, no values): a
        declared operation, so the look is authorised, held to the customer's own row and recorded."""

        def handler(call: Call) -> set[str]:
            found = self._waiting(session.customer_id)
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, READY, handler, subject=session.customer_id)

    def guardian(self, ctx: RequestContext, session: Session) -> GuardianOnRecord | None:
        """The guardian of a guardian's session as the child's record names them (name, relation,
        ID number: the catalog's guardian fields of those types), or ``None`` when the record lacks
        one of them or this is not a guardian's session: then nothing can be recorded as the
        guardian's (PIPL 31 wants the guardian's identity and relationship)."""
        spec = self._catalog.record_types.get("customer")
        wanted: dict[str, str] = {}
        for name, fdef in spec.fields.items() if spec is not None else ():
            if not name.startswith(GUARDIAN_FIELD_PREFIX):
                continue
            kind = str(fdef.type)
            if kind == "name":
                wanted.setdefault("name", name)
            elif kind == "resident_id":
                wanted.setdefault("id_number", name)
            elif kind == "enum" and set(fdef.type_options.get("values", ())) >= {"father", "mother"}:
                wanted.setdefault("relation", name)

        def handler(call: Call) -> GuardianOnRecord | None:
            if not session.guardian:
                call.note(outcome="not_guardian")
                return None
            if len(wanted) < 3:
                call.note(outcome="not_in_catalog")
                return None
            views = call.view.read(sorted(wanted.values()))
            values = {key: views[name].value for key, name in wanted.items()}
            if any(not isinstance(v, str) or not v.strip() for v in values.values()):
                call.note(outcome="incomplete")
                return None
            call.note(outcome="on_record")
            return GuardianOnRecord(str(values["name"]), str(values["relation"]), str(values["id_number"]))

        return self.kernel.run(ctx, GUARDIAN, handler, subject=session.customer_id)

    def package_code(self, ctx: RequestContext, session: Session, case_id: str) -> str:
        """Send a fresh code before the copy of ``case_id`` is downloaded; the challenge token.

        :raises NotFound: no copy of this customer's waits for that case.
        :raises TooManyAttempts: too many codes sent for this session within the hour.
        """
        now = self._clock.now()

        def handler(call: Call) -> str:
            call.note(channel=session.channel)
            if case_id not in self._waiting(session.customer_id):
                raise NotFound("no copy waits for this request")
            with call.transaction() as conn:
                self._count(conn, "rv:" + _sha(session.cookie), REVEALS_PER_SESSION, now)
                return self._challenge(
                    conn, "package", now, customer_id=session.customer_id, channel=session.channel,
                    session_id=_sha(session.cookie), field=case_id[:128], to_field=session.to_field,
                )  # fmt: skip

        return self.kernel.run(ctx, PACKAGE_CODE, handler, subject=session.customer_id)

    def package(self, ctx: RequestContext, session: Session, challenge: str, code: str) -> dict[str, Any]:
        """The copy the challenge was for, if ``code`` is right: the code is spent with this
        operation's entry, then the copy is downloaded once, as the customer (the rights
        capability records the download and blanks the copy).

        :raises AccessDenied: the code was not accepted, or the challenge is another session's.
        :raises NotFound: the copy was downloaded already or has expired.
        """
        now = self._clock.now()
        cases: list[str] = []

        def handler(call: Call) -> str:
            with call.transaction() as conn:
                outcome, row = self._check(conn, challenge, code, "package", now, session)
                if row is not None:
                    cases.append(str(row["field"]))
                call.note(outcome=outcome)
            return outcome

        self.kernel.run(ctx, PACKAGE, handler, subject=session.customer_id)
        if not cases:
            raise AccessDenied("the code was not accepted", "privacy.code", key="privacy.code")
        if self._package is None:
            raise NotFound("no copy waits for this request")
        return self._package(ctx, cases[0])

    def channels(self) -> Mapping[str, bool]:
        """Which code channels are configured (the sign-in page says where a code can go)."""
        return {c: self._messenger.has_channel(c) for c in ("sms", "email")}
