"""Night-time sign-ins in the privacy centre raise no staff off-hours alert (R-AUD-1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from piguard.errors import AccessDenied
from piguard.gate import RequestContext
from tests.privacy.test_pages import sign_in
from tests.web.conftest import BOOT, Site


@pytest.mark.req("R-AUD-1")
def test_a_customer_signing_in_at_night_raises_no_off_hours_alert(site: Site) -> None:
    """R-AUD-1: the off-hours rule watches staff; a customer reading their own data at 23:00
    Beijing time (and the sign-in principal looking them up) raises no alert, while a staff read
    at the same hour still does."""
    site.clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # Monday 23:00 Beijing
    c = sign_in(site)
    assert c.get("/privacy/data").status_code == 200
    actors = {e.actor_id for e in site.inst.audit.query(limit=200) if e.time >= "2026-03-02T15"}
    assert f"customer:{site.customer_id}" in actors and "system:privacy" in actors
    assert [a.rule for a in site.inst.audit.alerts() if a.rule == "off_hours"] == []
    # The rule still watches staff at that hour (even a refused read).
    with pytest.raises(AccessDenied):
        site.inst.service.read(RequestContext(BOOT, "service", client="test"), "customer", site.customer_id)
    assert [a.principal_id for a in site.inst.audit.alerts() if a.rule == "off_hours"] == [BOOT.id]
