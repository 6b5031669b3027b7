"""Property-based API tests from the served OpenAPI document (schemathesis), bounded for CI.

Every operation gets a few generated requests, authenticated as the bootstrap administrator
(the most privileged caller reaches the most code): no 5xx, and every response — problems
included — must match the schema. ``PIGUARD_SCHEMATHESIS_EXAMPLES`` raises the budget.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from piguard.api.app import create_app
from piguard.api.hardening import Limits
from piguard.crypto.keyring import generate_master_secret
from piguard.installation import Installation, init_home

EXAMPLES = int(os.environ.get("PIGUARD_SCHEMATHESIS_EXAMPLES", "6"))
TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    (tmp / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp / "master.key")}
    TOKEN["bootstrap"] = init_home(tmp / "home", environ=env, expected_customers=1000).bootstrap_token
    inst = Installation(tmp / "home", environ=env)
    # Rate limiting off: the generator sends bursts, and 429s would hide the code under test.
    app = create_app(inst, limits=Limits(rate_per_second=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    inst.close()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms(case: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN['bootstrap']}"})
