"""Fixtures for the crypto tests, including the SoftHSM2 token for ``@pytest.mark.hsm`` tests.

Set up the token with ``eval "$(scripts/softhsm-setup)"``. Without those variables the
HSM tests are skipped, except under CI (``CI=true``), where they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from piguard.clock import FixedClock
from piguard.crypto.pkcs11_kek import Pkcs11Config

HSM_VARS = ("PIGUARD_TEST_PKCS11_LIB", "PIGUARD_TEST_PKCS11_TOKEN", "PIGUARD_TEST_PKCS11_PIN")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 1, tzinfo=UTC))


@pytest.fixture
def hsm() -> Pkcs11Config:
    """The SoftHSM2 test token, with its PIN."""
    missing = [v for v in HSM_VARS if not os.environ.get(v)]
    if missing:
        message = (
            f'SoftHSM2 not configured ({", ".join(missing)} unset); run: eval "$(scripts/softhsm-setup)"'
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return Pkcs11Config(
        module=os.environ["PIGUARD_TEST_PKCS11_LIB"],
        token_label=os.environ["PIGUARD_TEST_PKCS11_TOKEN"],
        pin=os.environ["PIGUARD_TEST_PKCS11_PIN"],
    )


@pytest.fixture
def keyring_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "piguard.keyring"
