"""Imports as people make them (issue 11 §15): real files written here, imported through the gate.

UTF-8 with a BOM, GBK and GB18030, CRLF, a trailing empty column, ``.xlsx`` (written with
openpyxl, read with python-calamine), headers in Chinese through the catalog's labels, the
template per record type, a dry run, the rejected-rows file, and messages that name the
offending character without the value.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml

from piguard.catalog import load_catalog_text, profile_path
from piguard.errors import CatalogError, ValidationError
from piguard.gate import RequestContext
from piguard.readers import Columns, read_rows, template_csv, write_rejects
from piguard.vault.model import ImportReport
from tests.access.conftest import SETUP, World, make_world
from tests.consent.conftest import publish_shipped

RID = "110105199003070180"


def _import(world: World, path: Path, fmt: str = "csv", *, dry_run: bool = False, **kw: str) -> ImportReport:
    columns = Columns.for_record_type(world.inst.catalog, "customer")
    report: ImportReport = world.service.import_rows(
        RequestContext(SETUP, "service"), "customer", read_rows(path, fmt, columns, **kw), dry_run=dry_run
    )
    return report


def _names(world: World, ids: list[str]) -> list[str | None]:
    return [world.inst.vault.read("customer", cid).values.get("name") for cid in ids]


def test_utf8_bom_crlf_and_trailing_empty_column_import(world: World, tmp_path: Path) -> None:
    """What Excel's "CSV UTF-8" writes: a BOM, CRLF, and the empty column after the last header."""
    path = tmp_path / "excel.csv"
    text = "姓名,手机号码,\r\n张三,13800138000,\r\n李四,13800138001,\r\n,,\r\n"
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    report = _import(world, path)
    assert report.rejected == [] and report.accepted == 2
    assert _names(world, report.ids) == ["张三", "李四"]


def test_value_under_a_column_without_header_is_rejected_by_position(world: World, tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("name,mobile\n张三,13800138000,13900000000\n", encoding="utf-8")
    report = _import(world, path)
    assert [(r.row, r.reason) for r in report.rejected] == [(1, "column 3 has a value but no header")]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_and_gb18030_csv_are_detected(world: World, tmp_path: Path, encoding: str) -> None:
    # 䶮 (U+4DAE) is in GB18030 but not GBK: a GB18030 file is read as GB18030, not as GBK.
    name = "王䶮" if encoding == "gb18030" else "欧阳娜娜"
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(f"姓名,手机号码,居民身份证号码\r\n{name},13800138000,{RID}\r\n".encode(encoding))
    report = _import(world, path)
    assert report.rejected == [] and _names(world, report.ids) == [name]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("Name\r\nJosé Müller\r\n".encode("cp1252"), "neither UTF-8 nor GB18030"),
        ("姓名\r\n张三\r\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_file_in_another_encoding_is_refused_saying_what_it_is(
    world: World, tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "other.csv"
    path.write_bytes(content)
    with pytest.raises(ValidationError) as caught:
        _import(world, path)
    assert caught.value.field == "encoding" and says in caught.value.reason
    assert "Müller" not in str(caught.value) and "张三" not in str(caught.value)


def test_headers_map_through_the_catalogs_zh_and_en_labels(world: World, tmp_path: Path) -> None:
    """zh labels, en labels in any case, full-width forms and spaces: all name the same fields."""
    path = tmp_path / "labels.csv"
    path.write_text(
        f"Ｎａｍｅ, MOBILE NUMBER ,居民身份证号码,会员等级\n张三,13800138000,{RID},gold\n", encoding="utf-8"
    )
    report = _import(world, path)
    assert report.rejected == [], report.rejected
    record = world.inst.vault.read("customer", report.ids[0]).values
    assert record["mobile"] == "13800138000" and record["resident_id"] == RID
    assert record["membership_level"] == "gold"


def test_header_problem_refuses_the_whole_file_with_nothing_written(world: World, tmp_path: Path) -> None:
    path = tmp_path / "bad-header.csv"
    path.write_text("姓名,姓名,鞋码\n张三,张三,42\n", encoding="utf-8")
    before = world.inst.vault.key_status()
    with pytest.raises(ValidationError) as caught:
        _import(world, path)
    assert caught.value.reason.startswith("column 2: same column as column 1; column 3: unknown header")
    assert "鞋码" not in str(caught.value)
    assert world.inst.vault.key_status() == before


def test_xlsx_workbook_imports_with_numbers_and_dates(world: World, tmp_path: Path) -> None:
    """A workbook: mobiles typed as numbers, a date cell, IDs as text; an ID typed as a number has
    lost digits in the workbook and is rejected with the column, never the value."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "手机号码", "出生日期", "居民身份证号码"])
    sheet.append(["张三", 13800138000, date(1990, 3, 7), RID])
    sheet.append(["李四", 13800138001, None, None])
    sheet.append(["王五", 13800138002, None, 110105199003070180])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    report = _import(world, path, "xlsx")
    assert report.accepted == 2
    assert [(r.row, r.reason) for r in report.rejected] == [
        (3, "column 4: a number too long for a spreadsheet number (format the column as text)")
    ]
    first = world.inst.vault.read("customer", report.ids[0]).values
    assert first["mobile"] == "13800138000" and first["birth_date"] == "1990-03-07"


def test_template_per_record_type_lists_the_labels_and_imports_back(world: World, tmp_path: Path) -> None:
    catalog = world.inst.catalog
    zh = template_csv(catalog, "customer", "zh")
    assert zh.startswith("\ufeff姓名,性别,出生日期,居民身份证号码,手机号码")
    en = template_csv(catalog, "hotel_stay", "en")
    assert en == "\ufeffCustomer ID,Room number,Check-in date,Check-out date,Number of guests\r\n"
    # The template, filled in by a user, imports as it is.
    header = zh.removeprefix("\ufeff").strip().split(",")
    row = {"姓名": "张三", "手机号码": "13800138000"}
    path = tmp_path / "filled.csv"
    path.write_text(zh + ",".join(row.get(h, "") for h in header) + "\r\n", encoding="utf-8")
    report = _import(world, path)
    assert report.rejected == [] and report.accepted == 1
    with pytest.raises(ValidationError):
        template_csv(catalog, "no_such_type", "zh")


@pytest.mark.req("R-AUD-1")
def test_dry_run_checks_every_row_writes_nothing_and_is_audited_r_aud_1(world: World, tmp_path: Path) -> None:
    publish_shipped(world.inst.consent)
    existing = world.customer()
    fresh = "C00000000000000aa"
    path = tmp_path / "dry.csv"
    path.write_text(
        "customer_id,name,mobile,consent_channel,consent_evidence_ref\n"
        f"{fresh},张三,13800138000,paper_form,FORM-1\n"
        f"{existing},李四,13800138001,,\n"  # id already taken
        ",王<五,13800138002,,\n"  # bad name
        f"{fresh},赵六,13800138003,,\n",  # the same id twice in one file
        encoding="utf-8",
    )
    before = world.inst.vault.key_status()
    report = _import(world, path, dry_run=True)
    assert report.accepted == 1 and report.ids == []
    assert sorted((r.row, r.field, r.reason) for r in report.rejected) == [
        (2, "customer_id", "id already exists"),
        (3, "name", "contains '<' at position 2, not allowed in a name"),
        (4, "customer_id", "id already exists"),
    ]
    # Nothing written: no record, no key, no consent.
    assert world.inst.vault.key_status() == before
    assert not world.inst.vault.exists(fresh)
    assert world.inst.consent.history(fresh) == []
    summary = [e for e in world.recorder.events if e.action == "import_summary"]
    assert summary[-1].detail == {"accepted": 1, "rejected": 3, "dry_run": True}
    assert not [e for e in world.recorder.events if e.action == "import" and e.customer_id == fresh]
    # The same file for real stores what the dry run said it would.
    real = _import(world, path)
    assert real.accepted == 1 and sorted(r.row for r in real.rejected) == [2, 3, 4]
    assert world.inst.vault.exists(fresh) and world.inst.consent.history(fresh)


@pytest.mark.req("R-VAL-1")
def test_validation_message_names_the_offending_character_not_the_value_r_val_1(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "chars.csv"
    path.write_text(
        "name,mobile\n欧阳<娜娜,13800138000\n张\x07三,13800138001\n李四,138 0013 800O\n", encoding="utf-8"
    )
    report = _import(world, path)
    reasons = [(r.row, r.field, r.reason) for r in report.rejected]
    assert reasons == [
        (1, "name", "contains '<' at position 3, not allowed in a name"),
        (2, "name", "contains control characters (U+0007 at position 2)"),
        (3, "mobile", "contains 'O' at position 13, not a digit"),
    ]
    assert not any("欧阳" in r or "娜娜" in r for _, _, r in reasons)


def test_rejected_rows_file_holds_the_rows_and_reasons_to_fix_and_reimport(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "姓名,手机号码,电子邮箱,\r\n张三,13800138000,a@example.com,\r\n李<四,12012345678,bad@@x,\r\n".encode(
            "gbk"
        )
    )
    report = _import(world, path)
    assert report.accepted == 1 and [r.row for r in report.rejected] == [2]
    reasons: dict[int, list[str]] = {}
    for rejection in report.rejected:
        reasons.setdefault(rejection.row, []).append(f"{rejection.field}: {rejection.reason}")
    out = io.StringIO()
    with path.open("rb") as fh:
        assert write_rejects(fh, "csv", reasons, out, lang="zh") == 1
    text = out.getvalue()
    assert text.startswith("\ufeff行号,错误原因,姓名,手机号码,电子邮箱\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[1] == [
        "2",
        "name: contains '<' at position 2, not allowed in a name",
        "李<四",
        "12012345678",
        "bad@@x",
    ]
    # Fixed by the user and uploaded again: the row and reason columns are dropped first.
    fixed = tmp_path / "fixed.csv"
    out = io.StringIO()
    csv.writer(out).writerows([r[2:] for r in rows])
    fixed.write_text(out.getvalue().replace("李<四", "李四"), encoding="utf-8")
    again = _import(world, fixed)
    assert again.accepted == 0 and [r.field for r in again.rejected] == ["mobile"]


@pytest.mark.req("R-VAL-1")
def test_name_allow_list_is_a_catalog_setting_per_field_r_val_1(
    tmp_path: Path, environ: dict[str, str]
) -> None:
    """``Robert'); DROP TABLE customers;--``: refused by the default allow-list (naming the first
    character outside it), accepted where the catalog sets ``allow_symbols`` for the field."""
    hostile = "Robert'); DROP TABLE customers;--"
    doc = yaml.safe_load(profile_path("default").read_text(encoding="utf-8"))
    doc["record_types"]["customer"]["fields"]["name"]["type_options"] = {"allow_symbols": True}
    open_catalog = tmp_path / "open-names.yaml"
    open_catalog.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    path = tmp_path / "hostile.csv"
    path.write_text(f'name,mobile\n"{hostile}",13800138000\n', encoding="utf-8")

    strict = make_world(tmp_path / "strict", environ)
    try:
        report = _import(strict, path)
        assert [r.reason for r in report.rejected] == ["contains ')' at position 8, not allowed in a name"]
    finally:
        strict.inst.close()
    relaxed = make_world(tmp_path / "relaxed", environ, catalog_file=open_catalog)
    try:
        report = _import(relaxed, path)
        assert report.rejected == [] and _names(relaxed, report.ids) == [hostile]
    finally:
        relaxed.inst.close()


def test_gbk_file_starting_with_pages_of_ascii_is_still_read_as_gbk(world: World, tmp_path: Path) -> None:
    """English headers and many ASCII-only rows first: the encoding is told from the first
    non-ASCII bytes, however far in (within 16 MiB), not from an all-ASCII sample."""
    letters = "abcdefghij"
    rows = "".join(
        f"Li {''.join(letters[int(d)] for d in f'{n:04d}')},1380013{n:04d}\r\n" for n in range(6000)
    )
    path = tmp_path / "late-gbk.csv"
    path.write_bytes(("name,mobile\r\n" + rows + "张三,13900000000\r\n").encode("gbk"))
    assert path.stat().st_size > 64 << 10
    report = _import(world, path)
    assert report.rejected == [] and report.accepted == 6001
    assert _names(world, report.ids[-1:]) == ["张三"]


def test_headers_people_type_map_through_the_fields_aliases(world: World, tmp_path: Path) -> None:
    """手机 and 身份证号 are what people write, not the labels 手机号码 and 居民身份证号码."""
    path = tmp_path / "aliases.csv"
    path.write_bytes(f"姓名,手机,身份证号,邮箱\r\n张三,13800138000,{RID},z@example.com\r\n".encode("gbk"))
    report = _import(world, path)
    assert report.rejected == []
    record = world.inst.vault.read("customer", report.ids[0]).values
    assert record["mobile"] == "13800138000" and record["resident_id"] == RID


def test_an_alias_naming_two_fields_is_refused_when_the_catalog_loads(tmp_path: Path) -> None:
    doc = yaml.safe_load(profile_path("default").read_text(encoding="utf-8"))
    doc["record_types"]["customer"]["fields"]["email"]["aliases"] = ["手机"]
    with pytest.raises(CatalogError) as caught:
        load_catalog_text(yaml.safe_dump(doc, allow_unicode=True))
    assert "header '手机' would name both" in str(caught.value)
