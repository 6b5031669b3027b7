"""Transport hardening: body limits, rate limits, security headers, probes and metrics (issue 6 §1)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.access.conftest import ADULT

from piguard.api.hardening import Limits, RateLimited, RateLimiter
from piguard.crypto.keyring import generate_master_secret
from piguard.installation import Installation, init_home
from piguard.nodestate.limits import Charge, TokenBuckets
from piguard.server import create_server


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[Installation, str]]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    token = init_home(tmp_path / "home", environ=env, expected_customers=1000).bootstrap_token
    inst = Installation(tmp_path / "home", environ=env)
    try:
        yield inst, token
    finally:
        inst.close()


@pytest.mark.req("R-USE-1")
def test_token_bucket_refills_and_says_when(home: tuple[Installation, str]) -> None:
    """R-USE-1: the buckets are rows of the installation's database (issue 12), refilled by time."""
    inst, _ = home
    now = [1_000.0]
    limiter = RateLimiter(inst.node_state.token_buckets(2.0, 3, clock=lambda: now[0]))
    for _ in range(3):
        limiter.charge("k")
    with pytest.raises(RateLimited) as caught:
        limiter.charge("k")
    assert caught.value.retry_after == pytest.approx(0.5)
    limiter.charge("other")  # buckets are per key
    now[0] += 0.5
    limiter.charge("k")
    now[0] -= 10  # a clock running backwards refills nothing
    with pytest.raises(RateLimited):
        limiter.charge("k")
    assert not RateLimiter(None).enabled


def test_security_headers_and_no_store(home: tuple[Installation, str]) -> None:
    inst, token = home
    plain = TestClient(create_server(inst, limits=Limits(rate_per_second=0)))
    r = plain.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in r.headers
    tls = TestClient(create_server(inst, limits=Limits(rate_per_second=0)), base_url="https://testserver")
    assert tls.get("/healthz").headers["strict-transport-security"].startswith("max-age=")
    assert plain.get("/console/static/console.css").headers["cache-control"].startswith("private")


def test_body_limits(home: tuple[Installation, str]) -> None:
    inst, token = home
    client = TestClient(
        create_server(inst, limits=Limits(max_body_bytes=1000, max_import_bytes=5000, rate_per_second=0))
    )
    auth = {"Authorization": f"Bearer {token}"}
    big = {"purpose": "service", "values": {"name": "张" * 2000}}
    r = client.post("/v1/records/customer", json=big, headers=auth)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b'{"name": "x"}\n' * 50

    # A streamed (chunked) body with no length is cut off once it passes the limit.
    r = client.post("/v1/import/customer?purpose=service", content=chunks(), headers=auth)
    assert r.status_code == 413, r.text


def test_rate_limit_per_principal_with_retry_after(home: tuple[Installation, str]) -> None:
    inst, token = home
    client = TestClient(create_server(inst, limits=Limits(rate_per_second=0.01, burst=3)))
    auth = {"Authorization": f"Bearer {token}"}
    codes = [client.get("/v1/whoami", headers=auth).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    r = client.get("/v1/whoami", headers=auth)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["code"] == "rate_limited"
    # Probes are never limited.
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


@pytest.mark.req("R-USE-1")
def test_a_token_and_its_principal_are_charged_in_one_transaction_and_every_request_counts(
    home: tuple[Installation, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12 item 5: the credential's bucket and the principal's are charged together once the
    token is authenticated (one write transaction, not two); a request no route authenticated is
    still charged to its credential after the answer, so N requests always cost N tokens."""
    inst, token = home
    calls: list[list[str]] = []
    original = TokenBuckets.charge_many

    def spy(self: TokenBuckets, keys: Sequence[str], cost: float = 1.0) -> list[Charge]:
        calls.append(list(keys))
        return original(self, keys, cost)

    monkeypatch.setattr(TokenBuckets, "charge_many", spy)
    client = TestClient(create_server(inst, limits=Limits(rate_per_second=0.01, burst=3)))
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/whoami", headers=auth).status_code == 200
    [keys] = calls
    assert len(keys) == 2 and keys[0].startswith("c:") and keys[1].startswith("p:")
    # Two more requests the app answers without authenticating: each still takes the token's.
    for _ in range(2):
        assert client.get("/openapi.json", headers=auth).status_code == 200
    assert [len(k) for k in calls[1:]] == [1, 1] and calls[1] == [keys[0]]
    refused = client.get("/v1/whoami", headers=auth)  # the credential's bucket is empty (3 of 3)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_api_key_header_and_bearer_both_authenticate(home: tuple[Installation, str]) -> None:
    inst, token = home
    client = TestClient(create_server(inst, limits=Limits(rate_per_second=0)))
    admin = client.post(
        "/v1/clients", json={"name": "crm", "role": "auditor"}, headers={"Authorization": f"Bearer {token}"}
    )
    key = admin.json()["api_key"]
    assert (
        client.get("/v1/keys/status", headers={"X-API-Key": key}).status_code == 403
    )  # authenticated, not allowed
    assert client.get("/v1/keys/status", headers={"X-API-Key": "nope"}).status_code == 401
    assert client.get("/v1/keys/status").status_code == 401


def test_readyz_and_metrics_without_pi(home: tuple[Installation, str]) -> None:
    inst, token = home
    client = TestClient(create_server(inst, limits=Limits(rate_per_second=0)))
    auth = {"Authorization": f"Bearer {token}"}
    cid = client.post(
        "/v1/records/customer", json={"purpose": "service", "values": ADULT}, headers=auth
    ).json()["id"]
    client.get(f"/v1/records/customer/{cid}?purpose=service&fields=name,mobile", headers=auth)
    client.post(
        "/v1/search", json={"field": "mobile", "value": ADULT["mobile"], "purpose": "service"}, headers=auth
    )
    client.get("/nowhere/13800138000")
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    text = client.get("/metrics").text
    assert 'route="/v1/records/{record_type}/{record_id}"' in text
    assert 'route="<unmatched>"' in text
    for leak in (cid, ADULT["mobile"], "purpose=", "fields="):
        assert leak not in text
