"""Loading: defaults, derived purposes and errors that name the file and the path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from piguard.catalog import Catalog, load_catalog, load_catalog_text
from piguard.errors import CatalogError

FILE = "test.yaml"


def _text(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _load(doc: dict[str, Any]) -> Catalog:
    return load_catalog_text(_text(doc), FILE)


def _error(doc: dict[str, Any]) -> CatalogError:
    with pytest.raises(CatalogError) as info:
        _load(doc)
    assert info.value.file == FILE
    assert str(info.value).startswith(f"{FILE}: ")
    return info.value


def test_minimal_catalog_loads(minimal: dict[str, Any]) -> None:
    catalog = _load(minimal)
    assert catalog.tenant == "default"
    assert catalog.field("customer", "mobile").name == "mobile"
    assert catalog.purposes["service"].name == "service"


def test_unknown_key_names_its_path(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["customer"]["fields"]["mobile"]["colour"] = "red"
    error = _error(minimal)
    assert error.path == "record_types.customer.fields.mobile.colour"
    assert "unknown key" in error.reason


def test_unknown_top_level_key(minimal: dict[str, Any]) -> None:
    minimal["sections"] = {}
    assert _error(minimal).path == "sections"


def test_unknown_type(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["customer"]["fields"]["mobile"]["type"] = "cellphone"
    error = _error(minimal)
    assert error.path == "record_types.customer.fields.mobile.type"
    assert "unknown value type 'cellphone'" in error.reason


def test_bad_type_options(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["customer"]["fields"]["mobile"]["type_options"] = {"max_length": 3}
    error = _error(minimal)
    assert error.path == "record_types.customer.fields.mobile.type_options"
    assert "max_length" in error.reason


def test_unknown_mask(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["customer"]["fields"]["mobile"]["mask"] = "blur"
    error = _error(minimal)
    assert error.path == "record_types.customer.fields.mobile.mask"
    assert "unknown mask 'blur'" in error.reason


def test_bad_mask_options(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["customer"]["fields"]["mobile"]["mask_options"] = {"keep_last": 9}
    error = _error(minimal)
    assert error.path == "record_types.customer.fields.mobile.mask_options"


def test_unknown_mask_in_role_override(minimal: dict[str, Any]) -> None:
    minimal["roles"]["agent"]["access"][0]["mask"] = "blur"
    assert _error(minimal).path == "roles.agent.access.0.mask"


def test_purpose_referencing_unknown_field(minimal: dict[str, Any]) -> None:
    minimal["purposes"]["service"]["fields"] = ["customer.name", "customer.fax"]
    error = _error(minimal)
    assert error.path == "purposes.service.fields.1"
    assert "unknown field 'customer.fax'" in error.reason


def test_purpose_referencing_unknown_record_type(minimal: dict[str, Any]) -> None:
    minimal["purposes"]["service"]["fields"] = ["invoice.*"]
    assert "unknown record type 'invoice'" in _error(minimal).reason


@pytest.mark.req("R-COL-3")
def test_purpose_may_not_take_everything(minimal: dict[str, Any]) -> None:
    """R-COL-3: a purpose names fields, record types or categories, never '*'."""
    minimal["purposes"]["service"]["fields"] = ["*"]
    error = _error(minimal)
    assert error.path == "purposes.service.fields"
    assert "too broad" in error.reason


def test_role_referencing_unknown_purpose(minimal: dict[str, Any]) -> None:
    minimal["roles"]["agent"]["purposes"] = ["service", "telepathy"]
    error = _error(minimal)
    assert error.path == "roles.agent.purposes"
    assert "unknown purpose 'telepathy'" in error.reason


def test_role_approving_unknown_role(minimal: dict[str, Any]) -> None:
    minimal["roles"]["agent"]["can_approve"] = ["ghost"]
    assert _error(minimal).path == "roles.agent.can_approve"


def test_role_selector_naming_unknown_field(minimal: dict[str, Any]) -> None:
    minimal["roles"]["agent"]["access"].append({"selector": "customer.fax", "level": "masked"})
    assert _error(minimal).path == "roles.agent.access.1.selector"


def test_bad_selector_syntax(minimal: dict[str, Any]) -> None:
    minimal["roles"]["agent"]["access"].append({"selector": "category:gossip", "level": "masked"})
    error = _error(minimal)
    assert error.path == "roles.agent.access.1.selector"
    assert "unknown category 'gossip'" in error.reason


def test_unknown_retention_rule(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["customer"]["fields"]["name"]["retention"] = "forever"
    error = _error(minimal)
    assert error.path == "record_types.customer.fields.name.retention"
    assert "unknown retention rule 'forever'" in error.reason


def test_bad_yaml_names_the_line() -> None:
    text = "version: 1\nname: x\npurposes:\n  service: [unclosed\nrecord_types: {}\n"
    with pytest.raises(CatalogError) as info:
        load_catalog_text(text, FILE)
    assert info.value.file == FILE
    assert "invalid YAML" in info.value.reason
    assert "line 5" in info.value.reason


def test_duplicate_key_is_refused() -> None:
    with pytest.raises(CatalogError, match=r"line 3, column 1: duplicate key 'name'"):
        load_catalog_text("version: 1\nname: a\nname: b\n", FILE)


def test_document_must_be_a_mapping() -> None:
    with pytest.raises(CatalogError, match="must be a YAML mapping"):
        load_catalog_text("- 1\n- 2\n", FILE)


def test_shape_errors_carry_the_line(minimal: dict[str, Any]) -> None:
    text = _text(minimal).replace("category: contact", "category: contcat")
    with pytest.raises(CatalogError) as info:
        load_catalog_text(text, FILE)
    assert info.value.path == "record_types.customer.fields.mobile.category"
    assert "got 'contcat'" in info.value.reason
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "contcat" in row)
    assert f"(line {line})" in info.value.reason


@pytest.mark.req("R-STO-3")
def test_c3_with_clear_access_is_refused(minimal: dict[str, Any]) -> None:
    """R-STO-3: no role sees C3 data in clear; a load-time error."""
    minimal["record_types"]["customer"]["fields"]["pin_hash"] = {
        "label": "PIN", "category": "authentication", "class": "C3", "type": "text",
    }  # fmt: skip
    minimal["roles"]["agent"]["requires_totp"] = True
    minimal["roles"]["agent"]["access"].append({"selector": "class:C3", "level": "clear"})
    error = _error(minimal)
    assert error.path == "roles.agent.access.1"
    assert "C3" in error.reason and "pin_hash" in error.reason


@pytest.mark.req("R-USE-2")
def test_clear_sensitive_access_needs_totp(minimal: dict[str, Any]) -> None:
    """R-USE-2 / brief §4: clear access to sensitive data requires the second factor."""
    minimal["record_types"]["customer"]["fields"]["room"] = {
        "label": "Room", "category": "whereabouts", "class": "C2", "type": "text",
    }  # fmt: skip
    minimal["roles"]["agent"]["access"].append({"selector": "customer.room", "level": "clear"})
    error = _error(minimal)
    assert error.path == "roles.agent.requires_totp"
    assert "customer.room" in error.reason
    minimal["roles"]["agent"]["requires_totp"] = True
    _load(minimal)


def test_c3_class_cannot_be_unencrypted(minimal: dict[str, Any]) -> None:
    minimal["classes"] = {"C3": {"encrypt": False}}
    error = _error(minimal)
    assert error.path == "classes.C3"
    assert "always encrypted" in error.reason


def test_field_purposes_are_derived_not_written(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["customer"]["fields"]["name"]["purposes"] = ["service"]
    error = _error(minimal)
    assert error.path == "record_types.customer.fields.name.purposes"
    assert "derived" in error.reason


def test_unsupported_version(minimal: dict[str, Any]) -> None:
    minimal["version"] = 2
    error = _error(minimal)
    assert error.path == "version"
    assert "unsupported catalog schema version 2" in error.reason


def test_customer_record_type_is_required(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["client"] = minimal["record_types"].pop("customer")
    minimal["purposes"]["service"]["fields"] = ["client.*"]
    assert "'customer'" in _error(minimal).reason


def test_missing_required_key(minimal: dict[str, Any]) -> None:
    del minimal["record_types"]["customer"]["fields"]["name"]["type"]
    error = _error(minimal)
    assert error.path == "record_types.customer.fields.name.type"
    assert error.reason.startswith("required key missing")


def test_several_errors_are_counted(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["customer"]["fields"]["name"]["colour"] = "red"
    minimal["record_types"]["customer"]["fields"]["mobile"]["colour"] = "blue"
    assert "(and 1 more problem)" in _error(minimal).reason


def test_retention_rule_needs_exactly_one_duration(minimal: dict[str, Any]) -> None:
    minimal["retention_rules"]["keep_3y"]["duration_days"] = 30
    error = _error(minimal)
    assert error.path == "retention_rules.keep_3y"
    assert "exactly one" in error.reason


def test_load_catalog_reads_a_file(tmp_path: Path, minimal: dict[str, Any]) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(_text(minimal), encoding="utf-8")
    assert load_catalog(path).name == "minimal"


def test_load_catalog_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(CatalogError, match="cannot read") as info:
        load_catalog(path)
    assert info.value.file == str(path)


@pytest.mark.req("R-CLS-1")
def test_sensitivity_defaults_from_category(minimal: dict[str, Any]) -> None:
    """R-CLS-1: a field's sensitive flag comes from its category unless set."""
    fields = minimal["record_types"]["customer"]["fields"]
    fields["room"] = {"label": "Room", "category": "whereabouts", "class": "C2", "type": "text"}
    fields["faith"] = {"label": "Faith", "category": "religion", "class": "C2", "type": "text"}
    fields["id_no"] = {
        "label": "ID", "category": "identity", "class": "C2", "type": "resident_id", "sensitive": True,
    }  # fmt: skip
    catalog = _load(minimal)
    assert catalog.field("customer", "room").sensitive
    assert catalog.field("customer", "faith").sensitive
    assert not catalog.field("customer", "mobile").sensitive
    assert catalog.field("customer", "id_no").sensitive


@pytest.mark.req("R-CLS-1")
def test_catalog_may_reclassify_a_non_pipl_category(minimal: dict[str, Any]) -> None:
    """R-CLS-1: category settings live in the catalog."""
    minimal["categories"] = {"contact": {"sensitive_by_default": True}}
    catalog = _load(minimal)
    assert catalog.field("customer", "mobile").sensitive
    assert catalog.categories["contact"].sensitive_by_default
    assert catalog.categories["whereabouts"].sensitive_by_default  # built-in default kept


@pytest.mark.req("R-CLS-3")
def test_mask_and_retention_come_from_the_class(minimal: dict[str, Any]) -> None:
    """R-CLS-3: masking and retention are looked up from the class, not written per field."""
    minimal["retention_rules"]["c3_1y"] = {"duration_years": 1, "anchor": "collected"}
    minimal["classes"] = {"C3": {"default_retention": "c3_1y"}, "C2": {"default_mask": "keep",
                          "default_mask_options": {"last": 2}}}  # fmt: skip
    fields = minimal["record_types"]["customer"]["fields"]
    fields["pin_hash"] = {"label": "PIN", "category": "authentication", "class": "C3", "type": "text"}
    fields["nickname"] = {"label": "Nick", "category": "identity", "class": "C2", "type": "text"}
    del minimal["record_types"]["customer"]["retention"]
    minimal["record_types"]["customer"]["fields"]["name"]["retention"] = "keep_3y"
    minimal["record_types"]["customer"]["fields"]["mobile"]["retention"] = "keep_3y"
    minimal["record_types"]["customer"]["fields"]["nickname"]["retention"] = "keep_3y"
    catalog = _load(minimal)
    pin = catalog.field("customer", "pin_hash")
    assert (pin.mask, pin.retention) == ("never", "c3_1y")
    nickname = catalog.field("customer", "nickname")
    assert (nickname.mask, nickname.mask_options) == ("keep", {"last": 2})
    assert catalog.field("customer", "mobile").mask == "mobile"  # an explicit mask wins
    assert catalog.classes["C3"].clear_requires_approval  # built-in C3 policy kept
    assert not catalog.classes["C3"].export_allowed


def test_retention_defaults_from_record_type(minimal: dict[str, Any]) -> None:
    catalog = _load(minimal)
    assert catalog.field("customer", "name").retention == "keep_3y"


@pytest.mark.req("R-COL-3", "R-USE-5")
def test_purposes_are_derived_from_selectors(minimal: dict[str, Any]) -> None:
    """R-COL-3, R-USE-5: a field's purposes are those whose selectors match it."""
    minimal["purposes"]["marketing"] = {
        "legal_basis": "consent", "marketing": True, "description": {"zh": "营销", "en": "Marketing"},
        "fields": ["category:contact"],
    }  # fmt: skip
    minimal["purposes"]["kyc"] = {
        "legal_basis": "legal_obligation", "description": "KYC", "fields": ["customer.name"],
    }  # fmt: skip
    catalog = _load(minimal)
    # ``notification`` is built in (ancillary: it addresses customers by their contact details).
    builtin = {"notification", "data_subject_rights"}  # ancillary, built in
    assert catalog.purposes_for("customer", "mobile") == {"service", "marketing"} | builtin
    assert catalog.purposes["notification"].ancillary
    assert catalog.purposes_for("customer", "name") == {"service", "kyc", "data_subject_rights"}
    assert catalog.fields_for("marketing", "customer") == {"mobile"}
    assert catalog.fields_for("kyc", "customer") == {"name"}
    with pytest.raises(KeyError):
        catalog.fields_for("telepathy", "customer")
    with pytest.raises(KeyError):
        catalog.purposes_for("customer", "fax")


def test_labels_accept_a_plain_string_or_both_languages(minimal: dict[str, Any]) -> None:
    minimal["record_types"]["customer"]["fields"]["name"]["label"] = {"zh": "姓名", "en": "Name"}
    catalog = _load(minimal)
    assert catalog.field("customer", "name").label.zh == "姓名"
    assert catalog.field("customer", "mobile").label.en == "Mobile"


def test_models_are_frozen(minimal: dict[str, Any]) -> None:
    catalog = _load(minimal)
    with pytest.raises(Exception, match="frozen"):
        catalog.field("customer", "name").mask = "clear"


@pytest.mark.req("R-COL-3")
def test_an_ancillary_purpose_is_no_reason_to_collect_a_field(minimal: dict[str, Any]) -> None:
    """A contact field only the built-in ``notification`` purpose covers is still reported as
    collected for no purpose (notification uses what other purposes collected)."""
    from piguard.catalog import lint

    minimal["purposes"]["service"]["fields"] = ["customer.name", "customer.mobile"]
    minimal["record_types"]["customer"]["fields"]["email"] = {
        "label": {"zh": "邮箱", "en": "Email"}, "category": "contact", "class": "C2", "type": "email",
        "mask": "email",
    }  # fmt: skip
    catalog = _load(minimal)
    assert catalog.purposes_for("customer", "email") == {"notification", "data_subject_rights"}
    found = [f for f in lint(catalog) if f.check == "field-without-purpose"]
    assert [f.path for f in found] == ["record_types.customer.fields.email"]
