"""``piguard catalog fields|purposes|roles`` list what a catalog declares (issue 11, item 19)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from piguard.catalog import load_catalog, profile_path
from piguard.cli.main import app

runner = CliRunner()


def _json(*args: str) -> dict[str, list[dict[str, object]]]:
    result = runner.invoke(app, ["catalog", *args, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert isinstance(doc, dict)
    return doc


def test_catalog_fields_lists_type_class_mask_and_purposes() -> None:
    rows = {f"{r['record_type']}.{r['field']}": r for r in _json("fields", "--profile", "default")["fields"]}
    catalog = load_catalog(profile_path("default"))
    assert len(rows) == len(catalog.iter_fields())
    mobile = rows["customer.mobile"]
    assert (mobile["type"], mobile["class"], mobile["mask"]) == ("mobile", "C2", "mobile")
    assert mobile["label"] == {"zh": "手机号码", "en": "Mobile number"}
    assert "service" in mobile["purposes"] and "marketing" in mobile["purposes"]  # type: ignore[operator]
    assert rows["bank_account.account_no"]["retention"] == "aml_kyc_10y"


def test_catalog_purposes_lists_legal_basis_and_retention() -> None:
    rows = {r["purpose"]: r for r in _json("purposes", "--profile", "default")["purposes"]}
    assert rows["marketing"]["legal_basis"] == "consent" and rows["marketing"]["marketing"] is True
    assert rows["aml_kyc"]["legal_basis"] == "legal_obligation"
    assert rows["aml_kyc"]["retention_floor_years"] == 10
    assert "until_withdrawal" in rows["marketing"]["retention"]  # type: ignore[operator]
    assert "customer.marketing_tags" in rows["marketing"]["fields"]  # type: ignore[operator]


def test_catalog_roles_lists_actions_and_per_field_levels() -> None:
    rows = {r["role"]: r for r in _json("roles", "--profile", "default")["roles"]}
    finance, cs = rows["finance"], rows["customer_service"]
    assert finance["levels"]["bank_account.account_no"] == "clear"  # type: ignore[index]
    assert finance["clear_needs"]["bank_account.account_no"] == "grant"  # type: ignore[index]
    assert finance["ask"]["bank_account.account_no"] == ["officer"]  # type: ignore[index]
    assert cs["levels"]["bank_account.account_no"] == "deny"  # type: ignore[index]
    assert cs["levels"]["customer.mobile"] == "masked"  # type: ignore[index]
    assert "approve" in rows["officer"]["actions"]  # type: ignore[operator]
    assert "customer_service" in rows["officer"]["can_approve"]  # type: ignore[operator]
    assert rows["admin"]["levels"] and set(rows["admin"]["levels"].values()) == {"deny"}  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang, label", [("zh", "手机号码"), ("en", "Mobile number")])
def test_catalog_fields_prints_labels_in_the_chosen_language(lang: str, label: str) -> None:
    result = runner.invoke(app, ["catalog", "fields", "--profile", "default", "--lang", lang])
    assert result.exit_code == 0, result.output
    assert label in result.stdout and "customer.mobile" in result.stdout


def test_catalog_listing_reads_the_homes_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("PIGUARD_HOME", str(home))
    for name in ("PIGUARD_DATABASE_URL", "PIGUARD_MASTER_KEY", "PIGUARD_MASTER_KEY_FILE", "PIGUARD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["init", "--profile", "hotel", "--json"]).exit_code == 0
    rows = _json("fields")["fields"]
    assert {r["record_type"] for r in rows} == set(load_catalog(profile_path("hotel")).record_types)
    missing = runner.invoke(app, ["catalog", "roles", "--file", str(tmp_path / "nope.yaml"), "--json"])
    assert missing.exit_code != 0 and "error" in json.loads(missing.stdout)
