from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from piguard.installation import Installation, init_home
from piguard.service import MemoryRecorder, RequestContext
from piguard.vault.model import Actor
from tests.pg import fresh_database

ADMIN = Actor("tester", "bootstrap-admin")


def ctx(purpose: str = "service") -> RequestContext:
    return RequestContext(ADMIN, purpose, client="test")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def environ(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    from piguard.crypto.keyring import generate_master_secret

    (tmp_path / "master.key").write_text(generate_master_secret())
    if request.param == "sqlite":
        yield env
    else:
        with fresh_database() as url:
            env["PIGUARD_DATABASE_URL"] = url
            yield env


@pytest.fixture
def home(tmp_path: Path, environ: dict[str, str]) -> Path:
    h = tmp_path / "home"
    init_home(h, environ=environ, expected_customers=10_000)
    return h


@pytest.fixture
def inst(home: Path, environ: dict[str, str]) -> Iterator[Installation]:
    installation = Installation(home, environ=environ, recorder=MemoryRecorder())
    yield installation
    installation.close()
