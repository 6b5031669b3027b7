"""A console over a fresh installation with demo staff and two customers, on a FixedClock.

``site`` gives the installation in-process (for TestClient tests); ``served`` also runs it
under uvicorn on a loopback port in a thread (the ``live_server`` fixture), for the browser tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI

from piguard.api.hardening import Limits
from piguard.clock import FixedClock
from piguard.crypto.keyring import generate_master_secret
from piguard.installation import Installation, init_home
from piguard.server import create_server
from piguard.service import RequestContext
from piguard.vault.model import Actor
from tests.access.conftest import ADULT, CHEAP
from tests.live import LiveServers

#: 10:00 in Beijing on a weekday, so no off-hours alert fires by accident.
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
BOOT = Actor("bootstrap", "bootstrap-admin", "staff", name="bootstrap")
XSS = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


@dataclass
class Site:
    inst: Installation
    clock: FixedClock
    app: FastAPI
    staff: dict[str, dict[str, Any]]
    customer_id: str
    account_id: str
    note_id: str
    base_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def totp(self, role: str) -> str:
        return pyotp.TOTP(self.staff[role]["totp_secret"]).at(self.clock.now())

    def creds(self, role: str) -> tuple[str, str, str]:
        person = self.staff[role]
        return person["name"], person["password"], self.totp(role)


def build_site(tmp_path: Path, limits: Limits | None = None) -> Site:
    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    init_home(tmp_path / "home", environ=env, expected_customers=1000)
    clock = FixedClock(START)
    inst = Installation(tmp_path / "home", environ=env, clock=clock)
    inst.access.passwords = CHEAP
    staff = {p["role"]: p for p in inst.access.create_demo_staff()}
    ctx = RequestContext(BOOT, "service", client="test")
    customer = inst.service.create(ctx, "customer", ADULT).customer_id
    account = inst.service.create(
        RequestContext(BOOT, "aml_kyc", client="test"),
        "bank_account",
        {"account_no": "6222020000001111", "balance": "1024.00"},
        customer_id=customer,
    ).record_id
    note = inst.service.create(
        RequestContext(BOOT, "customer_support", client="test"),
        "service_note",
        {"text": XSS},
        customer_id=customer,
    ).record_id
    app = create_server(inst, limits=limits or Limits(rate_per_second=0, burst=1))
    return Site(inst, clock, app, staff, customer, account, note)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    s = build_site(tmp_path)
    try:
        yield s
    finally:
        s.inst.close()


@pytest.fixture
def served(site: Site, live_server: LiveServers) -> Site:
    site.base_url = live_server.app(site.app, log_level="warning")
    return site


def prelogin(html: str) -> str:
    found = re.search(r'name="prelogin" value="([^"]+)"', html)
    assert found, "login form without its CSRF token"
    return found.group(1)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "page without a CSRF token"
    return found.group(1)
