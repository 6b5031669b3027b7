"""Fixtures of the incident tests: an audited world (SQLite and PostgreSQL), an officer, an insider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from piguard.gate import RequestContext
from piguard.incidents import Incidents
from tests.access.conftest import ADULT, World, environ, make_world

__all__ = ["environ"]

#: Under 14 on the world's day (2026-03-02).
MINOR = {
    **ADULT,
    "name": "王小明",
    "birth_date": "2016-05-01",
    "resident_id": "310104201605011373",
    "mobile": "13900139000",
    "guardian_name": "王大明",
    "guardian_relation": "father",
    "guardian_mobile": "13700137000",
}


@pytest.fixture
def world(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    w = make_world(tmp_path, environ, audited=True)
    yield w
    w.inst.close()


def incidents(world: World) -> Incidents:
    return world.inst.capability(Incidents)


def officer(world: World) -> RequestContext:
    return RequestContext(world.step_up(world.staff_of("officer")), "", client="test")
