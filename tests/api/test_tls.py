"""``piguard serve --tls``: a real server over HTTPS with a generated certificate; HSTS and Secure cookies."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pyotp
import pytest
from tests.live import LiveServers, free_port, http_ok

from piguard.cli.serve import tls_files
from piguard.errors import ConfigError


def test_tls_files_choices(tmp_path: Path) -> None:
    assert tls_files(tmp_path, False, None, None, "127.0.0.1") is None
    cert, key = tls_files(tmp_path, True, None, None, "127.0.0.1") or (None, None)
    assert cert is not None and key is not None and oct(key.stat().st_mode & 0o777) == "0o600"
    assert tls_files(tmp_path, True, None, None, "127.0.0.1") == (cert, key)  # reused, not regenerated
    assert tls_files(tmp_path, False, cert, key, "x") == (cert, key)
    with pytest.raises(ConfigError):
        tls_files(tmp_path, False, cert, None, "x")


def _trust(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@pytest.mark.slow
def test_serve_tls_end_to_end(tmp_path: Path, live_server: LiveServers) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIGUARD_")}
    env["PIGUARD_HOME"] = str(tmp_path / "home")
    piguard = [sys.executable, "-m", "piguard.cli.main"]
    subprocess.run([*piguard, "init", "--json"], env=env, capture_output=True, check=True)
    demo = subprocess.run(
        [*piguard, "demo", "--customers", "0", "--json"], env=env, capture_output=True, text=True, check=True
    )
    auditor = next(p for p in json.loads(demo.stdout)["staff"] if p["role"] == "auditor")
    port = free_port()
    cert = tmp_path / "home" / "tls" / "dev-cert.pem"
    base = f"https://127.0.0.1:{port}"
    live_server.process(
        [*piguard, "serve", "--tls", "--port", str(port)],
        env=env,
        log=tmp_path / "server.log",
        ready=http_ok(f"{base}/healthz", verify=lambda: _trust(cert)),
    )
    with httpx.Client(base_url=base, verify=_trust(cert)) as c:
        r = c.get("/healthz")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        page = c.get("/console/login")
        token = re.search(r'name="prelogin" value="([^"]+)"', page.text)
        assert token is not None
        r = c.post(
            "/console/login",
            data={
                "prelogin": token.group(1),
                "name": auditor["name"],
                "password": auditor["password"],
                "totp": pyotp.TOTP(auditor["totp_secret"]).now(),
            },
        )
        assert r.status_code == 303, r.text
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "pg_session" in v)
        assert "Secure" in cookie and "HttpOnly" in cookie
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/healthz")  # not trusted without the development certificate
