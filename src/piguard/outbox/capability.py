"""The outbox as a capability on the gate: queue inside a caller's transaction, send as a job.

Most messages go to a customer, addressed from the vault when sent. A few go to an organisation
(a partner told to delete a customer's data): :meth:`Outbox.enqueue_to` seals the address with
the parameters and ``outbox_deliver_to`` sends it without reading any customer.

Sending is an operation about one customer (``outbox_deliver``), run by the ``outbox`` system
principal with the built-in ``notifier`` role for the built-in ``notification`` purpose: the
gate decides the contact field like any read (never a sensitive one, never for a restricted
customer once restriction lands as a guard), and records one entry per attempt with the
channel, template, attempt number and outcome, never the address or the text.

Delivery is at least once: a message is marked sent in the same transaction as its entry,
after the channel accepted it; if that commit fails, the message goes out again later (the
SMTP Message-ID and the webhook's ``Idempotency-Key`` carry the message id, so a receiver can
drop the duplicate).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from piguard.catalog import Catalog
from piguard.catalog.vocabulary import GUARDIAN_FIELD_PREFIX, NOTIFICATION_PURPOSE, NOTIFIER_ROLE
from piguard.clock import Clock, SystemClock
from piguard.errors import AccessDenied, NotFound, ValidationError
from piguard.gate.sdk import Call, Kernel, Operation, RequestContext, SecretBox, Storage, system_context
from piguard.outbox.channels import Channel, DeliveryError, PartnerWebhookChannel, endpoint_problem
from piguard.outbox.tables import messages
from piguard.outbox.templates import LOCALES, TO_GUARDIAN, check, render

__all__ = ["DELIVER", "DELIVER_TO", "LIST", "Outbox"]

NAME = "outbox"

DELIVER = Operation(
    "outbox_deliver",
    ("read",),
    "customer",
    NAME,
    writes=True,
    purposes=(NOTIFICATION_PURPOSE,),
    summary="address one queued message from the vault and send it (no address or text kept)",
    requirements=("R-INC-4", "R-RGT-2"),
    detail={"channel": "token", "template": "token", "outcome": "token", "attempt": "int"},
)
DELIVER_TO = Operation(
    "outbox_deliver_to",
    ("read",),
    "none",
    NAME,
    writes=True,
    purposes=(NOTIFICATION_PURPOSE,),
    summary="send one queued message to an organisation's address (a partner), no customer read",
    requirements=("R-DST-1",),
    detail={"channel": "token", "template": "token", "outcome": "token", "attempt": "int"},
)
LIST = Operation(
    "outbox_list",
    ("administer",),
    "none",
    NAME,
    purpose=False,
    summary="queued and sent messages: status, template and attempts (no contents, no addresses)",
    requirements=("R-INC-4",),
    detail={"count": "int"},
)

#: The sender's principal: ``system:outbox`` with the built-in notifier role.
SENDER = "outbox"
STATUSES = ("pending", "sent", "failed")
#: The ``customer_id`` of a message to an organisation's address (no customer is addressed); the
#: address is sealed with the parameters under :data:`_TO` and blanked once sent.
NO_CUSTOMER = ""
_TO = "__to"


class Outbox:
    """Messages to customers: queued by capabilities, sent by the ``outbox`` job."""

    name = NAME
    operations = (DELIVER, DELIVER_TO, LIST)

    def __init__(
        self,
        db: Storage,
        catalog: Catalog,
        tenant: str,
        box: SecretBox,
        channels: Mapping[str, Channel],
        *,
        clock: Clock | None = None,
        max_attempts: int = 6,
        backoff: timedelta = timedelta(minutes=1),
        claim: timedelta = timedelta(minutes=10),
    ) -> None:
        """:param channels: by kind of address (``email``, ``sms``).
        :param max_attempts: attempts before a message is given up (and reported).
        :param backoff: the wait after the first failed attempt; it doubles each time (to a day).
        :param claim: how long a sender holds a message it is sending before another may.
        """
        self._db, self._catalog, self._tenant, self._box = db, catalog, tenant, box
        self.channels = dict(channels)
        self._clock = clock or SystemClock()
        self.max_attempts, self._backoff, self._claim = max_attempts, backoff, claim
        self._kernel: Kernel | None = None

    def bind(self, kernel: Kernel) -> None:
        self._kernel = kernel

    @property
    def kernel(self) -> Kernel:
        if self._kernel is None:
            raise RuntimeError("the outbox is not mounted on a gate")
        return self._kernel

    # ------------------------------------------------------------------ queueing

    def has_channel(self, channel: str) -> bool:
        return channel in self.channels

    def address_problem(self, channel: str, address: str) -> str | None:
        """Why ``address`` cannot be an organisation's address on ``channel`` (checked when it is
        registered, not first when a message fails), or None. An endpoint must be https://."""
        if channel not in self.channels:
            return f"no {channel!r} channel is configured"
        if self.channels[channel].kind == "webhook":
            return endpoint_problem(address)
        return None if address.strip() else "an address"

    def enqueue(
        self,
        conn: Connection,
        customer_id: str,
        template: str,
        params: Mapping[str, str],
        *,
        channel: str,
        locale: str = "zh",
        reference: str | None = None,
        to_field: str | None = None,
    ) -> str:
        """Queue a message in the caller's transaction (``with call.transaction() as conn``), so it
        exists exactly when the change it reports does. Returns the message id.

        ``to_field`` names another contact field of the customer's profile to send to (a child's
        ``guardian_mobile``, PIPL 31); by default the profile's first contact field of the channel's
        type. Either way the address is read by the gate at sending, never stored here.

        :raises ValidationError: no such channel configured, template or locale, or parameters that
            do not fit the template.
        """
        if channel not in self.channels:
            raise ValidationError(f"no {channel!r} channel is configured (have {', '.join(self.channels)})")
        if locale not in LOCALES:
            raise ValidationError(f"locale must be one of {', '.join(LOCALES)}", "locale")
        clean = {str(k): str(v) for k, v in params.items()}
        check(template, locale, clean)
        if to_field is not None and to_field not in self._contact_fields(self.channels[channel].kind):
            raise ValidationError(f"{to_field!r} is no contact field for the {channel!r} channel", "to_field")
        message_id = "msg_" + secrets.token_hex(12)
        now = self._clock.now()
        conn.execute(
            insert(messages).values(
                id=message_id,
                tenant=self._tenant,
                customer_id=customer_id,
                channel=channel,
                template=template,
                locale=locale,
                params=self._box.seal(json.dumps(clean, ensure_ascii=False), self._context(message_id)),
                reference=reference,
                to_field=to_field,
                status="pending",
                attempts=0,
                next_attempt=now,
                created_at=now,
            )
        )
        return message_id

    def enqueue_to(
        self,
        conn: Connection,
        address: str,
        template: str,
        params: Mapping[str, str],
        *,
        channel: str,
        locale: str = "zh",
        reference: str | None = None,
    ) -> str:
        """Queue a message to an organisation's address (a partner's contact), not a customer, in
        the caller's transaction. The address is sealed with the parameters (bound to the message
        id) and blanked once the message is sent or given up, like the parameters.

        :raises ValidationError: as :meth:`enqueue`, or an empty address.
        """
        to = (address or "").strip()
        if not to or len(to) > 320:
            raise ValidationError("an address to send to", "address")
        if channel not in self.channels:
            raise ValidationError(f"no {channel!r} channel is configured (have {', '.join(self.channels)})")
        if locale not in LOCALES:
            raise ValidationError(f"locale must be one of {', '.join(LOCALES)}", "locale")
        clean = {str(k): str(v) for k, v in params.items()}
        check(template, locale, clean)
        message_id = "msg_" + secrets.token_hex(12)
        now = self._clock.now()
        sealed = json.dumps({**clean, _TO: to}, ensure_ascii=False)
        conn.execute(
            insert(messages).values(
                id=message_id,
                tenant=self._tenant,
                customer_id=NO_CUSTOMER,
                channel=channel,
                template=template,
                locale=locale,
                params=self._box.seal(sealed, self._context(message_id)),
                reference=reference,
                status="pending",
                attempts=0,
                next_attempt=now,
                created_at=now,
            )
        )
        return message_id

    def status(self, reference: str) -> str | None:
        """The state of the newest message queued with ``reference`` (``pending``, ``sent``,
        ``failed``), or None when there is none."""
        c = messages.c
        with self._db.read() as conn:
            value = conn.execute(
                select(c.status)
                .where(c.tenant == self._tenant, c.reference == reference)
                .order_by(c.created_at.desc(), c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    # ------------------------------------------------------------------ sending (the job)

    def deliver_due(self, now: datetime | None = None, *, batch: int = 100) -> int:
        """The job: send the messages that are due, as ``system:outbox``; return how many were sent.

        Safe on many nodes at once: each message is claimed by one conditional UPDATE first.
        """
        now = now or self._clock.now()
        t = messages.c
        with self._db.read() as conn:
            due = (
                conn.execute(
                    select(t.id)
                    .where(t.tenant == self._tenant, t.status == "pending", t.next_attempt <= now)
                    .order_by(t.next_attempt, t.id)
                    .limit(batch)
                )
                .scalars()
                .all()
            )
        sender, sent = self._sender(), 0
        for message_id in due:
            try:
                sent += self.deliver(sender, message_id, now=now) == "sent"
            except AccessDenied:
                continue  # recorded by the gate and postponed; the others still go
        return sent

    def deliver(self, ctx: RequestContext, message_id: str, *, now: datetime | None = None) -> str:
        """Try to send one pending, due message now, as ``ctx``; return the outcome (``sent``,
        ``retry``, ``failed``, or ``skipped`` if it is not due or another sender holds it).

        :raises AccessDenied: ``ctx`` may not (recorded under ``outbox_deliver``).
        :raises NotFound: no such message.
        """
        now = now or self._clock.now()
        t = messages.c
        with self._db.read() as conn:
            customer_id = conn.execute(
                select(t.customer_id).where(t.tenant == self._tenant, t.id == message_id)
            ).scalar_one_or_none()
        if customer_id is None:
            raise NotFound("no such message")
        if not self._take(message_id, now):
            return "skipped"

        def handler(call: Call) -> str:
            with self._db.read() as conn:
                row = dict(conn.execute(select(messages).where(t.id == message_id)).mappings().one())
            attempt = row["attempts"] + 1
            outcome, reason = self._attempt(call, row, self.channels.get(row["channel"]), message_id)
            if outcome == "retry" and attempt >= self.max_attempts:
                outcome = "failed"
            call.note(channel=row["channel"], template=row["template"], outcome=outcome, attempt=attempt)
            with call.transaction() as conn:
                self._settle(conn, message_id, outcome, reason, attempt, now)
            return outcome

        if customer_id == NO_CUSTOMER:
            # To an organisation: the address travels sealed with the message; no customer is read.
            return self.kernel.run(ctx, DELIVER_TO, handler)
        try:
            return self.kernel.run(ctx, DELIVER, handler, subject=customer_id)
        except NotFound:
            # The customer was erased while the message waited: nobody is left to tell.
            self._give_up(message_id, "customer_gone")
            return "failed"
        except AccessDenied:
            # The gate refused (recorded under outbox_deliver): hand the message back for later.
            self._postpone(message_id, "refused", now)
            raise

    def _take(self, message_id: str, now: datetime) -> bool:
        t = messages.c
        with self._db.transaction() as conn:
            return (
                conn.execute(
                    update(messages)
                    .where(t.id == message_id, t.status == "pending", t.next_attempt <= now)
                    .values(next_attempt=now + self._claim)
                ).rowcount
                == 1
            )

    def _sender(self) -> RequestContext:
        return system_context(SENDER, NOTIFIER_ROLE, NOTIFICATION_PURPOSE)

    def _attempt(
        self, call: Call, row: Mapping[str, Any], channel: Channel | None, message_id: str
    ) -> tuple[str, str | None]:
        if channel is None:
            return "retry", "channel_not_configured"
        if row["customer_id"] == NO_CUSTOMER:
            params = json.loads(self._box.open(row["params"], self._context(message_id)))
            address = params.pop(_TO)
            subject, body = render(row["template"], row["locale"], params)
            try:
                if isinstance(channel, PartnerWebhookChannel):
                    # An organisation's system takes the parameters as data, not only as text.
                    channel.send(address, subject, body, message_id, template=row["template"], data=params)
                else:
                    channel.send(address, subject, body, message_id)
            except DeliveryError as exc:
                return ("retry" if exc.temporary else "failed"), exc.reason
            return "sent", None
        field = row.get("to_field") or self._contact_field(
            channel.kind, guardian=row["template"] in TO_GUARDIAN
        )
        if field is None:
            return "failed", "no_contact_field"
        view = call.view.read([field]).get(field)
        if view is None or view.level != "clear" or not view.value:
            return "failed", "no_contact"
        params = json.loads(self._box.open(row["params"], self._context(message_id)))
        subject, body = render(row["template"], row["locale"], params)
        try:
            channel.send(view.value, subject, body, message_id)
        except DeliveryError as exc:
            return ("retry" if exc.temporary else "failed"), exc.reason
        return "sent", None

    def _settle(
        self, conn: Connection, message_id: str, outcome: str, reason: str | None, attempt: int, now: datetime
    ) -> None:
        values: dict[str, Any] = {"attempts": attempt, "last_error": reason}
        if outcome == "sent":
            values.update(status="sent", sent_at=now, next_attempt=None, params="")
        elif outcome == "failed":
            values.update(status="failed", next_attempt=None, params="")
        else:
            values.update(next_attempt=now + self._wait(attempt))
        conn.execute(update(messages).where(messages.c.id == message_id).values(**values))

    def _give_up(self, message_id: str, reason: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                update(messages)
                .where(messages.c.id == message_id)
                .values(status="failed", next_attempt=None, params="", last_error=reason)
            )

    def _postpone(self, message_id: str, reason: str, now: datetime) -> None:
        with self._db.transaction() as conn:
            attempts = conn.execute(
                select(messages.c.attempts).where(messages.c.id == message_id)
            ).scalar_one()
            conn.execute(
                update(messages)
                .where(messages.c.id == message_id)
                .values(attempts=attempts + 1, next_attempt=now + self._wait(attempts + 1), last_error=reason)
            )

    def _wait(self, attempt: int) -> timedelta:
        wait: timedelta = self._backoff * 2 ** (attempt - 1)
        return min(wait, timedelta(days=1))

    def _contact_field(self, kind: str, *, guardian: bool = False) -> str | None:
        # The profile's first contact field of the address's type (email, mobile): the customer's
        # own, or for a guardian's notice the guardian's (``guardian_*``), else the account's own.
        found = self._contact_fields(kind)
        theirs = [n for n in found if n.startswith(GUARDIAN_FIELD_PREFIX)]
        own = [n for n in found if not n.startswith(GUARDIAN_FIELD_PREFIX)]
        if guardian and theirs:
            return theirs[0]
        return own[0] if own else None

    def _contact_fields(self, kind: str) -> list[str]:
        """The profile's contact fields of the address's type (email, mobile), in catalog order."""
        wanted = {"email": "email", "sms": "mobile"}.get(kind)
        record = self._catalog.record_types.get("customer")
        if record is None or wanted is None:
            return []
        return [n for n, f in record.fields.items() if f.category == "contact" and f.type == wanted]

    def guardian_channels(self) -> list[str]:
        """The configured channels that reach a guardian at an address of their own (the catalog
        has a ``guardian_*`` contact field of the channel's kind), best first."""
        record = self._catalog.record_types.get("customer")
        if record is None:
            return []
        kinds = {
            {"email": "email", "mobile": "sms"}.get(f.type)
            for n, f in record.fields.items()
            if n.startswith(GUARDIAN_FIELD_PREFIX) and f.category == "contact"
        }
        return [c for c in ("email", "sms") if c in kinds and c in self.channels]

    def _context(self, message_id: str) -> str:
        return f"outbox:{self._tenant}:{message_id}"

    # ------------------------------------------------------------------ looking (staff)

    def list(
        self,
        ctx: RequestContext,
        *,
        status: str | None = None,
        reference: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Messages, newest first: ids, customer, channel, template, status, attempts, times.

        :raises ValidationError: an unknown status or a limit outside 1-1000.
        """
        if status is not None and status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}", "status")
        if not 1 <= limit <= 1000:
            raise ValidationError("limit must be between 1 and 1000", "limit")

        def handler(call: Call) -> list[dict[str, Any]]:
            t = messages.c
            query = select(
                t.id, t.customer_id, t.channel, t.template, t.locale, t.reference, t.status,
                t.attempts, t.next_attempt, t.created_at, t.sent_at, t.last_error,
            ).where(t.tenant == self._tenant)  # fmt: skip
            if status is not None:
                query = query.where(t.status == status)
            if reference is not None:
                query = query.where(t.reference == reference)
            with self._db.read() as conn:
                rows = conn.execute(query.order_by(t.created_at.desc(), t.id).limit(limit)).mappings().all()
            call.note(count=len(rows))
            return [
                {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()} for row in rows
            ]

        return self.kernel.run(ctx, LIST, handler)
