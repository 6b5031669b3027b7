"""Who acts: :class:`Actor`, plain data shared by the accounts, the gate and the edges.

A leaf module (it imports nothing of piguard), so that the account service and the audit
trail can name principals without importing the vault or the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a staff user, an application client, the system itself or a customer.

    ``role`` names a role of the catalog (or ``bootstrap-admin`` before accounts exist).
    ``kind`` is ``staff``, ``client`` (an application's API key), ``system`` or ``customer``.
    ``session`` is the id (never the secret) of the token that authenticated the actor;
    ``step_up_at`` is when the actor last proved a fresh TOTP code; ``name`` is the login name.
    """

    id: str
    role: str
    kind: str = "staff"
    session: str | None = None
    step_up_at: datetime | None = None
    name: str | None = None
