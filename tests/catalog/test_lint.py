"""PIPL lint: each check fires on a catalog built to break it, and never on the shipped default."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from piguard.catalog import Catalog, Finding, default_catalog_path, lint, load_catalog, load_catalog_text


def _load(doc: dict[str, Any]) -> Catalog:
    return load_catalog_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "test.yaml")


def _checks(catalog: Catalog) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in lint(catalog):
        out.setdefault(finding.check, []).append(finding)
    return out


def _only(catalog: Catalog, check: str, rule_id: str) -> Finding:
    found = _checks(catalog)
    assert list(found) == [check], [str(f) for f in lint(catalog)]
    [finding] = found[check]
    assert finding.rule_id == rule_id
    return finding


def _add_field(doc: dict[str, Any], name: str, **spec: Any) -> None:
    doc["record_types"]["customer"]["fields"][name] = {"label": name, **spec}


def test_minimal_and_default_catalogs_are_clean(minimal: dict[str, Any]) -> None:
    assert lint(_load(minimal)) == []
    assert [str(f) for f in lint(load_catalog(default_catalog_path()))] == []


@pytest.mark.req("R-COL-4")
def test_sensitive_field_under_consent_needs_separate_consent(minimal: dict[str, Any]) -> None:
    """R-COL-4: sensitive PI on the consent basis needs a separate consent (PIPL 29)."""
    _add_field(minimal, "health_note", category="health", **{"class": "C2"}, type="text")
    minimal["purposes"]["service"]["legal_basis"] = "consent"
    finding = _only(_load(minimal), "sensitive-without-separate-consent", "R-COL-4")
    assert finding.severity == "error"
    assert finding.path == "purposes.service.separate_consent_for"
    assert "customer.health_note" in finding.message
    minimal["purposes"]["service"]["separate_consent_for"] = ["sensitive"]
    assert lint(_load(minimal)) == []


@pytest.mark.req("R-COL-4")
def test_marketing_may_not_use_sensitive_fields(minimal: dict[str, Any]) -> None:
    """R-COL-4: a marketing purpose touching sensitive PI without separate consent."""
    _add_field(minimal, "room", category="whereabouts", **{"class": "C2"}, type="text")
    minimal["purposes"]["promo"] = {
        "legal_basis": "consent", "marketing": True, "description": "promo", "fields": ["customer.room"],
    }  # fmt: skip
    finding = _only(_load(minimal), "marketing-uses-sensitive", "R-COL-4")
    assert finding.path == "purposes.promo.fields"


@pytest.mark.req("R-COL-9")
def test_marketing_on_another_basis_is_warned(minimal: dict[str, Any]) -> None:
    """R-COL-9: marketing normally rests on consent with an opt-out."""
    minimal["purposes"]["service"]["marketing"] = True
    finding = _only(_load(minimal), "marketing-without-consent", "R-COL-9")
    assert finding.severity == "warning"


@pytest.mark.req("R-COL-1")
def test_purpose_without_legal_basis(minimal: dict[str, Any]) -> None:
    """R-COL-1: no PI without a legal basis."""
    del minimal["purposes"]["service"]["legal_basis"]
    finding = _only(_load(minimal), "no-legal-basis", "R-COL-1")
    assert finding.path == "purposes.service"


@pytest.mark.req("R-COL-3")
def test_field_without_purpose(minimal: dict[str, Any]) -> None:
    """R-COL-3: a field no purpose covers may not be collected."""
    minimal["purposes"]["service"]["fields"] = ["customer.name"]
    finding = _only(_load(minimal), "field-without-purpose", "R-COL-3")
    assert finding.path == "record_types.customer.fields.mobile"


@pytest.mark.req("R-CLS-1")
def test_pipl_sensitive_category_cannot_be_switched_off(minimal: dict[str, Any]) -> None:
    """R-CLS-1: PIPL 28 categories are sensitive."""
    _add_field(minimal, "faith", category="religion", **{"class": "C2"}, type="text", sensitive=False)
    finding = _only(_load(minimal), "pipl-sensitive-category", "R-CLS-1")
    assert finding.path == "record_types.customer.fields.faith.sensitive"
    del minimal["record_types"]["customer"]["fields"]["faith"]
    minimal["categories"] = {"health": {"sensitive_by_default": False}}
    assert _only(_load(minimal), "pipl-sensitive-category", "R-CLS-1").path == (
        "categories.health.sensitive_by_default"
    )


@pytest.mark.req("R-STO-1")
def test_c2_must_be_encrypted(minimal: dict[str, Any]) -> None:
    """R-STO-1: C2/C3 and sensitive PI are encrypted at rest."""
    minimal["classes"] = {"C2": {"encrypt": False}}
    assert _only(_load(minimal), "sensitive-not-encrypted", "R-STO-1").path == "classes.C2.encrypt"


@pytest.mark.req("R-STO-1")
def test_sensitive_field_in_unencrypted_c1(minimal: dict[str, Any]) -> None:
    minimal["classes"] = {"C1": {"encrypt": False}}
    _add_field(minimal, "room", category="whereabouts", **{"class": "C1"}, type="text")
    finding = _only(_load(minimal), "sensitive-not-encrypted", "R-STO-1")
    assert finding.path == "record_types.customer.fields.room"


@pytest.mark.req("R-STO-2")
def test_biometric_fields_are_templates_kept_apart(minimal: dict[str, Any]) -> None:
    """R-STO-2: keep a template, never the raw sample, and apart from identity data."""
    _add_field(minimal, "face", category="biometric", **{"class": "C3"}, type="text")
    found = _checks(_load(minimal))
    assert sorted(found) == ["biometric-beside-identity", "biometric-not-template"]
    assert all(f.severity == "warning" and f.rule_id == "R-STO-2" for fs in found.values() for f in fs)


@pytest.mark.req("R-STO-3")
def test_c3_field_with_a_revealing_mask(minimal: dict[str, Any]) -> None:
    """R-STO-3: C3 is shown only as 'never' or 'redact'."""
    _add_field(minimal, "pin_hash", category="authentication", **{"class": "C3"}, type="text", mask="keep")
    finding = _only(_load(minimal), "c3-exposed", "R-STO-3")
    assert finding.path == "record_types.customer.fields.pin_hash.mask"


@pytest.mark.req("R-STO-3")
def test_c3_field_shown_through_a_role_mask(minimal: dict[str, Any]) -> None:
    _add_field(minimal, "pin_hash", category="authentication", **{"class": "C3"}, type="text")
    minimal["roles"]["agent"]["access"].append(
        {"selector": "customer.pin_hash", "level": "masked", "mask": "keep", "mask_options": {"last": 2}}
    )
    finding = _only(_load(minimal), "c3-exposed", "R-STO-3")
    assert finding.path == "roles.agent.access.1"


@pytest.mark.req("R-STO-3", "R-USE-2")
def test_c3_in_clear_is_reported_on_catalogs_built_in_code(minimal: dict[str, Any]) -> None:
    """R-STO-3 and R-USE-2: the loader refuses these; lint still reports them on models built directly."""
    _add_field(minimal, "pin_hash", category="authentication", **{"class": "C3"}, type="text")
    minimal["roles"]["agent"]["access"].append({"selector": "class:C3", "level": "clear"})
    found = _checks(Catalog.model_validate(minimal))
    assert sorted(found) == ["c3-exposed", "clear-sensitive-without-totp"]
    assert found["c3-exposed"][0].path == "roles.agent.access.1"
    assert found["clear-sensitive-without-totp"][0].path == "roles.agent.requires_totp"


@pytest.mark.req("R-STO-5")
def test_retention_missing(minimal: dict[str, Any]) -> None:
    """R-STO-5: every record has a retention deadline."""
    del minimal["record_types"]["customer"]["retention"]
    minimal["record_types"]["customer"]["fields"]["name"]["retention"] = "keep_3y"
    finding = _only(_load(minimal), "retention-missing", "R-STO-5")
    assert finding.path == "record_types.customer.fields.mobile"


@pytest.mark.req("R-STO-5")
def test_retention_below_the_purpose_floor(minimal: dict[str, Any]) -> None:
    """R-STO-5: AML data is kept at least 10 years (AML 34)."""
    minimal["purposes"]["aml_kyc"] = {
        "legal_basis": "legal_obligation", "description": "KYC", "fields": ["customer.name"],
        "retention_floor_years": 10,
    }  # fmt: skip
    finding = _only(_load(minimal), "retention-below-floor", "R-STO-5")
    assert finding.path == "record_types.customer.fields.name.retention"
    minimal["retention_rules"]["aml_10y"] = {"duration_days": 3653, "anchor": "relationship_end"}
    minimal["record_types"]["customer"]["fields"]["name"]["retention"] = "aml_10y"
    assert lint(_load(minimal)) == []


@pytest.mark.req("R-STO-5")
def test_retention_rule_below_its_own_floor(minimal: dict[str, Any]) -> None:
    minimal["retention_rules"]["keep_3y"]["legal_floor_years"] = 5
    finding = _only(_load(minimal), "retention-below-floor", "R-STO-5")
    assert finding.path == "retention_rules.keep_3y"


@pytest.mark.req("R-USE-3")
def test_export_needs_a_quota(minimal: dict[str, Any]) -> None:
    """R-USE-3: bulk export is limited per role."""
    minimal["roles"]["agent"]["actions"] = ["read", "export"]
    finding = _only(_load(minimal), "export-without-quota", "R-USE-3")
    assert finding.path == "roles.agent.quotas"
    minimal["roles"]["agent"]["quotas"] = {"max_export_rows": 1000}
    assert lint(_load(minimal)) == []


@pytest.mark.req("R-USE-2")
def test_approver_without_approvees(minimal: dict[str, Any]) -> None:
    minimal["roles"]["agent"]["actions"] = ["read", "approve"]
    assert _only(_load(minimal), "approver-without-approvees", "R-USE-2").severity == "warning"


@pytest.mark.req("R-USE-1")
def test_administrator_seeing_clear_data(minimal: dict[str, Any]) -> None:
    """R-USE-1: administration and data access are kept apart (seed: audit DBA operations)."""
    minimal["roles"]["agent"]["actions"] = ["administer"]
    minimal["roles"]["agent"]["access"] = [{"selector": "customer.name", "level": "clear"}]
    finding = _only(_load(minimal), "administrator-sees-clear", "R-USE-1")
    assert "customer.name" in finding.message


@pytest.mark.req("R-USE-1")
def test_clear_everything(minimal: dict[str, Any]) -> None:
    """R-USE-1: least privilege."""
    minimal["roles"]["agent"]["access"] = [{"selector": "*", "level": "clear"}]
    assert _only(_load(minimal), "clear-everything", "R-USE-1").path == "roles.agent.access.0"


def test_errors_come_before_warnings(minimal: dict[str, Any]) -> None:
    minimal["roles"]["agent"]["access"] = [{"selector": "*", "level": "clear"}]
    minimal["purposes"]["service"]["fields"] = ["customer.name"]
    severities = [f.severity for f in lint(_load(minimal))]
    assert severities == ["error", "warning"]


@pytest.mark.parametrize("severity", ["error", "warning"])
def test_finding_prints_its_rule(severity: str) -> None:
    finding = Finding(severity, "roles.x", "R-USE-3", "no quota", "export-without-quota")  # type: ignore[arg-type]
    assert str(finding) == f"{severity}: roles.x: no quota [R-USE-3 export-without-quota]"
