"""Compiled builds of the hot modules of detection and masking, used only while they match the sources.

The detector is pure Python; its per-candidate work (slicing, checks, findings) is
interpreter overhead, not regex time. ``scripts/build-native`` compiles the modules of
:data:`MODULES` with mypyc (part of mypy, a dev dependency) into the virtual
environment (``<venv>/piguard-native``), with a stamp holding each source file's
SHA-256. Measured 2026-12-04 on the 2-core machine: the default detection path
3.6 → 4.9 MB/s CPU on 20,000 notes, the same findings (``docs/benchmarks.md``).

A package whose modules are compiled calls :func:`mount` from its ``__init__``: when
the stamp matches the sources byte for byte (and the interpreter), the build's
directory goes first on the package's ``__path__``, so its extension modules are
imported instead of the ``.py`` files. Otherwise nothing changes: an edited source,
a missing compiler, another Python or ``PIGUARD_PURE=1`` means the pure-Python
modules run, never a stale build. The modules form one mypyc group (they call each
other natively), so it is all of them or none.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["MODULES", "NativeStatus", "mount", "native_dir", "source_digests", "status"]

#: The compiled modules, one mypyc group.
MODULES = (
    "piguard.detect.checks",
    "piguard.detect.context",
    "piguard.detect.engine",
    "piguard.detect.finding",
    "piguard.detect.prefilter",
    "piguard.detect.recognizer",
    "piguard.detect.registry",
    "piguard.detect.resolve",
    "piguard.detect.recognizers.address",
    "piguard.detect.recognizers.bank_card",
    "piguard.detect.recognizers.digits",
    "piguard.detect.recognizers.email",
    "piguard.detect.recognizers.identifiers",
    "piguard.detect.recognizers.ip",
    "piguard.detect.recognizers.person",
    "piguard.detect.recognizers.phone",
    "piguard.detect.recognizers.resident_id",
    # The operators mask_value calls for every finding (and the vault's reads).
    "piguard.masking._params",
    "piguard.masking._text",
    "piguard.masking.address",
    "piguard.masking.bank_card",
    "piguard.masking.basic",
    "piguard.masking.date",
    "piguard.masking.email",
    "piguard.masking.hashing",
    "piguard.masking.keep",
    "piguard.masking.mobile",
    "piguard.masking.name",
    "piguard.masking.operator",
    "piguard.masking.passport",
    "piguard.masking.registry",
    "piguard.masking.resident_id",
)

STAMP = "stamp.json"
#: Where the build's ``piguard/...`` extension modules live, under the native directory.
TREE = "tree"
#: Where mypyc's shared library of the group lives (imported by its top-level name).
LIB = "lib"

_ROOT = Path(__file__).resolve().parent.parent  # the directory that holds ``piguard/``


@dataclass(frozen=True, slots=True)
class NativeStatus:
    """Whether the compiled modules are in use, and why (or why not)."""

    active: bool
    reason: str
    directory: Path


def native_dir() -> Path:
    """The build's directory: ``PIGUARD_NATIVE_DIR`` or ``<sys.prefix>/piguard-native``."""
    configured = os.environ.get("PIGUARD_NATIVE_DIR")
    return Path(configured) if configured else Path(sys.prefix) / "piguard-native"


def interpreter_tag() -> str:
    """The interpreter an extension module is built for (its ABI and platform)."""
    import sysconfig

    return f"{sys.implementation.cache_tag}-{sysconfig.get_platform()}"


def source_path(module: str, root: Path = _ROOT) -> Path:
    """The ``.py`` file of ``module`` under ``root``."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


def source_digests(root: Path = _ROOT) -> dict[str, str]:
    """SHA-256 of each compiled module's source, as the stamp records them."""
    return {m: hashlib.sha256(source_path(m, root).read_bytes()).hexdigest() for m in MODULES}


def _check(directory: Path) -> str | None:
    # The reason the build cannot be used, or None.
    if os.environ.get("PIGUARD_PURE", "").lower() in ("1", "true", "yes"):
        return "PIGUARD_PURE is set"
    try:
        stamp = json.loads((directory / STAMP).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no build in {directory} (run scripts/build-native)"
    except (OSError, ValueError) as exc:
        return f"unreadable stamp in {directory}: {exc}"
    if stamp.get("interpreter") != interpreter_tag():
        return f"built for {stamp.get('interpreter')}, running {interpreter_tag()}"
    built = stamp.get("modules", {})
    try:
        current = source_digests()
    except OSError as exc:
        return f"sources unreadable: {exc}"
    stale = sorted(m for m in MODULES if built.get(m) != current[m])
    if stale:
        return f"sources changed since the build: {', '.join(stale)}"
    missing = [
        m
        for m in MODULES
        if not stamp.get("files", {}).get(m) or not (directory / stamp["files"][m]).is_file()
    ]
    if missing:
        return f"build incomplete: {', '.join(missing)}"
    return None


@cache
def status() -> NativeStatus:
    """Decide once per process whether the compiled modules are used."""
    directory = native_dir()
    problem = _check(directory)
    if problem is not None:
        return NativeStatus(False, problem, directory)
    lib = str(directory / LIB)
    if lib not in sys.path:
        sys.path.append(lib)  # Last: it only holds the group's shared library.
    return NativeStatus(True, "compiled (mypyc), matching the sources", directory)


def mount(package: str, path: list[str]) -> None:
    """Put the build's directory of ``package`` first on its ``__path__`` when the build is usable."""
    state = status()
    if state.active:
        here = str(state.directory / TREE / Path(*package.split(".")))
        if here not in path:
            path.insert(0, here)
