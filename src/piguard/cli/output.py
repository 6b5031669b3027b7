"""How every CLI command reports: one JSON document with ``--json``, Rich text otherwise.

Tables (:func:`new_table`, :func:`print_table`) are never cut: cells fold instead of ending
in an ellipsis, and a table whose ids or secrets would have to be split to fit the terminal is
printed as one block of ``column: value`` lines per row instead, so a value can always be
copied whole (at 40 columns, at 80, or piped).

Errors: a one-line reason on stderr and a non-zero exit code; with ``--json`` the
same reason also goes to stdout as ``{"error": code, "reason": ...}``. Reasons come
from :mod:`piguard.errors` and never carry customer values.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

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


class PlainTable(Table):
    """A Rich table whose string cells are plain text: a value holding ``[...]`` is not markup."""

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(*(Text(r) if isinstance(r, str) else r for r in renderables), **kwargs)


def new_table(*headers: str, title: str | None = None) -> Table:
    """A table whose cells fold rather than being truncated (no ellipsis, ever)."""
    table = PlainTable(title=title, expand=False)
    for header in headers:
        table.add_column(header, overflow="fold", no_wrap=False)
    return table


def _cells(table: Table) -> list[list[str]]:
    """The table's cells as plain text, column by column."""
    return [[str(cell) for cell in column.cells] for column in table.columns]


#: What must stay on one line: ASCII runs without spaces (ids, tokens, passwords, numbers).
#: Prose folds at spaces, and Chinese text may fold between any two characters.
_UNBREAKABLE = re.compile(r"[!-~]+")


def _widest_word(texts: list[str]) -> int:
    return max((cell_len(word) for text in texts for word in _UNBREAKABLE.findall(text)), default=0)


def print_table(table: Table, console: Console | None = None) -> None:
    """Print ``table`` so that no id or secret is split or cut.

    The table is drawn when every column can hold its longest word (an id, a token, a
    password) on one line; prose folds at spaces. Otherwise each row is printed as
    ``column: value`` lines, which the terminal may wrap but which copy whole.
    """
    out = console or stdout
    columns = _cells(table)
    # The narrowest each column can be without splitting a word, header included.
    widths = [
        max(_widest_word([str(c.header)]), _widest_word(cells))
        for c, cells in zip(table.columns, columns, strict=True)
    ]
    # Borders and padding: one rule per column plus one, and a space each side of a cell.
    if sum(widths) + 3 * len(widths) + 1 <= out.width:
        for column, width in zip(table.columns, widths, strict=True):
            column.min_width = width
        out.print(table)
        return
    if table.title:
        out.print(str(table.title))
    rows = list(zip(*columns, strict=True)) if columns else []
    headers = [str(c.header) for c in table.columns]
    for index, row in enumerate(rows):
        if index:
            out.print()
        for header, value in zip(headers, row, strict=True):
            out.print(f"{header}: {value}", soft_wrap=True, markup=False)


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
