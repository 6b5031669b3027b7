from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.pg import fresh_database

from piguard.access.events import MemoryRecorder
from piguard.gate import RequestContext
from piguard.installation import Installation, init_home
from piguard.vault.model import Actor

ADMIN = Actor("tester", "bootstrap-admin")


def ctx(purpose: str = "service") -> RequestContext:
    return RequestContext(ADMIN, purpose, client="test")


def _hsm_env() -> dict[str, str]:
    names = ("PIGUARD_TEST_PKCS11_LIB", "PIGUARD_TEST_PKCS11_TOKEN", "PIGUARD_TEST_PKCS11_PIN")
    if not all(os.environ.get(n) for n in names):
        if os.environ.get("CI") == "true":
            pytest.fail("SoftHSM2 is not set up under CI: scripts/softhsm-setup did not run")
        pytest.skip('SoftHSM2 not set up (eval "$(scripts/softhsm-setup)")')
    return {"PIGUARD_PKCS11_PIN": os.environ["PIGUARD_TEST_PKCS11_PIN"]}


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("sqlite-hsm", marks=pytest.mark.hsm),
    ]
)
def environ(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    from piguard.crypto.keyring import generate_master_secret

    (tmp_path / "master.key").write_text(generate_master_secret())
    if request.param == "sqlite":
        yield env
    elif request.param == "sqlite-hsm":
        yield {**_hsm_env(), "PIGUARD_TEST_KEYRING": "pkcs11"}
    else:
        with fresh_database() as url:
            env["PIGUARD_DATABASE_URL"] = url
            yield env


@pytest.fixture
def home(tmp_path: Path, environ: dict[str, str]) -> Path:
    h = tmp_path / "home"
    if environ.get("PIGUARD_TEST_KEYRING") == "pkcs11":
        init_home(
            h,
            environ=environ,
            expected_customers=10_000,
            keyring_kind="pkcs11",
            pkcs11_module=os.environ["PIGUARD_TEST_PKCS11_LIB"],
            pkcs11_token=os.environ["PIGUARD_TEST_PKCS11_TOKEN"],
        )
    else:
        init_home(h, environ=environ, expected_customers=10_000)
    return h


@pytest.fixture
def inst(home: Path, environ: dict[str, str]) -> Iterator[Installation]:
    # The production wiring. The bootstrap credential only sets up and writes: the vault tests
    # load data through the gate and check what was stored through the vault itself;
    # reads, roles and masks through the gate are proven in tests/access.
    installation = Installation(home, environ=environ, recorder=MemoryRecorder())
    yield installation
    installation.close()
