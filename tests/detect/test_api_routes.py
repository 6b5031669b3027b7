"""POST /v1/detect and /v1/mask on a tiny app with a stub authentication dependency."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI, Header, HTTPException

from piguard.api.deps import current_actor
from piguard.api.detect_routes import MAX_BODY_BYTES, build_router
from piguard.config import Settings
from piguard.errors import ConfigError

with warnings.catch_warnings():
    # starlette's TestClient warns about its httpx backend at import; not our concern here.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOTE = "客户张伟来电，手机13812345678，身份证11010519491231002X"


def _stub_auth(authorization: str | None = Header(default=None)) -> Any:
    if authorization != "Bearer good":
        raise HTTPException(status_code=401, detail="not authenticated")
    return {"id": "tester"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(build_router(None))
    app.dependency_overrides[current_actor] = _stub_auth
    return TestClient(app, headers={"Authorization": "Bearer good"})


def test_detect_returns_offsets_types_scores_and_no_values(client: TestClient) -> None:
    response = client.post("/v1/detect", json={"text": NOTE})
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert [(f["type"], NOTE[f["start"] : f["end"]]) for f in findings] == [
        ("person", "张伟"),
        ("mobile", "13812345678"),
        ("resident_id", "11010519491231002X"),
    ]
    assert all(set(f) == {"type", "start", "end", "score", "reason"} for f in findings)
    assert findings[2]["reason"].startswith("resident_id: pattern=digits 18; checksum=gb11643")
    assert "13812345678" not in response.text and "张伟" not in response.text


def test_detect_types_and_mode(client: TestClient) -> None:
    response = client.post("/v1/detect", json={"text": NOTE, "types": ["mobile"], "mode": "bulk"})
    assert [f["type"] for f in response.json()["findings"]] == ["mobile"]


def test_mask_returns_masked_text_and_replacements(client: TestClient) -> None:
    response = client.post("/v1/mask", json={"text": NOTE, "audience": "customer"})
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "客户张*来电，手机138****5678，身份证110***********002X"
    assert body["replacements"][1] == {"type": "mobile", "start": 9, "end": 20, "replacement": "138****5678"}
    assert "13812345678" not in response.text


def test_authentication_is_required() -> None:
    app = FastAPI()
    app.include_router(build_router(None))
    app.dependency_overrides[current_actor] = _stub_auth
    bare = TestClient(app)
    assert bare.post("/v1/detect", json={"text": NOTE}).status_code == 401
    assert bare.post("/v1/mask", json={"text": NOTE}).status_code == 401


def test_body_size_is_bounded(client: TestClient) -> None:
    big = {"text": "无" * (MAX_BODY_BYTES // 3 + 10)}
    assert client.post("/v1/detect", json=big).status_code == 413
    assert client.post("/v1/mask", json=big).status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        {"text": NOTE, "types": ["shoe_size"]},
        {"text": NOTE, "extra": 1},
        {"text": NOTE, "mode": "fast"},
        {"texts": NOTE},
    ],
)
def test_bad_bodies_are_422_without_echo(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/v1/detect", json=body)
    assert response.status_code == 422
    assert "13812345678" not in response.text


def test_invalid_json_and_audience(client: TestClient) -> None:
    bad = client.post("/v1/detect", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 422
    assert client.post("/v1/mask", json={"text": NOTE, "audience": "everyone"}).status_code == 422


def _client_for(detection: dict[str, Any] | None) -> TestClient:
    inst = SimpleNamespace(settings=Settings(home=Path("unused"), detection=detection))
    app = FastAPI()
    app.include_router(build_router(inst))
    app.dependency_overrides[current_actor] = _stub_auth
    return TestClient(app, headers={"Authorization": "Bearer good"})


@pytest.mark.req("R-USE-4")
def test_installation_detection_settings_change_the_answer() -> None:
    """R-USE-4: the installation's ``detection`` settings (piguard.json) tune the API's detector.

    A per-type threshold above every name's score drops the names, a removed cue word
    and a new negative cue change what is masked; without settings the shipped ones apply.
    """
    shipped = _client_for(None).post("/v1/detect", json={"text": NOTE}).json()["findings"]
    assert [f["type"] for f in shipped] == ["person", "mobile", "resident_id"]
    tuned = _client_for({"thresholds": {"person": 1.0}})
    found = tuned.post("/v1/detect", json={"text": NOTE}).json()["findings"]
    assert [f["type"] for f in found] == ["mobile", "resident_id"]
    masked = tuned.post("/v1/mask", json={"text": NOTE}).json()
    assert masked["text"].startswith("客户张伟来电") and "13812345678" not in masked["text"]


@pytest.mark.req("R-USE-4")
def test_invalid_installation_detection_settings_are_refused() -> None:
    """R-USE-4: a misspelt setting stops the router from being built instead of being ignored."""
    with pytest.raises(ConfigError):
        build_router(SimpleNamespace(settings=Settings(home=Path("unused"), detection={"treshold": 1})))
