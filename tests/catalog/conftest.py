"""Fixtures of the catalog tests: a minimal catalog that loads and lints clean."""

from __future__ import annotations

import copy
from typing import Any

import pytest

MINIMAL: dict[str, Any] = {
    "version": 1,
    "name": "minimal",
    "retention_rules": {"keep_3y": {"duration_years": 3, "anchor": "relationship_end"}},
    "purposes": {
        "service": {"legal_basis": "contract", "description": "service", "fields": ["customer.*"]},
    },
    "record_types": {
        "customer": {
            "retention": "keep_3y",
            "fields": {
                "name": {
                    "label": "Name",
                    "category": "identity",
                    "class": "C2",
                    "type": "name",
                    "mask": "name",
                },
                "mobile": {
                    "label": "Mobile",
                    "category": "contact",
                    "class": "C2",
                    "type": "mobile",
                    "mask": "mobile",
                },
            },
        },
    },
    "roles": {
        "agent": {
            "actions": ["read"],
            "purposes": ["service"],
            "access": [{"selector": "category:contact", "level": "masked"}],
        },
    },
}


@pytest.fixture
def minimal() -> dict[str, Any]:
    """A fresh copy of :data:`MINIMAL` to break in one place."""
    return copy.deepcopy(MINIMAL)
