"""How a message leaves: SMTP email, an SMS gateway's HTTP webhook, or files (the demo).

A channel sends one rendered message to one address and either returns or raises
:class:`DeliveryError` with a reason code of ours and whether trying again could help. Reason
codes, never a server's reply: an SMTP or gateway error text often quotes the address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from ipaddress import ip_address
from pathlib import Path
from typing import Literal, Protocol

import httpx

from piguard.gate.sdk import SigningKey

__all__ = [
    "Channel",
    "DeliveryError",
    "FileChannel",
    "PartnerWebhookChannel",
    "SmtpChannel",
    "WebhookChannel",
    "endpoint_problem",
]

Kind = Literal["email", "sms", "webhook"]


class DeliveryError(Exception):
    """A message was not delivered.

    :param reason: a code of ours, e.g. ``smtp_unavailable``, ``recipient_refused``.
    :param temporary: whether a later attempt may succeed (the outbox retries with back-off).
    """

    def __init__(self, reason: str, *, temporary: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


class Channel(Protocol):
    #: Which kind of address it needs: an email address or a mobile number.
    kind: Kind

    def send(self, to: str, subject: str, body: str, message_id: str) -> None: ...


class SmtpChannel:
    """Email through an SMTP server (STARTTLS when asked; login when credentials are given)."""

    kind: Kind = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password, self.timeout = starttls, username, password, timeout

    def __repr__(self) -> str:
        return f"SmtpChannel({self.host}:{self.port})"

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, to, subject
        mail["Date"] = formatdate(localtime=False)
        # Our id in the Message-ID makes a retried message recognisable as the same one.
        mail["Message-ID"] = make_msgid(idstring=message_id, domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(body, charset="utf-8")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("recipient_refused", temporary=False) from None
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError("smtp_login_refused", temporary=True) from None
        except smtplib.SMTPResponseException as exc:
            # 4xx: try again later; 5xx: the server will not take it.
            raise DeliveryError("smtp_refused", temporary=400 <= exc.smtp_code < 500) from None
        except (smtplib.SMTPException, OSError):
            raise DeliveryError("smtp_unavailable", temporary=True) from None


class WebhookChannel:
    """SMS through a gateway's HTTP endpoint: a JSON POST ``{"id", "to", "text"}``, signed.

    The signature header ``X-Piguard-Signature: sha256=<hex HMAC of the body>`` lets the gateway
    check the request came from this installation. 2xx is delivered; 429 and 5xx are retried;
    other 4xx are final.
    """

    kind: Kind = "sms"

    def __init__(self, url: str, *, secret: bytes | None = None, timeout: float = 10.0) -> None:
        self.url, self._secret, self.timeout = url, secret, timeout

    def __repr__(self) -> str:
        return f"WebhookChannel({httpx.URL(self.url).host})"

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        payload = json.dumps({"id": message_id, "to": to, "text": body}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message_id}
        if self._secret is not None:
            digest = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
            headers["X-Piguard-Signature"] = f"sha256={digest}"
        try:
            response = httpx.post(self.url, content=payload, headers=headers, timeout=self.timeout)
        except httpx.HTTPError:
            raise DeliveryError("gateway_unavailable", temporary=True) from None
        if response.is_success:
            return
        temporary = response.status_code == 429 or response.status_code >= 500
        raise DeliveryError(f"gateway_http_{response.status_code}", temporary=temporary)


def endpoint_problem(url: str) -> str | None:
    """Why ``url`` cannot be an organisation's endpoint, or None: HTTPS with a host and no
    credentials in it; plain HTTP only to this machine's loopback (a try-out or a local relay),
    because a notice naming a customer's row must not cross a network in clear."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "not a URL"
    if len(url) > 500:
        return "longer than 500 characters"
    if parsed.scheme not in ("https", "http") or not parsed.host:
        return "an https:// URL with a host"
    if parsed.userinfo:
        return "no user name or password in the URL (the request is signed instead)"
    if parsed.scheme == "http" and not _loopback(parsed.host):
        return "https:// (plain http only to localhost)"
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class PartnerWebhookChannel:
    """Messages to an organisation's own endpoint (a partner's deletion-notice API): a JSON POST
    ``{"id", "type", "sent_at", "subject", "text", "data"}`` where ``data`` holds the message's
    parameters (for a deletion notice: the notice reference, the row reference the partner holds,
    the transfers, the cause), so the receiver can act without parsing text.

    Signed with the installation's audit key (Ed25519, the key that signs share manifests and
    audit checkpoints): ``X-Piguard-Signature: ed25519=<hex signature of the body>`` and
    ``X-Piguard-Key-Id`` (the first 16 hex digits of the public key's SHA-256). The partner
    verifies with the public key (``piguard audit public-key``) it already uses for manifests, so
    no shared secret has to be handed over. 2xx is delivered; 408, 429 and 5xx are retried;
    other 4xx are final. Redirects are not followed (the registered endpoint is the one trusted).
    """

    kind: Kind = "webhook"

    def __init__(self, signing_key: SigningKey, *, timeout: float = 10.0) -> None:
        self._key, self.timeout = signing_key, timeout
        self.key_id = hashlib.sha256(signing_key.public_raw).hexdigest()[:16]

    def __repr__(self) -> str:
        return "PartnerWebhookChannel()"

    def send(
        self,
        to: str,
        subject: str,
        body: str,
        message_id: str,
        *,
        template: str = "",
        data: Mapping[str, str] | None = None,
    ) -> None:
        if endpoint_problem(to) is not None:
            raise DeliveryError("endpoint_refused", temporary=False)
        document = {
            "id": message_id,
            "type": template,
            "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "subject": subject,
            "text": body,
            "data": dict(data or {}),
        }
        payload = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message_id,
            "X-Piguard-Signature": "ed25519=" + self._key.sign(payload).hex(),
            "X-Piguard-Key-Id": self.key_id,
        }
        try:
            response = httpx.post(to, content=payload, headers=headers, timeout=self.timeout)
        except httpx.HTTPError:
            raise DeliveryError("endpoint_unavailable", temporary=True) from None
        if response.is_success:
            return
        code = response.status_code
        raise DeliveryError(f"endpoint_http_{code}", temporary=code in (408, 429) or code >= 500)


class FileChannel:
    """Writes each message to a file in ``directory`` (owner-only): for the demo and for
    installations that hand messages to another system by file. The files hold the message,
    address included: the directory is the operator's to protect and to empty."""

    def __init__(self, directory: Path, kind: Kind) -> None:
        self.directory, self.kind = directory, kind

    def __repr__(self) -> str:
        return f"FileChannel({self.directory}, {self.kind})"

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.directory / f"{message_id}.{self.kind}.txt"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(f"To: {to}\nSubject: {subject}\n\n{body}\n")
        except OSError:
            raise DeliveryError("file_unwritable", temporary=True) from None
