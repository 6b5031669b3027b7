"""Consent fixtures: a migrated data database (SQLite and PostgreSQL), a ledger on a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from piguard.catalog import Catalog, default_catalog_path, load_catalog_text
from piguard.clock import FixedClock
from piguard.consent import ConsentLedger, shipped_notice
from piguard.store import Database

START = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
KEY = b"k" * 32


def catalog_dict() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(default_catalog_path().read_text(encoding="utf-8"))
    return data


def test_catalog() -> Catalog:
    """The default catalog plus a consent-based purpose that covers sensitive fields
    (separate consent declared) and one that provides data to a partner."""
    data = catalog_dict()
    data["purposes"]["loyalty"] = {
        "legal_basis": "consent",
        "separate_consent_for": ["sensitive"],
        "description": {"zh": "会员积分计划", "en": "Loyalty programme"},
        "fields": [
            "customer.name",
            "customer.mobile",
            "customer.birth_date",
            "customer.resident_id",
            "customer.guardian_name",
            "customer.guardian_relation",
        ],
    }
    data["purposes"]["partner_offers"] = {
        "legal_basis": "consent",
        "separate_consent_for": ["provision"],
        "description": {"zh": "合作伙伴优惠", "en": "Partner offers"},
        "fields": ["customer.mobile"],
    }
    return load_catalog_text(yaml.safe_dump(data, allow_unicode=True), "test.yaml")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def catalog() -> Catalog:
    return test_catalog()


def publish_shipped(ledger: ConsentLedger) -> None:
    for kind in ("privacy", "children"):
        title, zh, en = shipped_notice(kind)
        ledger.publish_notice(zh, en, title=title, operator="dpo", kind=kind)


@pytest.fixture
def ledger(db: Database, catalog: Catalog, clock: FixedClock) -> Iterator[ConsentLedger]:
    led = ConsentLedger(db, catalog, clock=clock, identity_key=KEY)
    publish_shipped(led)
    yield led
    led.close()
