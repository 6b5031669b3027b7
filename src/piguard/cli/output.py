"""How every CLI command reports: one JSON document with ``--json``, Rich text otherwise.

Errors: a one-line reason on stderr and a non-zero exit code; with ``--json`` the
same reason also goes to stdout as ``{"error": code, "reason": ...}``. Reasons come
from :mod:`piguard.errors` and never carry customer values.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

from piguard.errors import AccessDenied, CatalogError, ConfigError, Error, NotFound, ValidationError

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_CODES: dict[type[Error], int] = {
    ValidationError: 2,
    CatalogError: 2,
    ConfigError: 3,
    AccessDenied: 4,
    NotFound: 5,
}


def exit_code_for(exc: Error) -> int:
    for kind, code in EXIT_CODES.items():
        if isinstance(exc, kind):
            return code
    return 1


def emit(data: Any, as_json: bool, human: Callable[[], None] | None = None) -> None:
    """Print ``data`` as one JSON document, or call ``human`` to render it for people."""
    if as_json or human is None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()
    else:
        human()


def fail(reason: str, as_json: bool, code: str = "error", exit_code: int = 1) -> NoReturn:
    line = " ".join(reason.split())
    if as_json:
        sys.stdout.write(json.dumps({"error": code, "reason": line}, ensure_ascii=False) + "\n")
    sys.stderr.write(f"error: {line}\n")
    raise typer.Exit(exit_code)


@contextmanager
def reporting(as_json: bool) -> Iterator[None]:
    """Turn piguard errors into the CLI's error contract."""
    try:
        yield
    except Error as exc:
        fail(str(exc), as_json, exc.code, exit_code_for(exc))
    except OSError as exc:
        fail(f"{exc.strerror or exc.__class__.__name__}: {exc.filename or ''}", as_json, "os", 1)
