"""The invariants and boundaries of ARCHITECTURE.md, checked on the source's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "piguard"
EDGES = ("api", "cli", "web", "client")


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


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_only_the_vault_combines_crypto_and_storage(path: Path) -> None:
    """Invariant: only piguard.vault opens ciphertexts with data keys from the key store."""
    if _package(path) in ("vault", "crypto", "store", "installation", "audit", "consent", "access"):
        return
    names = _imports(path)
    assert not ({"piguard.crypto.envelope", "piguard.crypto.aead"} & names), path


@pytest.mark.parametrize("path", sorted((SRC / "detect").rglob("*.py")), ids=lambda p: p.name)
def test_detect_never_reads_the_vault(path: Path) -> None:
    """Invariant: piguard.detect never reads the vault (nor the store, nor the gate)."""
    names = _imports(path)
    assert not {n for n in names if n.startswith(("piguard.vault", "piguard.store", "piguard.service"))}
