"""The import routes as a user meets them (issue 11 §15), through the real server: the template,
the dry run, workbooks, and the rejected-rows file that is returned and kept nowhere."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from tests.live import LiveServers

from piguard.api.hardening import Limits
from piguard.client import Client
from piguard.crypto.keyring import generate_master_secret
from piguard.installation import Installation, init_home
from piguard.server import create_server

#: A rejected row's values: they must come back to the caller and be found nowhere at rest.
CANARY_NAME = "魏<无忌"
CANARY_MOBILE = "12099887766"


@pytest.fixture
def served(tmp_path: Path, live_server: LiveServers) -> Iterator[tuple[httpx.Client, Path]]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    token = init_home(tmp_path / "home", environ=env, expected_customers=1000).bootstrap_token
    inst = Installation(tmp_path / "home", environ=env)
    try:
        base = live_server.app(create_server(inst, limits=Limits(rate_per_second=0)), log_level="warning")
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            yield client, tmp_path / "home"
    finally:
        live_server.stop_all()
        inst.close()


def test_import_template_per_record_type_in_zh_and_en(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served
    r = client.get("/v1/import/customer/template", params={"lang": "zh"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.decode("utf-8").startswith("\ufeff姓名,性别,出生日期")
    r = client.get("/v1/import/order/template", params={"lang": "en", "consent": "true"})
    header = r.content.decode("utf-8").removeprefix("\ufeff").strip().split(",")
    assert header[:2] == ["Customer ID", "Order number"] and "Consent channel" in header
    assert client.get("/v1/import/nope/template").status_code == 422
    unknown = client.post("/v1/import/nope", params={"purpose": "service", "format": "csv"}, content=b"x\n")
    assert unknown.status_code == 422 and unknown.json()["field"] == "record_type"
    anonymous = str(client.base_url).rstrip("/") + "/v1/import/customer/template"
    assert httpx.get(anonymous).status_code == 401


def test_dry_run_over_http_reports_and_stores_nothing(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served

    def data_keys() -> int:
        status = client.get("/v1/keys/status")
        assert status.status_code == 200, status.text
        return sum(int(n) for n in status.json()["data_keys_by_kek_version"].values())

    body = "姓名,手机号码\r\n张三,13800138000\r\n李<四,13800138001\r\n".encode("gbk")
    params = {"purpose": "service", "format": "csv"}
    before = data_keys()
    dry = client.post("/v1/import/customer", params={**params, "dry_run": "true"}, content=body).json()
    assert dry["dry_run"] is True and dry["accepted"] == 1 and dry["ids"] == []
    assert [r["row"] for r in dry["rejected"]] == [2]
    assert data_keys() == before  # no customer (each has its own data key) was stored
    # The SDK's dry run is the same call.
    token = client.headers["Authorization"].removeprefix("Bearer ")
    with Client(str(client.base_url).rstrip("/"), token) as sdk:
        checked = sdk.import_rows("customer", body, purpose="service", format="csv", dry_run=True)
    assert checked.accepted == 1 and checked.ids == [] and data_keys() == before
    real = client.post("/v1/import/customer", params=params, content=body).json()
    assert real["dry_run"] is False and real["accepted"] == 1 and len(real["ids"]) == 1
    assert data_keys() == before + 1


def test_xlsx_upload_is_imported(served: tuple[httpx.Client, Path]) -> None:
    client, _ = served
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Mobile number"])
    sheet.append(["张三", 13800138000])
    data = io.BytesIO()
    book.save(data)
    r = client.post(
        "/v1/import/customer", params={"purpose": "service", "format": "xlsx"}, content=data.getvalue()
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    r = client.post("/v1/import/customer", params={"purpose": "service", "format": "xlsx"}, content=b"no")
    assert r.status_code == 422 and r.json()["field"] == "format"


def test_rejected_rows_file_is_returned_and_kept_nowhere(served: tuple[httpx.Client, Path]) -> None:
    client, home = served
    body = f"name,mobile\n张三,13800138000\n{CANARY_NAME},{CANARY_MOBILE}\n".encode()
    r = client.post(
        "/v1/import/customer",
        params={"purpose": "service", "format": "csv", "rejects": "true", "lang": "zh"},
        content=body,
    )
    assert r.status_code == 200, r.text
    report = r.json()
    rows = list(csv.reader(io.StringIO(report["rejected_file"].removeprefix("\ufeff"))))
    assert rows[0] == ["行号", "错误原因", "name", "mobile"]
    assert rows[1] == [
        "2",
        "name: contains '<' at position 2, not allowed in a name",
        CANARY_NAME,
        CANARY_MOBILE,
    ]
    # The report itself names no value; the file is only in the response.
    assert CANARY_MOBILE not in str(report["rejected"])
    client.close()
    leaks = [
        p
        for p in home.rglob("*")
        if p.is_file()
        and (CANARY_MOBILE.encode() in p.read_bytes() or CANARY_NAME.encode() in p.read_bytes())
    ]
    assert leaks == []
