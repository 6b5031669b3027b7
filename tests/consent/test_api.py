"""The consent routes over HTTP (the app wires them with include_router)."""

from __future__ import annotations

import warnings
from pathlib import Path

from fastapi import FastAPI, Header

from piguard import errors
from piguard.api import problems
from piguard.api.consent_routes import build_router
from piguard.api.deps import current_actor
from piguard.consent import shipped_notice
from piguard.crypto.keyring import generate_master_secret
from piguard.installation import Installation, init_home
from piguard.vault.model import Actor


def test_api_consent_flow(tmp_path: Path) -> None:
    env = {"PIGUARD_MASTER_KEY": generate_master_secret()}
    init_home(tmp_path / "home", environ=env, expected_customers=100)
    with Installation(tmp_path / "home", environ=env) as inst:
        app = FastAPI()
        app.add_exception_handler(errors.Error, problems.piguard_error)

        def actor(authorization: str | None = Header(default=None)) -> Actor:
            # "t" is a customer-service agent (read/write); "admin" the bootstrap administrator.
            if authorization == "Bearer t":
                return Actor("tester", "customer_service")
            if authorization == "Bearer admin":
                return Actor("setup", "bootstrap-admin")
            raise errors.AuthenticationFailed("missing bearer token")

        # Consent is recorded about existing customers only; the gate checks.
        inst.vault.create("customer", {"name": "张三"}, purpose="service", customer_id="C1")

        app.include_router(build_router(inst))
        app.dependency_overrides[current_actor] = actor
        with warnings.catch_warnings():
            # starlette's TestClient warns about its httpx backend at import; not our concern here.
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient
        client = TestClient(app)
        auth = {"Authorization": "Bearer t"}
        assert client.get("/v1/notices").status_code == 401
        title, zh, en = shipped_notice()
        notice = {"title": title, "text_zh": zh, "text_en": en}
        assert client.post("/v1/notices", json=notice, headers=auth).status_code == 403
        admin = {"Authorization": "Bearer admin"}
        assert client.post("/v1/notices", json=notice, headers=admin).status_code == 201
        assert (
            client.post(
                "/v1/customers/C404/consent", json={"purposes": ["marketing"], "channel": "app"}, headers=auth
            ).status_code
            == 404
        )
        r = client.post(
            "/v1/customers/C1/consent", json={"purposes": ["marketing"], "channel": "app"}, headers=auth
        )
        assert r.status_code == 201 and r.json()["recorded"][0]["operator"] == "tester"
        r = client.put(
            "/v1/customers/C1/marketing", json={"opt_out": True, "personalised": False}, headers=auth
        )
        assert r.json()["opt_out"] is True
        r = client.post("/v1/customers/C1/consent/withdraw", json={"channel": "app"}, headers=auth)
        assert r.json()["stopped"] == ["marketing"]
        shown = client.get("/v1/customers/C1/consent", headers=auth).json()
        assert [h["action"] for h in shown["history"]] == ["grant", "withdraw"]
        r = client.post(
            "/v1/customers/C1/consent", json={"purposes": ["nope"], "channel": "app"}, headers=auth
        )
        assert r.status_code == 422 and r.json()["field"] == "purpose"
