"""What discovery reports: findings in files and in tables, and their per-column summaries.

Shared by the file scanners (:mod:`piguard.detect.discovery`) and the database scanner
(:mod:`piguard.detect.databases`), with the two helpers they both need.

Findings never carry the value; summaries carry masked samples only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _encode_str  # json.dumps' own (C) string encoder
from typing import Any

from piguard.detect.engine import Detector

#: Masked samples kept per summary row.
MAX_SAMPLES = 3

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class FileFinding:
    """One PI value in a file. ``line`` is 1-based; offsets are characters within the line
    (for xlsx: the row number, and offsets within the cell; for a JSON string
    written with escapes such as ``\\u5f20``: offsets within the decoded string,
    and ``column`` is ``decoded@N``, N the string's offset in the line)."""

    path: str
    line: int
    start: int
    end: int
    type: str
    score: float
    column: str | None = None
    masked: str = field(default="", repr=False)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return ``{"path", "line", "start", "end", "type", "score", "reason"}`` (+ ``column`` if known)."""
        out: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "start": self.start,
            "end": self.end,
            "type": self.type,
            "score": round(self.score, 3),
            "reason": self.reason,
        }
        if self.column is not None:
            out["column"] = self.column
        return out


@dataclass(frozen=True, slots=True)
class TableFinding:
    """One PI value in a database column; ``row`` counts rows in scan order, from 1."""

    table: str
    column: str
    row: int
    start: int
    end: int
    type: str
    score: float
    masked: str = field(default="", repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the finding as a JSON-ready dict."""
        return {
            "table": self.table,
            "column": self.column,
            "row": self.row,
            "start": self.start,
            "end": self.end,
            "type": self.type,
            "score": round(self.score, 3),
        }


@dataclass(slots=True)
class Summary:
    """Where one type of PI sits: a file or table, a column (or the lines), a count, samples."""

    source: str
    column: str | None
    type: str
    count: int = 0
    samples: list[str] = field(default_factory=list)
    first_lines: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as a JSON-ready dict."""
        return {
            "source": self.source,
            "column": self.column,
            "type": self.type,
            "count": self.count,
            "samples": list(self.samples),
            "lines": list(self.first_lines),
        }


class FilePart:
    """One batch of one file's findings built straight into what :meth:`Report.part` gives.

    A worker of a large file's scan made a :class:`FileFinding` per finding, a dict of it
    and then the JSON of the list, ~30 % of its time past the detector. :meth:`add` writes
    each finding's JSON as ``json.dumps(finding.as_dict(), ensure_ascii=False)`` would
    (same keys, order, separators and number forms) and counts it into the summary as
    :func:`summarize` does, masking only values that may still become a sample.
    """

    def __init__(self, path: str, *, encode: bool = True) -> None:
        self.path = path
        self.encode = encode
        self._path_json = _encode_str(path)
        self._texts: list[str] = []
        self._rows: dict[str, Summary] = {}
        self._reasons: dict[str, str] = {}

    def add(
        self, line: int, start: int, end: int, type_: str, score: float, reason: str, value: Callable[[], str]
    ) -> None:
        """Add a finding (no column); ``value()`` gives its masked sample, called only if one may be kept."""
        if self.encode:
            reason_json = self._reasons.get(reason)
            if reason_json is None:
                reason_json = self._reasons[reason] = _encode_str(reason)
            self._texts.append(
                f'{{"path": {self._path_json}, "line": {line}, "start": {start}, "end": {end}, '
                f'"type": {_encode_str(type_)}, "score": {round(score, 3)!r}, "reason": {reason_json}}}'
            )
        row = self._rows.get(type_)
        if row is None:
            row = self._rows[type_] = Summary(self.path, None, type_)
        row.count += 1
        if len(row.samples) < MAX_SAMPLES:
            masked = value()
            if masked not in row.samples:
                row.samples.append(masked)
        if len(row.first_lines) < 10 and line not in row.first_lines:
            row.first_lines.append(line)

    def result(self) -> tuple[str, list[Summary]]:
        """What :meth:`Report.part` gives for these findings."""
        return ", ".join(self._texts), sorted(
            self._rows.values(), key=lambda s: (s.source, s.column or "", s.type)
        )


def summarize(findings: Iterable[FileFinding | TableFinding]) -> list[Summary]:
    """Aggregate findings per (file or table, column, type), keeping a few masked samples."""
    rows: dict[tuple[str, str | None, str], Summary] = {}
    for f in findings:
        if isinstance(f, FileFinding):
            key, line = (f.path, f.column, f.type), f.line
        else:
            key, line = (f.table, f.column, f.type), f.row
        row = rows.get(key)
        if row is None:
            row = rows[key] = Summary(*key)
        row.count += 1
        if len(row.samples) < MAX_SAMPLES and f.masked not in row.samples:
            row.samples.append(f.masked)
        if len(row.first_lines) < 10 and line not in row.first_lines:
            row.first_lines.append(line)
    return sorted(rows.values(), key=lambda s: (s.source, s.column or "", s.type))


class Report:
    """What a scan reports, built batch by batch: the findings as JSON text and their summary.

    Discovery's workers encode and summarize their own batches (:meth:`part`), so
    the parent process only joins text and merges a few summary rows: encoding
    every finding in one process was, with reading the file, most of what kept
    ``piguard scan --json`` from using both cores. Merging per-batch summaries in
    file order gives what :func:`summarize` gives over all findings: each batch
    keeps its first :data:`MAX_SAMPLES` distinct samples and first ten lines, and
    every value the whole scan keeps is among those of its batch.

    :param encode: keep the findings' JSON text (False: the summary only).
    """

    def __init__(self, *, encode: bool = True) -> None:
        self.encode = encode
        self._parts: list[str] = []
        self._rows: dict[tuple[str, str | None, str], Summary] = {}

    @staticmethod
    def part(
        findings: Sequence[FileFinding | TableFinding], *, encode: bool = True
    ) -> tuple[str, list[Summary]]:
        """Return a batch's findings as JSON text (``[`` and ``]`` left off) and its summary rows."""
        text = (
            json.dumps([f.as_dict() for f in findings], ensure_ascii=False, default=str)[1:-1]
            if encode
            else ""
        )
        return text, summarize(findings)

    def add(self, findings: Sequence[FileFinding | TableFinding]) -> None:
        """Add a batch of findings, in scan order."""
        if findings:
            self.merge(*self.part(findings, encode=self.encode))

    def merge(self, text: str, rows: Iterable[Summary]) -> None:
        """Add a batch that :meth:`part` encoded (in this process or a worker), in scan order."""
        if text:
            self._parts.append(text)
        for row in rows:
            key = (row.source, row.column, row.type)
            mine = self._rows.get(key)
            if mine is None:
                self._rows[key] = Summary(*key, row.count, list(row.samples), list(row.first_lines))
                continue
            mine.count += row.count
            for sample in row.samples:
                if len(mine.samples) < MAX_SAMPLES and sample not in mine.samples:
                    mine.samples.append(sample)
            for line in row.first_lines:
                if len(mine.first_lines) < 10 and line not in mine.first_lines:
                    mine.first_lines.append(line)

    def summary(self) -> list[Summary]:
        """The summary rows, sorted as :func:`summarize` sorts them."""
        return sorted(self._rows.values(), key=lambda s: (s.source, s.column or "", s.type))

    def json(self) -> str:
        """``{"findings": [...], "summary": [...]}``: what ``json.dumps`` of both lists as dicts gives."""
        summary = json.dumps([s.as_dict() for s in self.summary()], ensure_ascii=False, default=str)
        return f'{{"findings": [{", ".join(self._parts)}], "summary": {summary}}}'


def detector_or_default(detector: Detector | None) -> Detector:
    """``detector``, or the shared default one (imported late: the package imports this module)."""
    if detector is not None:
        return detector
    from piguard.detect import default_detector

    return default_detector()


def cell_text(value: object) -> str:
    # Numbers typed into Excel come back as int/float: 13812345678 must not read
    # "13812345678.0" or "1.38e10".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
