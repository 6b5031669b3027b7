"""The try-out topology of ``deploy/``: PostgreSQL, two nodes and nginx with TLS in front; a gated
read goes through the proxy, and keeps working when one node dies (R-AUD-1: each read through
either node is audited in the one trail). Issue 12 item 2."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
from pathlib import Path

import httpx
import pytest

from piguard.access import BOOTSTRAP_ROLE
from piguard.access.credentials import totp_now
from piguard.gate import RequestContext
from piguard.gate.sdk import Actor
from piguard.installation import Installation
from tests.live import LiveServers, free_port, http_ok
from tests.pg import fresh_database

pytestmark = [pytest.mark.req("R-AUD-1"), pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _nginx_or_skip() -> str:
    if NGINX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed under CI: scripts/install-system-deps did not run")
        pytest.skip("nginx not installed (apt-get install nginx, or run scripts/install-system-deps)")
    return NGINX


def _staff_token(inst: Installation) -> tuple[str, str]:
    """A customer (written by the bootstrap credential) and a trained customer-service user's token."""
    boot = RequestContext(Actor("test", BOOTSTRAP_ROLE), "service", client="test")
    ref = inst.gate.create(boot, "customer", {"name": "张三丰", "mobile": "13800138000"})
    ac = inst.access
    user = ac.add_user(boot.actor, "agent", "customer_service")
    today = ac.training.today()
    ac.record_training(boot.actor, "agent", kind="agreement", course="NDA", completed_on=today)
    ac.record_training(boot.actor, "agent", kind="course", course="PIPL", completed_on=today, score=100)
    login = ac.login("agent", user["password"], totp_now(user["totp_secret"], ac.clock.now()))
    return ref.customer_id, login.token


def test_try_out_serves_a_gated_read_through_nginx(tmp_path: Path, live_server: LiveServers) -> None:
    nginx = _nginx_or_skip()
    with fresh_database() as url:
        proxy, node_a, node_b = free_port(), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIGUARD_")}
        env.update(
            PIGUARD_DATABASE_URL=url,
            PIGUARD_LOG_LEVEL="warning",
            PROXY_PORT=str(proxy),
            NODE_PORTS=f"{node_a} {node_b}",
            NGINX=nginx,
        )
        run = tmp_path / "tryout"
        cert = run / "run" / "proxy-cert.pem"
        base = f"https://127.0.0.1:{proxy}"
        script = live_server.process(
            [str(ROOT / "deploy" / "try-out"), str(run)],
            env=env,
            log=tmp_path / "try-out.log",
            ready=http_ok(f"{base}/healthz", verify=lambda: ssl.create_default_context(cafile=str(cert))),
            deadline=90,
        )
        home_env = {**env, "PIGUARD_HOME": str(run / "home")}
        with Installation(run / "home", environ=home_env) as inst:
            customer, token = _staff_token(inst)
        trust = ssl.create_default_context(cafile=str(cert))
        path = f"/v1/records/customer/{customer}?purpose=service&fields=name,mobile"
        for _ in range(4):  # fresh connections: nginx spreads them over both nodes
            r = httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, verify=trust)
            assert r.status_code == 200, r.text
            assert set(r.json()["fields"]) == {"name", "mobile"}
            assert "13800138000" not in r.text  # masked for customer service
        # One node dies: nginx marks it down and the other answers.
        pid = _node_pid(node_a)
        assert pid is not None, "node A's process not found in /proc"
        os.kill(pid, signal.SIGKILL)
        for _ in range(4):
            r = httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, verify=trust)
            assert r.status_code == 200, r.text
        with pytest.raises(httpx.ConnectError):
            httpx.get(base + "/healthz")  # not trusted without the try-out's certificate
        script.send_signal(signal.SIGTERM)
        script.wait(timeout=30)
        with Installation(run / "home", environ=home_env) as inst:
            assert inst.audit.verify().ok


def _node_pid(port: int) -> int | None:
    """The pid of the node listening on ``port`` (from /proc), or None where /proc is missing."""
    needle = f"--port {port} "
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmd = entry.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "piguard.cli.main serve" in cmd and needle in cmd:
            return int(entry.parent.name)
    return None
