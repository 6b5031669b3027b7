"""The privacy centre over the console's test site (a fresh installation, demo staff, one customer)."""

from __future__ import annotations

import json

from sqlalchemy import select

from piguard.outbox import Outbox
from piguard.outbox.tables import messages
from tests.web.conftest import Site, served, site

__all__ = ["last_code", "served", "site"]


def last_code(site: Site) -> str:
    """The newest one-time code the outbox holds (read as its sender would, from the sealed row)."""
    box = site.inst.capability(Outbox)
    with site.inst.db.read() as conn:
        rows = conn.execute(
            select(messages.c.id, messages.c.params).where(messages.c.template == "verification_code")
        ).all()
    mid, params = rows[-1]
    return str(json.loads(box._box.open(params, box._context(mid)))["code"])
