"""Canary: values written through the API never appear in plaintext anywhere on disk.

A real server process is started with its own TMPDIR; customers with unique canary
values are created (singly and by import), read, searched; then the raw bytes of
the SQLite database, its WAL, the key store, the keyring, the server log and every
temp file are searched for the canaries and their digits-only forms.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import httpx
import pyotp
import pytest
from tests.live import LiveServers, free_port, http_ok

from piguard.demo import bank_card, resident_id


def _canaries(n: int, rng: random.Random) -> list[dict[str, str]]:
    from datetime import date

    people = []
    for i in range(n):
        tag = f"{rng.randrange(16**6):06x}"
        people.append(
            {
                "name": f"金丝雀{chr(0x4E00 + rng.randrange(0x5000))}{chr(0x4E00 + rng.randrange(0x5000))}",
                "mobile": f"139{rng.randrange(10**8):08d}",
                "resident_id": resident_id(rng, date(1980 + i % 30, 1 + i % 12, 1 + i % 28), i % 2 == 0),
                "bank_card": bank_card(rng),
                "email": f"canary.{tag}@example.com",
                "address": f"北京市朝阳区金丝雀路{rng.randrange(100000, 999999)}号",
            }
        )
    return people


def _forms(person: dict[str, str]) -> list[bytes]:
    out = []
    for value in person.values():
        out.append(value.encode("utf-8"))
        digits = "".join(ch for ch in value if ch.isdigit())
        if len(digits) >= 6:
            out.append(digits.encode())
    return out


@pytest.mark.slow
def test_no_plaintext_on_disk_after_api_traffic(
    tmp_path: Path, rng: random.Random, live_server: LiveServers
) -> None:
    home = tmp_path / "home"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIGUARD_")}
    env.update({"PIGUARD_HOME": str(home), "TMPDIR": str(tmpdir), "PIGUARD_LOG_LEVEL": "debug"})
    piguard = [sys.executable, "-m", "piguard.cli.main"]
    init = subprocess.run([*piguard, "init", "--json"], env=env, capture_output=True, text=True, check=True)
    token = json.loads(init.stdout)["bootstrap_token"]
    demo = subprocess.run(
        [*piguard, "demo", "--customers", "0", "--json"], env=env, capture_output=True, text=True, check=True
    )
    agent = next(p for p in json.loads(demo.stdout)["staff"] if p["role"] == "customer_service")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    live_server.process(
        [*piguard, "serve", "--port", str(port)],
        env=env,
        log=tmp_path / "server.log",
        ready=http_ok(f"{base}/healthz"),
    )
    people = _canaries(12, rng)
    headers = {"Authorization": f"Bearer {token}"}
    ids = []
    login = httpx.post(
        f"{base}/v1/auth/login",
        json={
            "name": agent["name"],
            "password": agent["password"],
            "totp": pyotp.TOTP(agent["totp_secret"]).now(),
        },
    )
    assert login.status_code == 200, login.text
    staff = {"Authorization": f"Bearer {login.json()['token']}"}
    with httpx.Client(base_url=base, headers=headers) as client:
        for person in people[:6]:
            r = client.post("/v1/records/customer", json={"purpose": "service", "values": person})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        body = "\n".join(json.dumps(p, ensure_ascii=False) for p in people[6:]).encode()
        r = client.post(
            "/v1/import/customer", params={"purpose": "service", "format": "jsonl"}, content=body
        )
        assert r.status_code == 200 and r.json()["accepted"] == 6, r.text
        ids.extend(r.json()["ids"])
        for cid, person in zip(ids, people, strict=True):
            got = client.get(f"/v1/records/customer/{cid}", params={"purpose": "service"}, headers=staff)
            assert got.status_code == 200, got.text
            assert got.json()["fields"]["mobile"] == person["mobile"][:3] + "****" + person["mobile"][-4:]
            found = client.post(
                "/v1/search",
                headers=staff,
                json={"field": "mobile", "value": person["mobile"], "purpose": "service"},
            ).json()
            assert [m["id"] for m in found["matches"]] == [cid]
        bad = client.post(
            "/v1/records/customer",
            json={"purpose": "service", "values": {"resident_id": people[0]["resident_id"][:-1]}},
        )
        assert bad.status_code == 422 and bad.headers["content-type"].startswith(
            "application/problem+json"
        )
    live_server.stop_all()
    files = [p for p in home.rglob("*") if p.is_file()]
    files += [p for p in tmpdir.rglob("*") if p.is_file()]
    files.append(tmp_path / "server.log")
    assert any(p.name == "data.db" for p in files)
    assert (tmp_path / "server.log").stat().st_size > 0
    leaks = []
    for path in files:
        raw = path.read_bytes()
        for person in people:
            for form in _forms(person):
                if form in raw:
                    leaks.append(f"{path.name}: {form[:3]!r}…")
    assert leaks == []
