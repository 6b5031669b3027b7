"""The registry of live checks, one module per area."""

from __future__ import annotations

from piguard.compliance.checks import (
    access,
    audit,
    catalog,
    governance,
    incidents,
    minors,
    rights,
    sharing,
    storage,
)
from piguard.compliance.checks.base import Check, Env, Registry, run_checks


def default_registry() -> Registry:
    """Every built-in check."""
    return Registry(
        (
            *audit.CHECKS,
            *storage.CHECKS,
            *access.CHECKS,
            *rights.CHECKS,
            *sharing.CHECKS,
            *incidents.CHECKS,
            *minors.CHECKS,
            *governance.CHECKS,
            *catalog.CHECKS,
        )
    )


__all__ = ["Check", "Env", "Registry", "default_registry", "run_checks"]
