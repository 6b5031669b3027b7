"""Signed report and bundle verify offline; the PDFs show Chinese text; no customer PI in them;
the record of processing (R-AUD-4)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from piguard.compliance import verify
from piguard.crypto.signature import SigningKey
from tests.access.conftest import ADULT, World
from tests.compliance.conftest import as_role, compliance

pytestmark = pytest.mark.req("R-AUD-4")

CANARY = dict(ADULT, name="诸葛亮明", mobile="13912345670", email="zhuge.canary@example.com")


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def test_the_report_verifies_offline_and_a_changed_byte_fails(world: World, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    compliance(world).report(as_role(world, "auditor"), out=out, formats=("json", "html"))
    key = compliance(world).public_key
    assert verify(out, key)["ok"]
    for name in ("report.json", "report.zh.html", "manifest.json"):
        copy = tmp_path / f"copy-{name}"
        copy.mkdir()
        for f in out.iterdir():
            (copy / f.name).write_bytes(f.read_bytes())
        data = bytearray((copy / name).read_bytes())
        data[len(data) // 2] ^= 0x01
        (copy / name).write_bytes(bytes(data))
        result = verify(copy, key)
        assert not result["ok"], name
    other = SigningKey(b"\x07" * 32).public_raw
    assert "signed with another key than the one trusted" in verify(out, other)["problems"]


def test_the_bundle_verifies_offline_and_holds_no_customer_pi(world: World, tmp_path: Path) -> None:
    """Canary: a customer's name, mobile and email are in no member of the bundle."""
    cid = world.customer(CANARY)
    world.service.erase(as_role(world, "officer"), cid, reason="request")
    bundle = tmp_path / "evidence.zip"
    done = compliance(world).bundle(as_role(world, "auditor"), bundle)
    assert {"report.json", "ropa.json", "destructions.json", "audit_verification.json"} <= set(done["files"])
    key = compliance(world).public_key
    result = verify(bundle, key)
    assert result["ok"] and result["problems"] == [] and result["files"] == len(done["files"])
    raw = bundle.read_bytes()
    with zipfile.ZipFile(bundle) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    for value in (CANARY["name"], CANARY["mobile"], CANARY["email"], CANARY["resident_id"]):
        assert value.encode() not in raw
        for name, data in members.items():
            assert value.encode() not in data, name
    assert json.loads(members["destructions.json"])[0]["records"] >= 1
    # One changed byte of one member: the bundle no longer verifies.
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data.replace(b"ropa", b"ropA", 1) if name == "ropa.json" else data)
    assert verify(tampered, key)["problems"] == ["ropa.json: altered"]


def test_the_pdfs_show_chinese_text_and_no_customer_pi(world: World, tmp_path: Path) -> None:
    """The PDF's extracted text holds the Chinese headings (the CJK font is embedded, not boxes)."""
    world.customer(CANARY)
    out = tmp_path / "rep"
    compliance(world).report(as_role(world, "auditor"), out=out, formats=("pdf",))
    zh, en = pdf_text(out / "report.zh.pdf"), pdf_text(out / "report.en.pdf")
    assert "个人信息保护合规报告" in zh and "逐项要求" in zh
    assert "compliance report" in en and "R-AUD-2" in en
    for value in (CANARY["name"], CANARY["mobile"], CANARY["email"]):
        assert value not in zh and value not in en
    files = compliance(world).ropa_files(compliance(world).ropa(as_role(world, "auditor")), ("pdf",))
    (tmp_path / "ropa.zh.pdf").write_bytes(files["ropa.zh.pdf"])
    assert "个人信息处理活动记录" in pdf_text(tmp_path / "ropa.zh.pdf")


def test_the_ropa_covers_every_purpose_with_live_counts(world: World) -> None:
    cid = world.customer()
    world.consent(cid, "marketing")
    doc = compliance(world).ropa(as_role(world, "auditor"))
    catalog = world.inst.catalog
    assert {a["purpose"] for a in doc["activities"]} == set(catalog.purposes)
    marketing = next(a for a in doc["activities"] if a["purpose"] == "marketing")
    assert marketing["legal_basis"] == "consent"
    assert marketing["data_subjects"] == {"customers": 1, "with_consent": 1}
    assert marketing["recipients"] == []  # the sharing register holds no partner for marketing
    assert all(f["retention"] is not None for a in doc["activities"] for f in a["fields"])
    assert doc["security_measures"]["encryption"] == "aes256-gcm"
    assert doc["security_measures"]["keys_apart_from_data"] is True
