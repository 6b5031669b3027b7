"""The invariants and boundaries of ARCHITECTURE.md, checked on the source's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "piguard"
EDGES = ("api", "cli", "web", "client", "server")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _package(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_only_crypto_imports_hazmat_and_pkcs11(path: Path) -> None:
    """Invariant: piguard.crypto is the only importer of cryptography.hazmat and pkcs11."""
    if _package(path) == "crypto":
        return
    bad = {n for n in _imports(path) if n.startswith(("cryptography.hazmat", "pkcs11"))}
    assert not bad, f"{path.relative_to(SRC)} imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_core_never_imports_the_edges_or_web_frameworks(path: Path) -> None:
    """Boundary: core packages import no FastAPI, Typer, Jinja2, nor piguard's edges."""
    if _package(path) in EDGES:
        return
    names = _imports(path)
    frameworks = {
        n for n in names if n.split(".")[0] in ("fastapi", "starlette", "typer", "jinja2", "uvicorn")
    }
    edges = {n for n in names if n.startswith(tuple(f"piguard.{e}" for e in EDGES))}
    assert not frameworks and not edges, f"{path.relative_to(SRC)} imports {frameworks | edges}"


#: Who may import which module: the rule itself, stated once (no per-test exemptions).
PERMITTED_IMPORTERS: dict[str, frozenset[str]] = {
    # Only the vault seals and opens customer data; the installation picks the suite.
    "piguard.crypto.envelope": frozenset({"vault", "crypto"}),
    "piguard.crypto.aead": frozenset({"vault", "crypto", "installation"}),
    # Only the gate (and the wiring) reach the vault.
    "piguard.vault": frozenset({"vault", "gate", "installation"}),
    # The edges reach the gate's SDK types through piguard.gate, never the kernel's parts.
    "piguard.gate.records": frozenset({"gate"}),
    "piguard.gate.view": frozenset({"gate"}),
    "piguard.gate.guards": frozenset({"gate"}),
}

#: Capability packages mounted on the gate (issue 10): they compile against the SDK only.
CAPABILITIES = ("consent", "outbox", "rights", "lifecycle", "privacy", "sharing", "incidents", "compliance")
#: What a capability may import of piguard besides itself and the SDK: the leaves.
LEAVES = (
    "piguard.catalog",
    "piguard.errors",
    "piguard.clock",
    "piguard.calendar",
    "piguard.validate",
    "piguard.masking",
    "piguard.data",
    "piguard.principal",
    "piguard.facade",
    "piguard.gate.sdk",
)


def _matches(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_only_permitted_packages_import_the_vault_and_its_crypto(path: Path) -> None:
    """Invariant: only piguard.vault opens ciphertexts; only the gate and the installation import
    the vault; the kernel's internals stay inside the gate."""
    package = _package(path)
    bad = {
        name
        for name in _imports(path)
        for module, allowed in PERMITTED_IMPORTERS.items()
        if _matches(name, module) and package not in allowed
    }
    assert not bad, f"{path.relative_to(SRC)} imports {bad}"


CAPABILITY_MODULES = [p for p in MODULES if _package(p) in CAPABILITIES]


@pytest.mark.parametrize("path", CAPABILITY_MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_capability_packages_import_only_the_gate_sdk(path: Path) -> None:
    """Invariant: a capability imports only the gate's SDK and leaf modules of piguard's core,
    never the vault, the store, the audit log, the accounts or another capability."""
    own = f"piguard.{_package(path)}"
    bad = {
        name
        for name in _imports(path)
        if name.startswith("piguard")
        and name != "piguard"
        and not _matches(name, own)
        and not any(_matches(name, leaf) for leaf in LEAVES)
    }
    assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_the_capability_list_is_not_empty() -> None:
    """The capability rule above proves something: at least consent is a mounted capability."""
    assert CAPABILITY_MODULES


EDGE_MODULES = [p for p in MODULES if _package(p) in ("api", "cli", "web")]
FORBIDDEN_AT_EDGES = ("piguard.vault", "piguard.store", "piguard.audit", "piguard.consent.ledger")


@pytest.mark.parametrize("path", EDGE_MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_edges_import_no_store_vault_tables_or_queries(path: Path) -> None:
    """Boundary: the edges reach data through the gate and its capabilities only."""
    bad = {
        name
        for name in _imports(path)
        if any(_matches(name, m) for m in FORBIDDEN_AT_EDGES) or name.endswith((".tables", ".queries"))
    }
    assert not bad, f"{path.relative_to(SRC)} imports {bad}"


@pytest.mark.parametrize("path", sorted((SRC / "detect").rglob("*.py")), ids=lambda p: p.name)
def test_detect_never_reads_the_vault(path: Path) -> None:
    """Invariant: piguard.detect never reads the vault (nor the store, nor the gate)."""
    names = _imports(path)
    assert not {n for n in names if n.startswith(("piguard.vault", "piguard.store", "piguard.service"))}
