"""The one outbox for messages to customers (codes, receipts, notices, outcomes) and, rarely, to
an organisation's address (a partner's deletion notice).

Capabilities queue a message inside their own operation's transaction (``Outbox.enqueue``),
so a receipt exists exactly when the request it acknowledges does. The outbox's job
(``outbox``, run by :mod:`piguard.jobs`) addresses each message from the vault through the gate
at the moment it is sent (the outbox keeps no address), renders it from a zh/en template,
sends it through a channel (SMTP email, an SMS gateway's webhook, a partner's own endpoint as
signed JSON, or files for the demo),
retries with back-off and records every attempt in the audit trail without its contents.
"""

from piguard.outbox.capability import DELIVER, DELIVER_TO, LIST, Outbox
from piguard.outbox.channels import (
    Channel,
    DeliveryError,
    FileChannel,
    PartnerWebhookChannel,
    SmtpChannel,
    WebhookChannel,
)
from piguard.outbox.templates import TEMPLATES, render

__all__ = [
    "DELIVER",
    "DELIVER_TO",
    "LIST",
    "TEMPLATES",
    "Channel",
    "DeliveryError",
    "FileChannel",
    "Outbox",
    "PartnerWebhookChannel",
    "SmtpChannel",
    "WebhookChannel",
    "render",
]
