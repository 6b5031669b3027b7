"""Every error is a problem document, whatever the input (issue 11 §11), through the real server.

Each case here was a plain-text 500 (or a report echoing a value) when sent from outside: a GBK
CSV with Chinese headers, a JSON Lines line nested 500,000 deep, a lone surrogate as a key, and
a headerless CSV whose first resident ID was reported as a field name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.live import LiveServers

from piguard.api import problems
from piguard.api.hardening import Limits
from piguard.crypto.keyring import generate_master_secret
from piguard.installation import Installation, init_home
from piguard.server import create_server

RESIDENT_ID = "110105199003070180"
MOBILE = "13800138000"


@pytest.fixture
def served(tmp_path: Path, live_server: LiveServers) -> Iterator[tuple[httpx.Client, Installation]]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    token = init_home(tmp_path / "home", environ=env, expected_customers=1000).bootstrap_token
    inst = Installation(tmp_path / "home", environ=env)
    try:
        base = live_server.app(create_server(inst, limits=Limits(rate_per_second=0)), log_level="warning")
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            yield client, inst
    finally:
        live_server.stop_all()
        inst.close()


def _import(client: httpx.Client, body: bytes, fmt: str, **params: Any) -> httpx.Response:
    return client.post(
        "/v1/import/customer", params={"purpose": "service", "format": fmt, **params}, content=body
    )


def _is_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(problems.MEDIA_TYPE), r.headers["content-type"]
    doc = r.json()
    assert doc["status"] == status and doc["type"].startswith("https://") and doc["title"]
    return dict(doc)


def test_gbk_csv_with_chinese_headers_is_imported_not_a_500(
    served: tuple[httpx.Client, Installation],
) -> None:
    """What Excel on Chinese Windows writes: GBK, Chinese labels as headers, CRLF."""
    client, _ = served
    body = f"姓名,手机号码,居民身份证号码\r\n张三,{MOBILE},{RESIDENT_ID}\r\n".encode("gbk")
    r = _import(client, body, "csv")
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1 and r.json()["rejected"] == []


def test_gbk_csv_with_an_unknown_chinese_header_is_a_problem_naming_its_position(
    served: tuple[httpx.Client, Installation],
) -> None:
    client, _ = served
    body = "姓名,备注信息\r\n张三,老客户\r\n".encode("gbk")
    doc = _is_problem(_import(client, body, "csv"), 422)
    assert "column 2: unknown header" in doc["detail"]
    assert "备注" not in json.dumps(doc, ensure_ascii=False)


def test_undecodable_header_bytes_are_a_problem_not_a_500(
    served: tuple[httpx.Client, Installation],
) -> None:
    """A header that decodes to nothing sensible (GBK read as something else, random bytes)."""
    client, _ = served
    body = b"\xff\xfe\x00name\r\n" + b"\x81\x30\xd2\xff,x\r\n"
    r = _import(client, body, "csv", encoding="utf-8")
    doc = _is_problem(r, 422)
    assert doc["code"] == "validation"


def test_json_line_nested_500000_deep_is_a_rejected_row_not_a_500(
    served: tuple[httpx.Client, Installation],
) -> None:
    client, _ = served
    deep = b"[" * 500_000 + b"]" * 500_000 + b"\n"
    good = json.dumps({"name": "张三", "mobile": MOBILE}, ensure_ascii=False).encode() + b"\n"
    r = _import(client, deep + good, "jsonl")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["accepted"] == 1
    assert report["rejected"] == [{"row": 1, "field": None, "reason": "row is nested too deeply"}]


def test_lone_surrogate_key_is_a_rejected_row_not_a_500(served: tuple[httpx.Client, Installation]) -> None:
    client, _ = served
    r = _import(client, b'{"\\ud800": "x", "name": "\\udc00"}\n', "jsonl")
    assert r.status_code == 200, r.text
    assert r.json()["rejected"] == [{"row": 1, "field": None, "reason": "key 1: unknown field"}]
    # A lone surrogate in a value is refused by the validators, naming the field only.
    r = _import(client, b'{"name": "\\udc00\\u5f20"}\n', "jsonl")
    assert r.status_code == 200, r.text
    (only,) = r.json()["rejected"]
    assert only["field"] == "name" and "lone surrogate" in only["reason"]


@pytest.mark.req("R-USE-4")
def test_headerless_csv_reports_columns_by_position_never_the_resident_id_r_use_4(
    served: tuple[httpx.Client, Installation],
) -> None:
    client, _ = served
    body = f"{RESIDENT_ID},{MOBILE}\n110101199003074514,13912345678\n".encode()
    r = _import(client, body, "csv")
    doc = _is_problem(r, 422)
    assert "column 1: unknown header; column 2: unknown header" in doc["detail"]
    for value in (RESIDENT_ID, MOBILE, RESIDENT_ID[:6], MOBILE[-4:]):
        assert value not in r.text


@pytest.mark.req("R-USE-4")
def test_unknown_json_key_is_reported_by_position_never_echoed_r_use_4(
    served: tuple[httpx.Client, Installation],
) -> None:
    """A value typed where a key belongs (a resident ID as a key) is not echoed back."""
    client, _ = served
    r = _import(client, json.dumps({RESIDENT_ID: "x", "name": "张三"}).encode() + b"\n", "jsonl")
    assert r.status_code == 200 and RESIDENT_ID not in r.text, r.text
    assert r.json()["rejected"][0]["reason"] == "key 1: unknown field"
    # The same through the record API: the unknown name is not echoed as the problem's field.
    r = client.post("/v1/records/customer", json={"purpose": "service", "values": {RESIDENT_ID: "x"}})
    _is_problem(r, 422)
    assert RESIDENT_ID not in r.text


def test_unexpected_failure_is_a_problem_naming_nothing(tmp_path: Path, live_server: LiveServers) -> None:
    """The last resort: an exception no handler maps, with odd text in it, is a 500 problem that
    names nothing of the input (no plain-text 500, no exception text)."""
    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    init_home(tmp_path / "home", environ=env, expected_customers=1000)
    inst = Installation(tmp_path / "home", environ=env)
    app: FastAPI = create_server(inst, limits=Limits(rate_per_second=0))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(f"\ud800 {RESIDENT_ID}")

    try:
        base = live_server.app(app, log_level="critical")
        r = httpx.get(f"{base}/boom", timeout=30)
        doc = _is_problem(r, 500)
        assert doc["code"] == "internal" and RESIDENT_ID not in r.text
    finally:
        live_server.stop_all()
        inst.close()


def test_problem_writer_never_fails_on_lone_surrogates() -> None:
    body = problems.problem_bytes(422, "Invalid input", "x\udcff: bad", "validation", field="\ud800")
    doc = json.loads(body)
    assert doc["detail"] == "x\ufffd: bad" and doc["field"] == "\ufffd"
