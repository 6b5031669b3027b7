"""Readers that turn import files into numbered rows for :meth:`Vault.import_rows`.

Row numbers count from 1 for the first data row (after a CSV header). A row that
cannot be decoded (invalid UTF-8, broken JSON, not an object, a broken CSV line)
is yielded as a :class:`ValidationError` so the import reports it and goes on.
Rows are streamed: files larger than memory work.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from piguard.errors import ValidationError

Row = tuple[int, Mapping[str, object] | ValidationError]
MAX_LINE_BYTES = 1 << 20


def detect_format(path: Path, explicit: str | None = None) -> str:
    fmt = (explicit or path.suffix.lstrip(".")).lower()
    if fmt in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if fmt in ("csv", "txt"):
        return "csv"
    raise ValidationError("unknown import format (use .csv or .jsonl, or --format)", "format")


def count_rows(path: Path, fmt: str) -> int:
    """A quick upper bound of data rows, for the progress bar."""
    with path.open("rb") as fh:
        lines = sum(1 for _ in fh)
    return max(0, lines - 1) if fmt == "csv" else lines


def _decode_lines(fh: IO[bytes]) -> Iterator[str]:
    # surrogateescape keeps undecodable bytes as lone surrogates; the validators reject those,
    # naming the field, so one bad row does not stop the import.
    for raw in fh:
        yield raw.decode("utf-8", errors="surrogateescape")


def read_jsonl(fh: IO[bytes]) -> Iterator[Row]:
    number = 0
    for raw in fh:
        if not raw.strip():
            continue
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            yield number, ValidationError("row is larger than 1 MiB", None)
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield number, ValidationError("row is not valid UTF-8", None)
            continue
        except ValueError:
            yield number, ValidationError("row is not valid JSON", None)
            continue
        if not isinstance(obj, dict):
            yield number, ValidationError("row is not a JSON object", None)
            continue
        yield number, obj


def read_csv(fh: IO[bytes]) -> Iterator[Row]:
    reader = csv.reader(_decode_lines(fh))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ValidationError(f"CSV header unreadable: {exc}", None) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if any(not h for h in header) or len(set(header)) != len(header):
        raise ValidationError("CSV header has empty or duplicate column names", None)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            number += 1
            yield number, ValidationError("row is not valid CSV", None)
            continue
        if not cells:
            continue
        number += 1
        if len(cells) != len(header):
            yield number, ValidationError(f"row has {len(cells)} cells, header has {len(header)}", None)
            continue
        yield number, dict(zip(header, cells, strict=True))


def read_stream(fh: IO[bytes], fmt: str) -> Iterator[Row]:
    """Rows from an open binary stream (an upload spool, standard input)."""
    return read_jsonl(fh) if fmt == "jsonl" else read_csv(fh)


def read_rows(path: Path, fmt: str) -> Iterator[Row]:
    """Rows from a file, opened lazily and closed when the rows run out."""
    with path.open("rb") as fh:
        yield from read_stream(fh, fmt)
