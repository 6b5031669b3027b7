"""The shipped catalogs: they load, lint clean and say what the requirements say."""

from __future__ import annotations

import pytest

from piguard.catalog import (
    available_profiles,
    default_catalog_path,
    lint,
    load_catalog,
    profile_path,
)
from piguard.errors import CatalogError


def test_profiles_are_shipped() -> None:
    assert {"default", "bank", "hotel", "ecommerce", "call_centre"} <= set(available_profiles())
    assert profile_path("default") == default_catalog_path()


@pytest.mark.parametrize("profile", available_profiles())
def test_shipped_catalog_loads_and_lints_without_errors(profile: str) -> None:
    catalog = load_catalog(profile_path(profile))
    errors = [str(f) for f in lint(catalog) if f.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("profile", available_profiles())
def test_shipped_catalog_has_the_common_roles(profile: str) -> None:
    catalog = load_catalog(profile_path(profile))
    assert {"admin", "officer", "it_dba", "auditor"} <= catalog.roles.keys()
    assert catalog.roles["officer"].can_approve


@pytest.mark.parametrize("name", ["nope", "../default", "Default", ""])
def test_unknown_profile_is_refused(name: str) -> None:
    with pytest.raises(CatalogError, match="no such catalog profile"):
        profile_path(name)


@pytest.mark.req("R-COL-3")
def test_default_service_purpose_covers_the_contracted_customer_fields() -> None:
    """R-COL-3: the contract purpose covers every customer field the service needs."""
    catalog = load_catalog(default_catalog_path())
    assert catalog.purposes["service"].legal_basis == "contract"
    needed = {
        "name", "gender", "birth_date", "resident_id", "mobile", "email", "address",
        "bank_card", "passport", "membership_level",
    }  # fmt: skip
    assert needed <= catalog.fields_for("service", "customer")
    assert "marketing_tags" not in catalog.fields_for("service", "customer")


def test_default_marketing_purpose_takes_contact_fields_and_tags_only() -> None:
    catalog = load_catalog(default_catalog_path())
    marketing = catalog.purposes["marketing"]
    assert marketing.legal_basis == "consent" and marketing.marketing
    assert catalog.fields_for("marketing", "customer") == {"mobile", "email", "address", "marketing_tags"}
    assert catalog.fields_for("marketing", "bank_account") == frozenset()


@pytest.mark.req("R-MIN-1")
def test_default_guardian_fields_exist_for_minors() -> None:
    """R-MIN-1: the guardian's identity and relationship can be stored."""
    catalog = load_catalog(default_catalog_path())
    fields = catalog.record_types["customer"].fields
    assert {"guardian_name", "guardian_relation", "guardian_resident_id"} <= fields.keys()
    assert fields["guardian_resident_id"].sensitive


def test_default_free_text_note_is_flagged_for_pii_scanning() -> None:
    catalog = load_catalog(default_catalog_path())
    assert catalog.field("service_note", "text").free_text


def test_default_it_dba_and_admin_see_no_customer_field() -> None:
    catalog = load_catalog(default_catalog_path())
    for role in ("it_dba", "admin"):
        levels = {catalog.roles[role].level_for(f, rt).level for rt, f in catalog.iter_fields()}
        assert levels == {"deny"}, role


def test_default_finance_sees_transactions_but_cannot_export() -> None:
    catalog = load_catalog(default_catalog_path())
    finance = catalog.roles["finance"]
    assert "export" not in finance.actions
    assert finance.level_for(catalog.field("order", "amount"), "order").level == "clear"
    assert finance.level_for(catalog.field("bank_account", "balance"), "bank_account").level == "clear"


def test_default_customer_service_sees_contact_masked_and_no_bank_data() -> None:
    catalog = load_catalog(default_catalog_path())
    cs = catalog.roles["customer_service"]
    mobile = cs.level_for(catalog.field("customer", "mobile"), "customer")
    assert (mobile.level, mobile.mask) == ("masked", "mobile")
    assert cs.level_for(catalog.field("customer", "bank_card"), "customer").level == "deny"
    for name in ("account_no", "balance", "opened_at"):
        assert cs.level_for(catalog.field("bank_account", name), "bank_account").level == "deny"


@pytest.mark.req("R-STO-5")
def test_default_aml_kyc_has_a_ten_year_floor() -> None:
    """R-STO-5: AML 34 keeps KYC data at least 10 years."""
    catalog = load_catalog(default_catalog_path())
    assert catalog.purposes["aml_kyc"].retention_floor_years == 10
    assert catalog.purposes["aml_kyc"].legal_basis == "legal_obligation"
    for field in catalog.fields_for("aml_kyc", "customer"):
        rule = catalog.retention_for(catalog.field("customer", field))
        assert rule is not None and rule.duration_years is not None and rule.duration_years >= 10


@pytest.mark.req("R-CLS-2")
def test_bank_profile_uses_jrt_0171_classes() -> None:
    """R-CLS-2: passwords/PIN C3; ID, phone, account, balance, transactions C2; account opening C1."""
    catalog = load_catalog(profile_path("bank"))
    customer = catalog.record_types["customer"].fields
    assert customer["login_password_hash"].cls == "C3"
    assert customer["transaction_pin_hash"].cls == "C3"
    assert customer["resident_id"].cls == "C2"
    assert customer["mobile"].cls == "C2"
    assert catalog.field("bank_account", "account_no").cls == "C2"
    assert catalog.field("bank_account", "balance").cls == "C2"
    assert catalog.field("bank_transaction", "amount").cls == "C2"
    assert catalog.field("bank_account", "opened_at").cls == "C1"
    for rt, field in catalog.iter_fields():
        if field.cls == "C3":
            assert field.mask in {"never", "redact"}
            assert all(role.level_for(field, rt).level != "clear" for role in catalog.roles.values())


@pytest.mark.req("R-CLS-1")
def test_bank_profile_authentication_data_is_sensitive_by_category() -> None:
    """R-CLS-1: authentication data takes its sensitivity from the category."""
    catalog = load_catalog(profile_path("bank"))
    assert catalog.field("customer", "transaction_pin_hash").category == "authentication"
    assert catalog.field("customer", "transaction_pin_hash").sensitive


def test_hotel_front_desk_sees_only_the_active_stay() -> None:
    """Seed 003: the front desk never reveals other guests' rooms; its row scope is the active stay."""
    catalog = load_catalog(profile_path("hotel"))
    desk = catalog.roles["front_desk"]
    assert desk.scope == "active_stay"
    assert desk.requires_totp
    assert desk.level_for(catalog.field("hotel_stay", "room_no"), "hotel_stay").level == "clear"
    # Roles without the scope never see room numbers in clear (bar a customer's own, scope "own").
    for name, role in catalog.roles.items():
        if role.scope not in ("active_stay", "own"):
            level = role.level_for(catalog.field("hotel_stay", "room_no"), "hotel_stay").level
            assert level != "clear", name


@pytest.mark.req("R-STO-5")
def test_ecommerce_orders_keep_the_three_year_floor() -> None:
    """R-STO-5: E-Commerce Law 31 keeps transaction information at least 3 years."""
    catalog = load_catalog(profile_path("ecommerce"))
    for name in catalog.record_types["order"].fields:
        rule = catalog.retention_for(catalog.field("order", name))
        assert rule is not None and rule.approx_days >= 3 * 365


def test_call_centre_agents_see_contact_masked() -> None:
    catalog = load_catalog(profile_path("call_centre"))
    agent = catalog.roles["agent"]
    assert agent.level_for(catalog.field("customer", "mobile"), "customer").level == "masked"
    assert catalog.field("ticket", "notes").free_text
