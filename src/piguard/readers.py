"""Readers that turn import files into numbered rows for :meth:`Vault.import_rows`.

Files as people make them: CSV in UTF-8 (with or without the BOM Excel writes) or in
GB18030/GBK (what Excel on Chinese Windows writes), CRLF line ends, a trailing empty column,
``.xlsx`` workbooks (the first sheet, read with python-calamine), and JSON Lines. Headers may
be a field's name or its zh or en label in the catalog (``姓名``, ``Name``, ``name``), matched
through :class:`Columns` (and the field's ``aliases``: ``手机`` for ``手机号码``).

Row numbers count from 1 for the first data row (after the header). A row that cannot be
read (broken JSON, nested too deep, not an object, a broken CSV line) is yielded as a
:class:`ValidationError` so the import reports it and goes on; a file that cannot be read at
all (unknown encoding, a header naming no field) is refused whole before any row is stored.
**Invariant:** no message quotes what the file holds: an unknown header is reported by its
position ("column 3: unknown header"), never by its text, since a headerless file's first
row is data. Rows are streamed: files larger than memory work (workbooks excepted).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from piguard.consent.importing import COLUMNS as CONSENT_COLUMNS
from piguard.errors import ValidationError

if TYPE_CHECKING:
    from piguard.catalog import Catalog

Row = tuple[int, Mapping[str, object] | ValidationError]
#: A row as it stands in the file: its number and its cells (or why it could not be read).
RawRow = tuple[int, Sequence[str] | ValidationError]
MAX_LINE_BYTES = 1 << 20
#: Bytes looked at to tell the file's encoding.
SAMPLE_BYTES = 64 << 10
#: How far a file that starts in plain ASCII is read ahead to tell its encoding.
MAX_ASCII_LOOKAHEAD = 16 << 20
#: How many header problems one refusal lists.
MAX_HEADER_PROBLEMS = 10
FORMATS = ("csv", "jsonl", "xlsx")
#: Encodings accepted by name (``--encoding``, ``encoding=``); GBK and GB2312 are read as
#: GB18030, their superset.
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030",
             "gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030"}  # fmt: skip
#: What charset-normalizer calls files that are GB18030 in practice: short GBK text is often
#: taken for Korean, whose double-byte ranges overlap GBK's.
_CJK_GUESSES = frozenset({"gb18030", "gbk", "gb2312", "cp936", "hz", "cp949", "euc_kr", "big5", "cp950"})
#: Columns every import understands besides the record type's fields: (name, zh, en).
ID_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("customer_id", "客户编号", "Customer ID"),
    ("record_id", "记录编号", "Record ID"),
)
_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Integers a spreadsheet stores exactly; a longer number (an ID or a card typed as a
#: number) has already lost digits in the workbook.
_EXACT_FLOAT = 2**53


def _fold(text: str) -> str:
    # Full-width forms, case and spacing differ between how people type a header.
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).casefold().strip("*")


@dataclass(frozen=True, slots=True)
class Columns:
    """Which header texts name which column: a field's name, its zh and en labels.

    :param names: folded header text -> the column name rows are keyed by.
    :param strict: refuse headers that name no column (off only for catalog-less readers).
    """

    names: Mapping[str, str]
    strict: bool = True

    @classmethod
    def for_record_type(
        cls, catalog: Catalog, record_type: str, extra: Iterable[tuple[str, str, str]] | None = None
    ) -> Columns:
        """The columns of ``record_type``: its fields, the id columns and ``extra`` ones
        (name, zh label, en label; by default the consent evidence columns).

        :raises ValidationError: ``record_type`` is not in the catalog.
        """
        if record_type not in catalog.record_types:
            raise ValidationError("unknown record type", "record_type")
        names: dict[str, str] = {}
        for name, zh, en in (*ID_COLUMNS, *(CONSENT_COLUMNS if extra is None else extra)):
            for text in (name, zh, en):
                names.setdefault(_fold(text), name)
        for name, fdef in catalog.record_types[record_type].fields.items():
            for text in (name, fdef.label.zh, fdef.label.en, *fdef.aliases):
                names.setdefault(_fold(text), name)
        return cls(names)

    def resolve(self, text: str) -> str | None:
        """The column ``text`` names, or ``None``."""
        found = self.names.get(_fold(text))
        if found is None and not self.strict and text and text.isprintable():
            return text
        return found


#: Without a catalog, a header is taken as it stands.
VERBATIM = Columns({}, strict=False)


def detect_format(path: Path, explicit: str | None = None) -> str:
    fmt = (explicit or path.suffix.lstrip(".")).lower()
    if fmt in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if fmt in ("csv", "txt"):
        return "csv"
    if fmt in ("xlsx", "xlsm", "xls", "ods"):
        return "xlsx"
    raise ValidationError("unknown import format (use .csv, .xlsx or .jsonl, or --format)", "format")


def count_rows(path: Path, fmt: str) -> int | None:
    """A quick upper bound of data rows, for the progress bar (``None`` for workbooks)."""
    if fmt == "xlsx":
        return None
    with path.open("rb") as fh:
        lines = sum(1 for _ in fh)
    return max(0, lines - 1) if fmt == "csv" else lines


# ---------------------------------------------------------------- encodings


def _decodes(sample: bytes, encoding: str) -> str | None:
    # An incremental decoder forgives a character cut in two at the sample's end.
    try:
        return codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return None


def _mostly_utf8(sample: bytes) -> bool:
    """Whether nearly every non-ASCII byte of ``sample`` is part of a valid UTF-8 character: a
    UTF-8 file with a broken row or two (read on, rejecting those rows), not a GBK file, whose
    byte pairs almost never form UTF-8."""
    wide = sum(1 for b in sample if b >= 0x80)
    bad = len(_SURROGATE.findall(sample.decode("utf-8", errors="surrogateescape")))
    return wide > 0 and bad * 10 <= wide


def _mostly_hanzi(text: str) -> bool:
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return False
    hanzi = sum(1 for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or c >= "\uff00")
    return hanzi >= 0.9 * len(wide)


def detect_encoding(sample: bytes, explicit: str | None = None) -> str:
    """The encoding to read a text import in, from its first bytes (or as the caller says).

    UTF-8 (a BOM is dropped) or GB18030, which covers GBK and GB2312. A file in anything else is
    refused with what it looks like, so the user knows to save it again as "CSV UTF-8".

    :raises ValidationError: an encoding name not supported, or a file in another encoding.
    """
    if explicit:
        codec = ENCODINGS.get(explicit.strip().lower())
        if codec is None:
            raise ValidationError("unsupported encoding (use utf-8 or gb18030)", "encoding")
        return "utf-8-sig" if codec == "utf-8" else codec
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValidationError("the file is UTF-16 text; save it as CSV UTF-8 (or GB18030)", "encoding")
    if _decodes(sample, "utf-8") is not None or _mostly_utf8(sample):
        return "utf-8-sig"  # utf-8-sig drops a BOM and reads plain UTF-8 alike
    import charset_normalizer  # imported here: only non-UTF-8 files pay for it

    best = charset_normalizer.from_bytes(sample).best()
    guess = best.encoding if best is not None else None
    text = _decodes(sample, "gb18030")
    if text is not None and (guess in _CJK_GUESSES or _mostly_hanzi(text)):
        return "gb18030"
    looks = f" (it looks like {guess})" if guess else ""
    raise ValidationError(
        f"the file is neither UTF-8 nor GB18030 text{looks}; save it as CSV UTF-8", "encoding"
    )


def _lines(fh: IO[bytes], encoding: str | None) -> tuple[str, Iterator[str]]:
    """The stream's encoding and its lines, decoded; the sample read to tell is not lost."""
    head = fh.read(SAMPLE_BYTES)
    if encoding is None:
        # ASCII says nothing about the encoding: a GBK file may start with English headers and
        # pages of digits. Read on (within a bound) until the first non-ASCII byte, and a little
        # more so that a character is not cut.
        while head.isascii() and len(head) < MAX_ASCII_LOOKAHEAD:
            more = fh.read(SAMPLE_BYTES)
            if not more:
                break
            head += more
    codec = detect_encoding(head, encoding)

    def raw() -> Iterator[bytes]:
        pending = b""
        for line in io.BytesIO(head):
            if line.endswith(b"\n"):
                yield pending + line
                pending = b""
            else:
                pending += line
        for line in fh:
            yield pending + line
            pending = b""
        if pending:
            yield pending

    def decoded() -> Iterator[str]:
        # Neither UTF-8 nor GB18030 ever uses the byte 0x0A inside a character, so lines can be
        # split before decoding. surrogateescape keeps undecodable bytes as lone surrogates; the
        # validators reject those, naming the field, so one bad row does not stop the import.
        first = True
        for line in raw():
            text = line.decode(codec, errors="surrogateescape")
            if first:
                text = text.removeprefix("\ufeff")
                first = False
            yield text

    return codec, decoded()


# ---------------------------------------------------------------- tables


def _csv_cells(fh: IO[bytes], encoding: str | None) -> Iterator[Sequence[str] | ValidationError]:
    _, lines = _lines(fh, encoding)
    reader = csv.reader(lines)
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield ValidationError("row is not valid CSV", None)


def _cell_text(value: object) -> str | ValidationError:
    """A workbook cell as the text a CSV export of it would hold."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            if abs(value) >= _EXACT_FLOAT:
                return ValidationError(
                    "a number too long for a spreadsheet number (format the column as text)", None
                )
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _xlsx_cells(fh: IO[bytes]) -> Iterator[Sequence[str] | ValidationError]:
    import python_calamine  # imported here: only workbook imports pay for it

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(fh)
        sheet = book.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except (python_calamine.CalamineError, ValueError, OSError):
        raise ValidationError("the file is not a readable .xlsx workbook", "format") from None
    for values in rows:
        cells: list[str] = []
        problem: ValidationError | None = None
        for position, value in enumerate(values, 1):
            text = _cell_text(value)
            if isinstance(text, ValidationError):
                problem = problem or ValidationError(f"column {position}: {text.reason}", None)
                text = ""
            cells.append(text)
        yield problem if problem is not None else cells


def _header(cells: Sequence[str], columns: Columns) -> list[str | None]:
    """The column name of each header cell (``None`` for trailing empty ones).

    :raises ValidationError: listing each empty, unknown or repeated header by position.
    """
    texts = [c.strip() for c in cells]
    while texts and not texts[-1]:
        texts.pop()  # Excel's trailing empty column
    names: list[str | None] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for position, text in enumerate(texts, 1):
        name = columns.resolve(text) if text else None
        if not text:
            problems.append(f"column {position}: empty header")
        elif name is None:
            problems.append(f"column {position}: unknown header")
        elif name in seen:
            problems.append(f"column {position}: same column as column {seen[name]}")
        else:
            seen[name] = position
        names.append(name)
    if not texts:
        raise ValidationError("the file has no header row", "header")
    if problems:
        more = len(problems) - MAX_HEADER_PROBLEMS
        listed = "; ".join(problems[:MAX_HEADER_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
        raise ValidationError(
            f"{listed} (the first row must name the columns; download the import template)", "header"
        )
    return names


def _table(cells: Iterator[Sequence[str] | ValidationError]) -> Iterator[RawRow]:
    """Numbered data rows after the header row; rows with no value at all are skipped."""
    number = 0
    for row in cells:
        if not isinstance(row, ValidationError) and not any(c.strip() for c in row):
            continue
        number += 1
        yield number, row


def _mapped(
    header: Sequence[str] | ValidationError, rows: Iterator[RawRow], columns: Columns
) -> Iterator[Row]:
    if isinstance(header, ValidationError):
        raise ValidationError(f"header unreadable: {header.reason}", "header")
    names = _header(header, columns)
    width = len(names)
    for number, cells in rows:
        if isinstance(cells, ValidationError):
            yield number, cells
            continue
        extra = next((i for i in range(width, len(cells)) if cells[i].strip()), None)
        if extra is not None:
            yield number, ValidationError(f"column {extra + 1} has a value but no header", None)
        elif len(cells) < width:
            yield number, ValidationError(f"row has {len(cells)} cells, header has {width}", None)
        else:
            yield number, {n: cells[i] for i, n in enumerate(names) if n is not None}


def _split(
    cells: Iterator[Sequence[str] | ValidationError],
) -> tuple[Sequence[str] | ValidationError, Iterator[RawRow]] | None:
    for first in cells:
        if isinstance(first, ValidationError) or any(c.strip() for c in first):
            return first, _table(cells)
    return None


def read_csv(fh: IO[bytes], columns: Columns = VERBATIM, *, encoding: str | None = None) -> Iterator[Row]:
    parts = _split(_csv_cells(fh, encoding))
    if parts is not None:
        yield from _mapped(parts[0], parts[1], columns)


def read_xlsx(fh: IO[bytes], columns: Columns = VERBATIM) -> Iterator[Row]:
    parts = _split(_xlsx_cells(fh))
    if parts is not None:
        yield from _mapped(parts[0], parts[1], columns)


# ---------------------------------------------------------------- JSON Lines


def _jsonl_lines(fh: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    number = 0
    for raw in fh:
        if raw.strip():
            number += 1
            yield number, raw


def _parse_line(raw: bytes) -> dict[str, object] | ValidationError:
    if len(raw) > MAX_LINE_BYTES:
        return ValidationError("row is larger than 1 MiB", None)
    try:
        obj = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return ValidationError("row is not valid UTF-8", None)
    except RecursionError:
        return ValidationError("row is nested too deeply", None)
    except ValueError:
        return ValidationError("row is not valid JSON", None)
    if not isinstance(obj, dict):
        return ValidationError("row is not a JSON object", None)
    return obj


def read_jsonl(fh: IO[bytes], columns: Columns = VERBATIM) -> Iterator[Row]:
    for number, raw in _jsonl_lines(fh):
        obj = _parse_line(raw)
        if isinstance(obj, ValidationError):
            yield number, obj
            continue
        row: dict[str, object] = {}
        problem: ValidationError | None = None
        for position, (key, value) in enumerate(obj.items(), 1):
            name = columns.resolve(key)
            if name is None or name in row:
                # By position: a key is input, and may be a value typed in the wrong place.
                what = "unknown field" if name is None else "field given twice"
                problem = ValidationError(f"key {position}: {what}", None)
                break
            row[name] = value
        yield number, problem if problem is not None else row


# ---------------------------------------------------------------- entry points


def read_stream(
    fh: IO[bytes], fmt: str, columns: Columns = VERBATIM, *, encoding: str | None = None
) -> Iterator[Row]:
    """Rows from an open binary stream (an upload spool, standard input); workbooks need a
    seekable stream.

    :param columns: the header texts accepted (:meth:`Columns.for_record_type`).
    :param encoding: of a CSV file, when it is not to be detected.
    """
    if fmt == "jsonl":
        return read_jsonl(fh, columns)
    if fmt == "xlsx":
        return read_xlsx(fh, columns)
    return read_csv(fh, columns, encoding=encoding)


def read_rows(
    path: Path, fmt: str, columns: Columns = VERBATIM, *, encoding: str | None = None
) -> Iterator[Row]:
    """Rows from a file, opened lazily and closed when the rows run out."""
    with path.open("rb") as fh:
        yield from read_stream(fh, fmt, columns, encoding=encoding)


# ---------------------------------------------------------------- templates and rejects

#: The column a rejected-rows file adds for what is wrong with each row.
REASON_COLUMN = {"zh": "错误原因", "en": "Problem"}
ROW_COLUMN = {"zh": "行号", "en": "Row"}


def template_csv(
    catalog: Catalog, record_type: str, lang: str = "zh", extra: Iterable[tuple[str, str, str]] = ()
) -> str:
    """An empty import file for ``record_type``: one header row of its columns' labels.

    Owned records start with the owner's ``customer_id``; ``extra`` columns (name, zh, en)
    follow the fields. Written with a BOM so that Excel opens the Chinese headers right.

    :raises ValidationError: unknown record type or language.
    """
    if record_type not in catalog.record_types:
        raise ValidationError("unknown record type", "record_type")
    if lang not in ("zh", "en"):
        raise ValidationError("must be zh or en", "lang")
    rt = catalog.record_types[record_type]
    header: list[str] = []
    if record_type != "customer":
        header.append(ID_COLUMNS[0][1] if lang == "zh" else ID_COLUMNS[0][2])
    header.extend(getattr(f.label, lang) for f in rt.fields.values())
    header.extend(zh if lang == "zh" else en for _, zh, en in extra)
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out, lineterminator="\r\n").writerow(header)
    return out.getvalue()


def write_rejects(
    fh: IO[bytes],
    fmt: str,
    reasons: Mapping[int, Sequence[str]],
    out: IO[str],
    *,
    encoding: str | None = None,
    lang: str = "en",
) -> int:
    """Write the rejected rows of the import file ``fh`` (read again from its start) to ``out``
    as CSV, each as the user wrote it with its row number and reasons, to fix and upload again.

    **Warning:** the output holds the personal information the user supplied. It goes only
    where the user asked (a file they named, the response to their request), never into the
    database, a log or the audit trail.

    :param reasons: row number -> what is wrong with it (as in the import report).
    :returns: the number of rows written.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    out.write("\ufeff")
    labels = (ROW_COLUMN.get(lang, "Row"), REASON_COLUMN.get(lang, "Problem"))
    written = 0
    if fmt == "jsonl":
        writer.writerow([*labels, "JSON"])
        for number, raw in _jsonl_lines(fh):
            if number in reasons:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                writer.writerow([number, "; ".join(reasons[number]), line])
                written += 1
        return written
    parts = _split(_xlsx_cells(fh) if fmt == "xlsx" else _csv_cells(fh, encoding))
    if parts is None:
        writer.writerow(labels)
        return 0
    header, rows = parts
    head = list(header) if not isinstance(header, ValidationError) else []
    while head and not head[-1].strip():
        head.pop()
    writer.writerow([*labels, *head])
    for number, cells in rows:
        if number in reasons:
            values = list(cells) if not isinstance(cells, ValidationError) else []
            if not any(v.strip() for v in values[len(head) :]):
                values = values[: len(head)]  # the trailing empty column, as in the header
            writer.writerow([number, "; ".join(reasons[number]), *_printable(values)])
            written += 1
    return written


def _printable(cells: Sequence[str]) -> list[str]:
    # Undecodable bytes came in as lone surrogates; the output must be writable text.
    return [_SURROGATE.sub("\ufffd", c) for c in cells]
