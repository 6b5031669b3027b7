"""Which routers the API serves besides the records routes in ``app.py``.

Each capability ships its own router module (``access_routes``, ``consent_routes``, …);
this is the one place that mounts them, so adding a capability does not touch ``app.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from piguard.api import access_routes, audit_routes, consent_routes, detect_routes
from piguard.installation import Installation


def capability_routers(inst: Installation, auth_dependency: Callable[..., Any]) -> list[APIRouter]:
    """The routers of every capability, authenticated by ``auth_dependency``."""
    return [
        access_routes.build_router(inst),
        consent_routes.build_router(inst, auth_dependency),
        audit_routes.build_router(inst, auth_dependency),
        detect_routes.build_router(inst, auth_dependency),
    ]
