"""Property-based API tests from the served OpenAPI document (schemathesis), bounded for CI.

Every operation gets a few generated requests, authenticated as the bootstrap administrator
(the most privileged caller reaches the most code): no 5xx, every status documented, and
every response — problems included — must match the schema.
``PIGUARD_SCHEMATHESIS_EXAMPLES`` raises the budget.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.core.result import Ok

from piguard.api.app import create_app
from piguard.api.hardening import Limits
from piguard.crypto.keyring import generate_master_secret
from piguard.installation import Installation, init_home

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("PIGUARD_SCHEMATHESIS_EXAMPLES", "10"))
TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    (tmp / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp / "master.key")}
    TOKEN["bootstrap"] = init_home(tmp / "home", environ=env, expected_customers=1000).bootstrap_token
    inst = Installation(tmp / "home", environ=env)
    # Rate limiting off (per principal and, for its unauthenticated probes, per address): the
    # generator sends bursts, and 429s would hide the code under test.
    app = create_app(inst, limits=Limits(rate_per_second=0, unauthenticated_per_minute=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    inst.close()


def _labels() -> list[str]:
    # Collected from the committed document (the app needs a home to exist); the test below
    # fails anyway if that document and the app disagree (tests/api/test_openapi.py).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = schemathesis.openapi.from_path(str(ROOT / "openapi.json"))
        labels = []
        for result in loaded.get_all_operations():
            assert isinstance(result, Ok), result.err()
            labels.append(result.ok().label)
        return labels


@pytest.mark.parametrize("label", _labels())
def test_api_conforms(api_schema: Any, label: str) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is in openapi.json but not in the app"

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {TOKEN['bootstrap']}"},
            # The schema cannot say which roles, purposes or grant ids exist, so a schema-valid
            # request may rightly be refused (422/404/409); every other check stays on.
            excluded_checks=[checks.positive_data_acceptance],
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run()
