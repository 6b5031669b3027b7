"""The one place that mounts the API's routers: one module per capability.

Each capability ships its own router module (``records_routes``, ``access_routes``,
``consent_routes``, ``audit_routes``, ``detect_routes``, ``outbox_routes``, ``rights_routes``,
``lifecycle_routes``, ``backup_routes``, ``stays_routes``, ``compliance_routes``, ``incidents_routes``,
``sharing_routes``); every route of every router takes its caller from the one
:func:`piguard.api.deps.current_actor`. Adding a capability adds a
line here and does not touch ``app.py``.
"""

from __future__ import annotations

from fastapi import APIRouter

from piguard.api import (
    access_routes,
    audit_routes,
    backup_routes,
    compliance_routes,
    consent_routes,
    detect_routes,
    incidents_routes,
    lifecycle_routes,
    outbox_routes,
    records_routes,
    rights_routes,
    sharing_routes,
    stays_routes,
)
from piguard.installation import Installation


def capability_routers(inst: Installation) -> list[APIRouter]:
    """The routers of every capability over ``inst``."""
    return [
        records_routes.build_router(inst),
        access_routes.build_router(inst),
        consent_routes.build_router(inst),
        audit_routes.build_router(inst),
        detect_routes.build_router(inst),
        outbox_routes.build_router(inst),
        rights_routes.build_router(inst),
        lifecycle_routes.build_router(inst),
        backup_routes.build_router(inst),
        stays_routes.build_router(inst),
        compliance_routes.build_router(inst),
        incidents_routes.build_router(inst),
        sharing_routes.build_router(inst),
    ]
