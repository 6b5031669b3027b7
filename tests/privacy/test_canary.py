"""Canary: the privacy centre leaves no one-time code and no PI in plaintext in the database
files, the logs, the audit trail or any URL (R-STO-1, R-AUD-1)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.access.conftest import ADULT
from tests.privacy.conftest import last_code
from tests.privacy.test_pages import _csrf, sign_in
from tests.web.conftest import Site


def _database_bytes(home: Path) -> bytes:
    """Every file of the home but the outbox's file channel (which is the message, by design)."""
    out = b""
    for path in sorted(home.rglob("*")):
        if path.is_file() and "outbox" not in path.parts:
            out += path.read_bytes()
    return out


@pytest.mark.req("R-STO-1", "R-AUD-1")
def test_no_code_or_pi_in_the_database_logs_trail_or_urls(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """R-STO-1, R-AUD-1: codes are kept as keyed digests, identifiers as keyed digests, values sealed."""
    caplog.set_level(logging.DEBUG)
    urls: list[str] = []
    c = sign_in(site, ADULT["email"])
    codes = [last_code(site)]
    page = c.get("/privacy/data")
    token = _csrf(page.text)
    c.post(
        "/privacy/data/show",
        data={"csrf": token, "record_type": "customer", "record_id": site.customer_id, "field": "mobile"},
    )
    codes.append(last_code(site))
    shown = c.post("/privacy/data/verify", data={"csrf": token, "code": codes[-1]})
    assert ADULT["mobile"] in shown.text  # the canary was really handled
    urls.append(str(shown.url))
    site.inst.close()  # checkpoint the WAL into the file
    raw = _database_bytes(site.inst.settings.home)
    trail = "\n".join(str(e.as_dict()) for e in site.inst.audit.query(limit=100_000))
    for canary in (ADULT["mobile"], ADULT["email"], ADULT["name"], *codes):
        assert canary.encode() not in raw, canary
        assert canary not in caplog.text, canary
        assert canary not in trail, canary
        assert all(canary not in u for u in urls), canary
