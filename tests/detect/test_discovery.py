"""Discovery over files and databases (issue 7, point 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from piguard.detect import discovery
from piguard.detect.discovery import FileFinding, scan_database, scan_path, summarize
from piguard.errors import NotFound, StorageError, ValidationError

LINE = "客户张伟来电，手机13812345678"


def test_text_file_findings_have_lines_and_offsets(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text(f"无\n{LINE}\n", encoding="utf-8")
    found = [f.as_dict() for f in scan_path(file)]
    assert found == [
        {
            "path": str(file),
            "line": 2,
            "start": 2,
            "end": 4,
            "type": "person",
            "score": 0.95,
            "reason": "person: pattern=surname+given; cue=role before",
        },
        {
            "path": str(file),
            "line": 2,
            "start": 9,
            "end": 20,
            "type": "mobile",
            "score": 1.0,
            "reason": "mobile: pattern=digits 11; range=mainland mobile; cue=手机",
        },
    ]


def test_gb18030_file(tmp_path: Path) -> None:
    file = tmp_path / "export.log"
    file.write_bytes(LINE.encode("gb18030"))
    assert [f.type for f in scan_path(file)] == ["person", "mobile"]


def test_csv_reports_columns(tmp_path: Path) -> None:
    file = tmp_path / "customers.csv"
    file.write_text('姓名,手机,备注\n张三,13812345678,"卡号6222021234567890128, 已核实"\n', encoding="utf-8")
    found = [(f.column, f.type) for f in scan_path(file)]
    assert ("手机", "mobile") in found
    assert ("备注", "bank_card") in found


def test_jsonl_and_directory_walk(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"note": LINE}, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "skip.bin").write_bytes(b"13812345678")
    found = list(scan_path(tmp_path))
    assert {f.path for f in found} == {str(tmp_path / "a.jsonl")}


def test_xlsx(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "客户"
    sheet.append(["姓名", "手机"])
    sheet.append(["张三", 13812345678])
    file = tmp_path / "list.xlsx"
    book.save(file)
    found = list(scan_path(file))
    assert [(f.line, f.column, f.type, f.masked) for f in found] == [
        (2, "客户!B (手机)", "mobile", "138****5678")
    ]


def test_long_lines_are_streamed_in_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "MAX_CHUNK", 256)
    filler = "无关内容" * 100
    text = filler + "手机13812345678" + filler + "手机13912345678"
    file = tmp_path / "one-line.txt"
    file.write_text(text, encoding="utf-8")
    found = [(f.start, f.end) for f in scan_path(file)]
    expected = [(m, m + 11) for m in (text.index("13812345678"), text.index("13912345678"))]
    assert found == expected


def test_summary_masks_samples(tmp_path: Path) -> None:
    file = tmp_path / "n.txt"
    file.write_text(f"{LINE}\n{LINE}\n", encoding="utf-8")
    rows = {s.type: s.as_dict() for s in summarize(scan_path(file))}
    assert rows["mobile"]["count"] == 2
    assert rows["mobile"]["samples"] == ["138****5678"]
    assert rows["mobile"]["lines"] == [1, 2]
    assert "13812345678" not in json.dumps([r for r in rows.values()], ensure_ascii=False)


def test_missing_path() -> None:
    with pytest.raises(NotFound):
        list(scan_path("/nonexistent/piguard"))


def test_damaged_xlsx(tmp_path: Path) -> None:
    file = tmp_path / "bad.xlsx"
    file.write_bytes(b"not a zip")
    with pytest.raises(ValidationError):
        list(scan_path(file))


def test_database_scan(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table contacts (id integer primary key, phone integer, note text)"))
        conn.execute(sa.text("insert into contacts values (1, 13812345678, '邮箱 a.b@example.com')"))
        conn.execute(sa.text("insert into contacts values (2, null, '无')"))
    engine.dispose()
    found = [(f.table, f.column, f.row, f.type, f.masked) for f in scan_database(url)]
    assert found == [
        ("contacts", "phone", 1, "mobile", "138****5678"),
        ("contacts", "note", 1, "email", "a***@example.com"),
    ]


def test_database_errors_do_not_echo_the_url() -> None:
    with pytest.raises(StorageError) as info:
        list(scan_database("nosuchdriver://user:secret@host/db"))
    assert "secret" not in str(info.value)


def test_json_escapes_are_decoded_and_lines_kept(tmp_path: Path) -> None:
    file = tmp_path / "export.json"
    escaped = json.dumps({"note": LINE})  # ensure_ascii: 客户 is written \u5ba2\u6237
    plain = json.dumps({"phone": 13912345678, "mail": "zhang@example.com"})
    file.write_text(f"[\n{escaped},\n{plain}\n]\n", encoding="utf-8")
    found = [(f.line, f.column, f.type, f.start, f.end, f.masked) for f in scan_path(file)]
    note_at = escaped.index('"', len('{"note": ') - 1)
    assert found == [
        (2, f"decoded@{note_at}", "person", 2, 4, "张*"),
        (2, f"decoded@{note_at}", "mobile", 9, 20, "138****5678"),
        (3, None, "mobile", plain.index("139"), plain.index("139") + 11, "139****5678"),
        (3, None, "email", plain.index("zhang"), plain.index(".com") + 4, "z***@example.com"),
    ]


def test_jsonl_lines_are_decoded(tmp_path: Path) -> None:
    file = tmp_path / "events.jsonl"
    file.write_text(
        json.dumps({"n": 1}) + "\n" + json.dumps({"note": LINE}) + "\n" + "not json 13812345678\n",
        encoding="utf-8",
    )
    assert [(f.line, f.type) for f in scan_path(file)] == [(2, "person"), (2, "mobile"), (3, "mobile")]


def test_bulk_and_thorough_agree_on_files(tmp_path: Path) -> None:
    from piguard.detect.corpus import generate_log

    file = tmp_path / "app.log"
    file.write_text(generate_log(3000, seed=4, pi_share=0.05), encoding="utf-8")
    bulk = [f.as_dict() for f in scan_path(file)]
    thorough = [f.as_dict() for f in scan_path(file, thorough=True)]
    assert bulk == thorough
    assert len(bulk) > 50


def _on_two_workers(monkeypatch: pytest.MonkeyPatch, *, block: int) -> None:
    # Any file is "large": scanned by two workers in blocks of ``block`` bytes.
    monkeypatch.setattr(discovery, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(discovery, "PARALLEL_BLOCK_BYTES", block)
    monkeypatch.setattr(discovery, "_workers", lambda _file: 2)


def _assert_report_is(path: Path, findings: list[FileFinding]) -> None:
    # The report scan_path_report builds equals json.dumps of the findings and their summary.
    report = discovery.Report()
    for part in discovery.scan_path_report(path):
        report.merge(*part)
    assert report.json() == json.dumps(
        {"findings": [f.as_dict() for f in findings], "summary": [s.as_dict() for s in summarize(findings)]},
        ensure_ascii=False,
    )


def test_large_text_file_on_every_core_finds_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19: a large file is scanned by several processes; the findings are the same, in order."""
    from piguard.detect.corpus import generate

    file = tmp_path / "big.txt"
    file.write_text(
        "\n".join(d.text.replace("\n", " ") for d in generate(3000, seed=3)) + "\n", encoding="utf-8"
    )
    serial = list(scan_path(file))
    _on_two_workers(monkeypatch, block=20_000)
    assert list(scan_path(file)) == serial
    assert len(serial) > 5000


@pytest.mark.parametrize("shape", ["gb18030", "crlf", "no final newline", "long lines", "invalid bytes"])
def test_blocks_handed_to_workers_find_the_same_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    """Issue 19: workers decode and split their own blocks of the file; cut only after a line break,
    GBK/GB18030 files, CRLF, a missing final newline and lines longer than a block (and than
    MAX_CHUNK, read in overlapping pieces) give exactly the findings of one process."""
    from piguard.detect.corpus import generate

    lines = [d.text.replace("\n", " ") for d in generate(600, seed=9)]
    if shape == "long lines":
        lines[100] = "，".join(lines[100:160])  # ~10 kB: longer than a block and than MAX_CHUNK below
        lines[400] = "；".join(lines[300:330])
    end = "\r\n" if shape == "crlf" else "\n"
    text = end.join(lines) + ("" if shape == "no final newline" else end)
    file = tmp_path / "notes.txt"
    raw = text.encode("gb18030" if shape == "gb18030" else "utf-8")
    if shape == "invalid bytes":  # A cut character before line breaks, a stray byte, a cut one at the end.
        raw = raw.replace(b"\n", b"\xe6\x89\n", 40).replace("手机".encode(), b"\xff\xfe", 30) + b"\xe5\x8c"
    file.write_bytes(raw)
    monkeypatch.setattr(discovery, "MAX_CHUNK", 3_000)
    serial = list(scan_path(file))
    _on_two_workers(monkeypatch, block=4_000)
    assert list(scan_path(file)) == serial
    assert len(serial) > 1000
    if shape == "long lines":
        assert {f.line for f in serial} >= {101, 401, 600}
    # The report the workers build straight from their blocks: the same JSON and summary.
    _assert_report_is(file, serial)


def test_report_written_by_workers_escapes_like_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19: FilePart writes JSON by hand; a file name with quotes, a backslash, a tab and Chinese, and
    reasons of every type, come out exactly as json.dumps writes them."""
    from piguard.detect.corpus import generate

    file = tmp_path / '客户 "备注"\\\t.txt'
    file.write_text(
        "\n".join(d.text.replace("\n", " ") for d in generate(400, seed=12)) + "\n", encoding="utf-8"
    )
    findings = list(scan_path(file))
    assert len({f.type for f in findings}) >= 8
    _on_two_workers(monkeypatch, block=6_000)
    _assert_report_is(file, findings)


@pytest.mark.parametrize("parallel", [False, True])
def test_report_is_what_the_findings_and_their_summary_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    """Issue 19: the report built batch by batch (in workers for a large file) holds the same JSON
    and the same summary as encoding every finding and summarizing them in one go."""
    from piguard.detect.corpus import generate

    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "big.txt").write_text(
        "\n".join(d.text.replace("\n", " ") for d in generate(1500, seed=5)) + "\n", encoding="utf-8"
    )
    (folder / "sheet.csv").write_text("name,phone\n张伟,13812345678\n李娜,13912345678\n", encoding="utf-8")
    findings = list(scan_path(folder))
    expected = json.dumps(
        {"findings": [f.as_dict() for f in findings], "summary": [s.as_dict() for s in summarize(findings)]},
        ensure_ascii=False,
    )
    monkeypatch.setattr(discovery, "REPORT_BATCH", 97)  # Many parts, samples split among them.
    if parallel:
        _on_two_workers(monkeypatch, block=5_000)
    report = discovery.Report()
    parts = list(discovery.scan_path_report(folder))
    assert len(parts) > 10
    for part in parts:
        report.merge(*part)
    assert report.json() == expected
    summary_only = discovery.Report(encode=False)
    for part in discovery.scan_path_report(folder, encode=False):
        summary_only.merge(*part)
    assert summary_only.summary() == summarize(findings)
    assert '"findings": []' in summary_only.json()
