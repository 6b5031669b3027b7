"""Discovery: where does PI sit in files and databases nobody manages?

:func:`scan_path` streams files line by line (txt, log, csv, json, jsonl) or
row by row (xlsx, read-only), so files larger than memory work;
:func:`scan_database` (:mod:`piguard.detect.databases`) reflects a database with
SQLAlchemy and streams a sample of each table's rows. Both yield one finding per PI
value; :class:`Summary` (:mod:`piguard.detect.inventory`) aggregates them into "file or
table, column or line, type, count, masked samples". This module is the front door:
callers import all of discovery from here.

Findings never carry the value; summaries carry masked samples only.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import multiprocessing
import os
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO, TypeVar

from piguard.detect.databases import scan_database
from piguard.detect.engine import Detector, mask_value
from piguard.detect.finding import Finding
from piguard.detect.inventory import MAX_SAMPLES as MAX_SAMPLES  # re-exported
from piguard.detect.inventory import (
    FileFinding,
    FilePart,
    Progress,
    Report,
    Summary,
    TableFinding,
    cell_text,
    detector_or_default,
    summarize,
)
from piguard.errors import NotFound, ValidationError

T = TypeVar("T")

__all__ = [
    "SUFFIXES",
    "FileFinding",
    "Report",
    "Summary",
    "TableFinding",
    "scan_database",
    "scan_path",
    "scan_path_report",
    "summarize",
]

#: Suffixes read as structured files (never split among workers).
_STRUCTURED = frozenset({".xlsx", ".csv", ".json", ".jsonl"})
#: File suffixes scanned when walking a directory.
SUFFIXES = frozenset({".txt", ".log", ".csv", ".json", ".jsonl", ".xlsx"})
#: Longest piece of a line scanned at once; longer lines are cut into pieces
#: that overlap by :data:`OVERLAP` characters so a value on a cut is still seen.
MAX_CHUNK = 1 << 20
OVERLAP = 64
#: Bytes read between two progress reports.
PROGRESS_BYTES = 1 << 18
#: How many characters of whole lines bulk mode hands the detector at once: its
#: byte-level prefilter pays off over many lines.
BATCH_CHARS = 1 << 20
# A JSON string (raw newlines are not allowed inside one, so a line holds every
# string it starts) or a JSON integer outside strings.
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|(?<![0-9A-Za-z_.])-?[0-9]+(?![0-9A-Za-z_.])')


def scan_path(
    path: str | os.PathLike[str],
    *,
    detector: Detector | None = None,
    progress: Progress | None = None,
    thorough: bool = False,
) -> Iterator[FileFinding]:
    """Yield the PI found in a file, or in every supported file under a directory.

    Text files are decoded as UTF-8, or as GB 18030 when the start of the file
    is not UTF-8 (exports from Chinese Windows tools). Files whose suffix is not
    in :data:`SUFFIXES` are skipped when walking a directory but scanned as text
    when named directly.

    :param path: a file or directory.
    :param detector: the detector (the shared default when None).
    :param progress: called with the number of bytes just read, for progress bars.
    :param thorough: run the full detection path on every line. By default the
        detector's ``bulk`` mode skips lines that no trigger says may hold PI;
        it reports the same findings on line-based text, faster (see
        :mod:`piguard.detect.prefilter`).
    :raises NotFound: if ``path`` does not exist.
    :raises ValidationError: if a named file cannot be read (unreadable workbook, permission).
    """
    root = Path(path)
    if not root.exists():
        raise NotFound(f"{root}: no such file or directory")
    det = detector_or_default(detector)
    mode = "default" if thorough else "bulk"
    if root.is_dir():
        for file in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES):
            yield from _scan_file(file, det, progress, mode)
    else:
        yield from _scan_file(root, det, progress, mode)


#: Findings encoded per part of a report scanned in this process.
REPORT_BATCH = 4096


def scan_path_report(
    path: str | os.PathLike[str],
    *,
    detector: Detector | None = None,
    progress: Progress | None = None,
    thorough: bool = False,
    encode: bool = True,
) -> Iterator[tuple[str, list[Summary]]]:
    """What :func:`scan_path` finds, as parts of a :class:`Report` (``Report.merge`` each, in order).

    The same findings in the same order; a large text file's workers encode and
    summarize their own batches, so the findings never pass through this process
    one by one.

    :param encode: give each part's findings as JSON text (False: "" and the summary rows only).
    :raises NotFound: if ``path`` does not exist.
    :raises ValidationError: if a named file cannot be read.
    """
    root = Path(path)
    if not root.exists():
        raise NotFound(f"{root}: no such file or directory")
    det = detector_or_default(detector)
    files = (
        sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        if root.is_dir()
        else [root]
    )
    for file in files:
        workers = _workers(file) if not thorough and file.suffix.lower() not in _STRUCTURED else 1
        if workers > 1:
            try:
                yield from _report_text_parallel(file, det, progress, workers, encode)
            except OSError as exc:
                raise ValidationError(f"{file}: cannot read ({exc.strerror or type(exc).__name__})") from None
            continue
        batch: list[FileFinding] = []
        for finding in _scan_file(file, det, progress, "default" if thorough else "bulk"):
            batch.append(finding)
            if len(batch) >= REPORT_BATCH:
                yield Report.part(batch, encode=encode)
                batch = []
        if batch:
            yield Report.part(batch, encode=encode)


def total_bytes(path: str | os.PathLike[str]) -> int:
    """Return how many bytes :func:`scan_path` will read (for a progress bar's total)."""
    root = Path(path)
    if root.is_dir():
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    return root.stat().st_size if root.exists() else 0


def _scan_file(file: Path, det: Detector, progress: Progress | None, mode: str) -> Iterator[FileFinding]:
    suffix = file.suffix.lower()
    try:
        if suffix == ".xlsx":
            yield from _scan_xlsx(file, det, progress, mode)
        elif suffix == ".csv":
            yield from _scan_csv(file, det, progress, mode)
        elif suffix in (".json", ".jsonl"):
            yield from _scan_json(file, det, progress, mode)
        else:
            yield from _scan_text(file, det, progress, mode)
    except OSError as exc:
        raise ValidationError(f"{file}: cannot read ({exc.strerror or type(exc).__name__})") from None


def _encoding(file: Path) -> str:
    with file.open("rb") as fh:
        head = fh.read(65536)
    try:
        # The cut at 64 KiB may split a character: final=False tolerates that.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _lines(file: Path, progress: Progress | None) -> Iterator[tuple[int, int, str, int]]:
    """Yield ``(line number, offset of the piece within the line, piece, overlap)`` per piece of each line.

    Long lines come in pieces of at most :data:`MAX_CHUNK` bytes; each piece after
    the first repeats the last :data:`OVERLAP` characters of the one before.
    """
    encoding = _encoding(file)
    with file.open("rb") as fh:
        yield from _lines_of(fh, encoding, progress, 1)


def _lines_of(
    fh: BinaryIO, encoding: str, progress: Progress | None, number: int
) -> Iterator[tuple[int, int, str, int]]:
    # What _lines gives, from a stream of whole lines whose first line is ``number``.
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    offset = 0
    tail = ""
    # Progress is reported per PROGRESS_BYTES, not per line: a Rich bar's
    # advance costs ~20 µs, as much as detecting PI in a short line.
    unreported = 0
    while True:
        raw = fh.readline(MAX_CHUNK)
        if not raw:
            break
        if progress is not None:
            unreported += len(raw)
            if unreported >= PROGRESS_BYTES:
                progress(unreported)
                unreported = 0
        text = decoder.decode(raw)
        complete = text.endswith("\n")
        piece = text.rstrip("\r\n") if complete else text
        yield number, offset - len(tail), tail + piece, len(tail)
        if complete:
            number, offset, tail = number + 1, 0, ""
        else:
            offset += len(piece)
            tail = piece[-OVERLAP:]
    if progress is not None and unreported:
        progress(unreported)
    rest = decoder.decode(b"", final=True)
    if rest:
        yield number, offset - len(tail), tail + rest, len(tail)


def _findings_in(
    det: Detector,
    path: str,
    number: int,
    base: int,
    text: str,
    skip: int,
    column: str | None = None,
    mode: str = "default",
) -> Iterator[FileFinding]:
    for f in det.detect(text, mode=mode):
        if f.end <= skip:
            continue  # Already reported from the previous piece of this line.
        value = text[f.start : f.end]
        yield FileFinding(
            path,
            number,
            base + f.start,
            base + f.end,
            f.type,
            f.score,
            column,
            mask_value(f.type, value),
            f.reason,
        )


def _scan_text(file: Path, det: Detector, progress: Progress | None, mode: str) -> Iterator[FileFinding]:
    name = str(file)
    if mode != "bulk":
        for number, base, text, overlap in _lines(file, progress):
            yield from _findings_in(det, name, number, base, text, overlap, mode=mode)
        return
    workers = _workers(file)
    if workers > 1:
        yield from _scan_text_parallel(file, det, progress, workers)
        return
    for batch in _batches(file, progress, BATCH_CHARS):
        if isinstance(batch, tuple):  # A piece of a long line: scanned on its own.
            yield from _findings_in(det, name, *batch, mode=mode)
        else:
            yield from _flush(det, name, batch)


#: A text file at least this large is scanned by several processes (bulk mode).
PARALLEL_MIN_BYTES = 4 << 20
#: Bytes of whole lines per block handed to a worker process.
PARALLEL_BLOCK_BYTES = 1 << 18
_Batch = list[tuple[int, str]] | tuple[int, int, str, int]


def _workers(file: Path) -> int:
    # One process per available core, for large files only: a process costs
    # ~10-20 ms to fork and hands back its findings through a pipe.
    try:
        size = file.stat().st_size
    except OSError:
        return 1
    if size < PARALLEL_MIN_BYTES or not hasattr(os, "fork"):
        return 1
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)


def _batches(file: Path, progress: Progress | None, chars: int) -> Iterator[_Batch]:
    yield from _batched(_lines(file, progress), chars)


def _batched(lines: Iterator[tuple[int, int, str, int]], chars: int) -> Iterator[_Batch]:
    # Whole lines are batched so the detector's prefilter sees many at once;
    # bulk mode treats each line on its own, so joining them changes nothing.
    # A piece of a long line comes alone, as the tuple _lines gives.
    batch: list[tuple[int, str]] = []
    size = 0
    for number, base, text, overlap in lines:
        if base or overlap:
            if batch:
                yield batch
            batch, size = [], 0
            yield (number, base, text, overlap)
            continue
        batch.append((number, text))
        size += len(text) + 1
        if size >= chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _blocks(file: Path, size: int) -> Iterator[tuple[bytes, int]]:
    """``file`` cut after a line break about every ``size`` bytes, each block with its first line's number.

    A worker decodes and splits its own block, so this process only reads and counts
    line breaks (in C): decoding and splitting every line here kept a core busy
    beside the workers. A ``\\n`` byte never occurs inside a UTF-8 or GB18030
    character, so every cut is between two characters.
    """
    number = 1
    pending = b""
    with file.open("rb") as fh:
        while True:
            chunk = fh.read(size)
            data = pending + chunk
            if not chunk:
                if data:
                    yield data, number
                return
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                pending = data  # One line longer than a block: read on to its end.
                continue
            block, pending = data[:cut], data[cut:]
            yield block, number
            number += block.count(b"\n")


# The detector of a worker process, the file's name and encoding (inherited through fork).
_WORKER: tuple[Detector, str, str] | None = None


def _block_lines(block: bytes, number: int, encoding: str) -> Iterator[tuple[int, int, str, int]]:
    # What _lines gives for a block of whole lines whose first line is ``number``.
    if len(block) <= MAX_CHUNK and block.endswith(b"\n"):
        # Every line whole and ended (the usual block): decoded and split at once, the same
        # pieces _lines_of gives line by line ("\n" is never inside a character).
        whole = block.decode(encoding, "replace").split("\n")
        whole.pop()  # After the final line break.
        return ((number + i, 0, line.rstrip("\r"), 0) for i, line in enumerate(whole))
    return _lines_of(io.BytesIO(block), encoding, None, number)


def _scan_block(block: bytes, number: int) -> tuple[list[FileFinding], int]:
    assert _WORKER is not None  # set before the pool forks
    det, name, encoding = _WORKER
    out: list[FileFinding] = []
    for batch in _batched(_block_lines(block, number, encoding), BATCH_CHARS):
        if isinstance(batch, tuple):  # A piece of a long line: scanned on its own.
            out.extend(_findings_in(det, name, *batch, mode="bulk"))
        else:
            out.extend(_flush(det, name, batch))
    return out, len(block)


def _report_block(block: bytes, number: int, encode: bool) -> tuple[tuple[str, list[Summary]], int]:
    # Straight into the report's JSON and summary (FilePart): no FileFinding per finding, and
    # only values that may become one of the summary's samples are masked (masking every
    # finding was ~20 % of a worker's time).
    assert _WORKER is not None  # set before the pool forks
    det, name, encoding = _WORKER
    part = FilePart(name, encode=encode)
    for batch in _batched(_block_lines(block, number, encoding), BATCH_CHARS):
        if isinstance(batch, tuple):  # A piece of a long line: scanned on its own.
            for piece in _findings_in(det, name, *batch, mode="bulk"):
                part.add(
                    piece.line,
                    piece.start,
                    piece.end,
                    piece.type,
                    piece.score,
                    piece.reason,
                    partial(str, piece.masked),
                )
            continue
        for number, start, end, f, value in _batch_findings(det, batch):
            part.add(number, start, end, f.type, f.score, f.reason, partial(mask_value, f.type, value))
    return part.result(), len(block)


def _parallel(
    file: Path,
    det: Detector,
    progress: Progress | None,
    workers: int,
    work: Callable[..., tuple[T, int]],
    *args: object,
) -> Iterator[T]:
    """``work(block, first line, *args)`` over the blocks of ``file`` on ``workers`` processes, in order.

    At most two blocks per worker are in flight, so memory stays bounded whatever the file's size.
    """
    global _WORKER
    _WORKER = (det, str(file), _encoding(file))
    # Compile the scanner before the fork: every worker inherits it. Not the bulk triggers: a
    # worker compiles them only for a block that needs its prefilter (a log; never notes).
    det.detect("手机13812345678")
    context = multiprocessing.get_context("fork")
    pending: deque[Future[tuple[T, int]]] = deque()

    def done() -> T:
        result, size = pending.popleft().result()
        if progress is not None:
            progress(size)
        return result

    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for block, number in _blocks(file, PARALLEL_BLOCK_BYTES):
            pending.append(pool.submit(work, block, number, *args))
            while len(pending) >= 2 * workers:
                yield done()
        while pending:
            yield done()


def _report_text_parallel(
    file: Path, det: Detector, progress: Progress | None, workers: int, encode: bool
) -> Iterator[tuple[str, list[Summary]]]:
    """:func:`_scan_text_parallel`, each worker encoding and summarizing its own blocks."""
    yield from _parallel(file, det, progress, workers, _report_block, encode)


def _scan_text_parallel(
    file: Path, det: Detector, progress: Progress | None, workers: int
) -> Iterator[FileFinding]:
    """The bulk scan of a large text file on ``workers`` processes, findings in file order."""
    for findings in _parallel(file, det, progress, workers, _scan_block):
        yield from findings


def _batch_findings(
    det: Detector, batch: list[tuple[int, str]]
) -> Iterator[tuple[int, int, int, Finding, str]]:
    """``(line number, start and end in the line, finding, value)`` of whole lines scanned as one text."""
    if not batch:
        return
    joined = "\n".join(text for _, text in batch)
    starts = list(accumulate((len(text) + 1 for _, text in batch[:-1]), initial=0))
    for f in det.detect(joined, mode="bulk"):
        index = bisect_right(starts, f.start) - 1
        lo = starts[index]
        yield batch[index][0], f.start - lo, f.end - lo, f, joined[f.start : f.end]


def _flush(det: Detector, name: str, batch: list[tuple[int, str]]) -> Iterator[FileFinding]:
    for number, start, end, f, value in _batch_findings(det, batch):
        masked = mask_value(f.type, value)
        yield FileFinding(name, number, start, end, f.type, f.score, None, masked, f.reason)


def _scan_json(file: Path, det: Detector, progress: Progress | None, mode: str) -> Iterator[FileFinding]:
    # JSON and JSON Lines are scanned string by string (and integer by
    # integer), decoded, so "\\u5f20\\u4f1f" is read as 张伟. JSON strings cannot
    # hold a raw line break, so streaming by line keeps files larger than
    # memory working and every finding keeps its line number.
    name = str(file)
    for number, base, text, overlap in _lines(file, progress):
        for token in _JSON_TOKEN.finditer(text):
            if token.end() <= overlap:
                continue  # Seen in the previous piece of this line.
            raw = token.group()
            if raw[0] != '"':
                yield from _findings_in(det, name, number, base + token.start(), raw, 0, mode=mode)
                continue
            try:
                value = json.loads(raw)
            except ValueError:  # A string cut at a piece boundary: read it raw.
                value = raw[1:]
            if value == raw[1:-1]:  # No escapes: offsets in the line hold.
                yield from _findings_in(det, name, number, base + token.start() + 1, value, 0, mode=mode)
            else:
                column = f"decoded@{base + token.start()}"
                yield from _findings_in(det, name, number, 0, value, 0, column, mode=mode)


def _scan_csv(file: Path, det: Detector, progress: Progress | None, mode: str) -> Iterator[FileFinding]:
    # Lines are scanned as text (offsets within the line, as for any file); the
    # header names the column a finding falls in, found by parsing the line.
    name = str(file)
    header: list[str] | None = None
    for number, base, text, overlap in _lines(file, progress):
        if header is None:
            header = next(csv.reader(io.StringIO(text)), [])
        bounds = _field_bounds(text)
        for f in _findings_in(det, name, number, base, text, overlap, mode=mode):
            index = next((i for i, (a, b) in enumerate(bounds) if a <= f.start - base < b), None)
            column = header[index] if index is not None and index < len(header) else None
            yield FileFinding(f.path, f.line, f.start, f.end, f.type, f.score, column, f.masked, f.reason)


def _field_bounds(line: str) -> list[tuple[int, int]]:
    # Character ranges of the comma-separated fields, honouring double quotes.
    bounds: list[tuple[int, int]] = []
    start, quoted = 0, False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            bounds.append((start, i))
            start = i + 1
    bounds.append((start, len(line)))
    return bounds


def _scan_xlsx(file: Path, det: Detector, progress: Progress | None, mode: str) -> Iterator[FileFinding]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file.
        raise ValidationError(f"{file}: not a readable xlsx workbook ({type(exc).__name__})") from None
    if progress is not None:
        progress(file.stat().st_size)
    name = str(file)
    try:
        for sheet in book.worksheets:
            header: list[str] = []
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number == 1:
                    header = ["" if v is None else str(v) for v in row]
                for index, value in enumerate(row):
                    if value is None or isinstance(value, bool):
                        continue
                    letter = get_column_letter(index + 1)
                    title = header[index] if index < len(header) and header[index] else letter
                    column = (
                        f"{sheet.title}!{letter} ({title})" if title != letter else f"{sheet.title}!{letter}"
                    )
                    yield from _findings_in(det, name, number, 0, cell_text(value), 0, column, mode)
    finally:
        book.close()
