"""The edges mount capabilities one way (issue 10, item 6).

Checked on the source with ``ast`` and on the running app:

- no module of ``api``, ``cli`` or ``web`` reaches below the gate: no attribute named after
  the parts behind it, no import of the packages that hold them;
- ``cli`` imports neither ``api`` nor ``web``, and ``api`` does not import ``web`` (the
  composition root :mod:`piguard.server` joins them);
- every API route but login and the ops routes depends on the one
  :func:`piguard.api.deps.current_actor`;
- and the behaviour that follows: ``X-API-Key`` works on every router, a wrong key is refused
  with a clear problem, ``piguard operations --json`` lists the declared operations.
"""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute
from typer.testing import CliRunner

from piguard.access import BOOTSTRAP_ROLE
from piguard.api.app import create_app
from piguard.api.deps import BAD_KEY, MISSING, current_actor
from piguard.api.hardening import Limits
from piguard.cli.main import app as cli_app
from piguard.crypto.keyring import generate_master_secret
from piguard.installation import Installation, init_home
from piguard.server import create_server
from piguard.vault.model import Actor

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SRC = Path(__file__).resolve().parents[1] / "src" / "piguard"
EDGE_MODULES = sorted(p for edge in ("api", "cli", "web") for p in (SRC / edge).rglob("*.py"))
#: The parts behind the gate, by the attribute names an edge would reach them with.
FORBIDDEN_ATTRIBUTES = frozenset(
    {"vault", "db", "keys", "keyring", "audit", "consent", "recorder", "service"}
)
#: The packages behind the gate (and the decision engine the gate owns).
FORBIDDEN_IMPORTS = (
    "piguard.vault",
    "piguard.store",
    "piguard.audit",
    "piguard.consent.ledger",
    "piguard.access.decision",
)
#: Routes that take no caller: signing in, and the ops routes a load balancer calls.
#: ``/v1/packages/{token}``: a customer's one-time link, the token being the credential (it runs the
#: download as that customer through the gate; tests/rights).
OPEN_ROUTES = {"/v1/auth/login", "/healthz", "/readyz", "/metrics", "/v1/packages/{token}"}


def _rel(path: Path) -> str:
    return str(path.relative_to(SRC))


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _under(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


@pytest.mark.parametrize("path", EDGE_MODULES, ids=_rel)
def test_edges_reach_no_part_behind_the_gate(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reached = sorted(
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES
    )
    assert not reached, f"{_rel(path)} reaches {reached}"
    imported = sorted(n for n in _imports(tree) if _under(n, FORBIDDEN_IMPORTS))
    assert not imported, f"{_rel(path)} imports {imported}"


def test_the_attribute_check_sees_attribute_access() -> None:
    """The check above is not vacuous: it catches ``inst.vault`` and ``x.service.recorder``."""
    tree = ast.parse("inst.vault.read()\nx.service.recorder.record(e)\nfrom piguard.store import Database\n")
    found = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} & FORBIDDEN_ATTRIBUTES
    assert found == {"vault", "service", "recorder"}
    assert _under("piguard.store.Database", FORBIDDEN_IMPORTS) and "piguard.store" in _imports(tree)


@pytest.mark.parametrize(
    ("edge", "forbidden"),
    [("cli", ("piguard.api", "piguard.web")), ("api", ("piguard.web", "piguard.server"))],
)
def test_edges_do_not_import_each_other(edge: str, forbidden: tuple[str, ...]) -> None:
    modules = sorted((SRC / edge).rglob("*.py"))
    assert modules
    for path in modules:
        bad = sorted(n for n in _imports(ast.parse(path.read_text(encoding="utf-8"))) if _under(n, forbidden))
        assert not bad, f"{_rel(path)} imports {bad}"


def test_the_composition_root_joins_api_and_console() -> None:
    names = _imports(ast.parse((SRC / "server.py").read_text(encoding="utf-8")))
    assert "piguard.api.app" in names and "piguard.web" in names
    serve = _imports(ast.parse((SRC / "cli" / "serve.py").read_text(encoding="utf-8")))
    assert "piguard.server" in serve


# ---------------------------------------------------------------------------------------- the app


@pytest.fixture
def inst(tmp_path: Path) -> Iterator[Installation]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    result = init_home(tmp_path / "home", environ=env, expected_customers=1000)
    with Installation(tmp_path / "home", environ=env) as opened:
        opened.bootstrap_token = result.bootstrap_token  # type: ignore[attr-defined]
        yield opened


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _walk(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI keeps an included router as one lazy entry holding the router it includes.
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes)


def _api_routes(app: FastAPI) -> list[APIRoute]:
    routes = list(_walk(app.routes))
    assert len(routes) > 40  # the routers are all there
    return routes


def test_every_route_but_login_and_ops_depends_on_the_one_current_actor(inst: Installation) -> None:
    app = create_app(inst, limits=Limits(rate_per_second=0))
    routes = _api_routes(app)
    for route in routes:
        calls = set(_calls(route.dependant))
        if route.path in OPEN_ROUTES:
            assert current_actor not in calls, route.path  # how a caller gets a token; the ops probes
        else:
            assert current_actor in calls, f"{sorted(route.methods or ())} {route.path}"
    assert OPEN_ROUTES <= {r.path for r in routes}
    # The composition root adds the console and the privacy centre (each its own session sign-in:
    # staff, customers) and nothing else.
    served = {r.path for r in _api_routes(create_server(inst, limits=Limits(rate_per_second=0)))}
    extra = served - {r.path for r in routes}
    assert extra and all(p == "/" or p.startswith(("/console/", "/privacy")) for p in extra), extra


def test_api_key_works_on_every_router_and_a_wrong_key_is_refused(inst: Installation) -> None:
    client = TestClient(create_app(inst, limits=Limits(rate_per_second=0)))
    bootstrap = {"Authorization": f"Bearer {inst.bootstrap_token}"}  # type: ignore[attr-defined]
    key = client.post("/v1/clients", json={"name": "siem", "role": "auditor"}, headers=bootstrap).json()
    header = {"X-API-Key": key["api_key"]}
    me = client.get("/v1/whoami", headers=header)
    assert me.status_code == 200 and me.json()["name"] == "siem" and me.json()["role"] == "auditor"
    # The same key on the other routers: accounts (grants, training), the trail, consent, detection.
    assert client.get("/v1/grants", headers=header).status_code == 200
    assert client.get("/v1/training", headers=header).status_code == 200
    assert client.get("/v1/audit/verify", headers=header).status_code == 200
    assert client.get("/v1/notices", headers=header).status_code == 200
    assert client.post("/v1/detect", json={"text": "13812345678"}, headers=header).status_code == 200
    wrong = client.get("/v1/whoami", headers={"X-API-Key": "pgk_not-a-key"})
    assert wrong.status_code == 401
    problem = wrong.json()
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert problem["detail"] == BAD_KEY and "bearer" not in problem["detail"].lower()
    missing = client.get("/v1/whoami")
    assert missing.status_code == 401 and missing.json()["detail"] == MISSING


def test_every_router_charges_the_rate_limit(inst: Installation) -> None:
    client = TestClient(create_app(inst, limits=Limits(rate_per_second=0.01, burst=2)))
    bootstrap = {"Authorization": f"Bearer {inst.bootstrap_token}"}  # type: ignore[attr-defined]
    codes = [
        client.get(url, headers=bootstrap).status_code for url in ("/v1/whoami", "/v1/grants", "/v1/whoami")
    ]
    assert codes == [200, 200, 429]


def test_a_disabled_principal_is_refused_by_key_on_the_next_call(inst: Installation) -> None:
    client = TestClient(create_app(inst, limits=Limits(rate_per_second=0)))
    admin = Actor("setup", BOOTSTRAP_ROLE, "staff")
    key = inst.access.add_client(admin, "crm", "auditor")["api_key"]
    assert client.get("/v1/whoami", headers={"X-API-Key": key}).status_code == 200
    inst.access.revoke_client(admin, "crm")
    revoked = client.get("/v1/whoami", headers={"X-API-Key": key})
    assert revoked.status_code == 401 and revoked.json()["detail"] != BAD_KEY


# ---------------------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("token", ["bootstrap", "api-key", "none"])
def test_operations_lists_the_declarations(
    inst: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("PIGUARD_MASTER_KEY_FILE", str(tmp_path / "master.key"))
    monkeypatch.delenv("PIGUARD_TOKEN", raising=False)
    if token == "bootstrap":
        monkeypatch.setenv("PIGUARD_TOKEN", inst.bootstrap_token)  # type: ignore[attr-defined]
    elif token == "api-key":
        admin = Actor("setup", BOOTSTRAP_ROLE, "staff")
        monkeypatch.setenv("PIGUARD_TOKEN", inst.access.add_client(admin, "ops", "auditor")["api_key"])
    result = CliRunner().invoke(cli_app, ["operations", "--home", str(tmp_path / "home"), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    by_name = {op["name"]: op for op in doc["operations"]}
    assert {"read", "consent_grant", "audit_query"} <= set(by_name)
    assert by_name == {op["name"]: op for op in inst.gate.operations()}
    assert by_name["read"]["capability"] == "records" and by_name["audit_query"]["capability"] == "trail"
    human = CliRunner().invoke(cli_app, ["operations", "--home", str(tmp_path / "home")])
    assert human.exit_code == 0 and f"{len(by_name)} operation(s)" in human.stdout
