"""The consent layer in front of a real vault: mid-session withdrawal, import, minimisation property."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from piguard.access.events import MemoryRecorder
from piguard.catalog import load_catalog_text
from piguard.clock import FixedClock
from piguard.consent import ConsentLedger
from piguard.crypto.keyring import generate_master_secret
from piguard.errors import ConsentRequired, ValidationError
from piguard.gate import RequestContext
from piguard.installation import Installation, init_home
from piguard.vault.model import Actor
from tests.consent.conftest import catalog_dict, publish_shipped
from tests.pg import fresh_database
from tests.vault.conftest import ctx

SETUP = Actor("bootstrap", "bootstrap-admin", "staff", name="bootstrap")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def inst(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Installation]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    data = catalog_dict()
    data["purposes"]["loyalty"] = {
        "legal_basis": "consent",
        "separate_consent_for": ["sensitive"],
        "description": "Loyalty programme",
        "fields": [
            "customer.name",
            "customer.mobile",
            "customer.resident_id",
            "customer.birth_date",
            "customer.guardian_name",
            "customer.guardian_relation",
        ],
    }
    catalog_file = tmp_path / "catalog.yaml"
    catalog_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    def open_home(extra: dict[str, str]) -> Iterator[Installation]:
        env.update(extra)
        init_home(tmp_path / "home", environ=env, catalog_file=catalog_file, expected_customers=1000)
        # The production wiring, with the consent ledger's clock fixed.
        clock = FixedClock(datetime(2024, 6, 1, tzinfo=UTC))
        installation = Installation(tmp_path / "home", environ=env, recorder=MemoryRecorder(), clock=clock)
        yield installation
        installation.close()

    if request.param == "sqlite":
        yield from open_home({})
    else:
        with fresh_database() as url:
            yield from open_home({"PIGUARD_DATABASE_URL": url})


@pytest.fixture
def ledger(inst: Installation) -> ConsentLedger:
    """The installation's own ledger (the one its gate consults), with the shipped notices."""
    publish_shipped(inst.consent)
    return inst.consent


def client(inst: Installation, role: str, purpose: str) -> RequestContext:
    """An application client of ``role`` (the bootstrap credential reads nothing)."""
    key = inst.access.add_client(SETUP, f"app_{role}", role)["api_key"]
    return RequestContext(inst.access.authenticate(key), purpose, client="test")


@pytest.mark.req("R-COL-6")
def test_R_COL_6_withdrawal_in_the_middle_of_a_session(inst: Installation, ledger: ConsentLedger) -> None:
    service = inst.gate
    readers = {
        "marketing": client(inst, "marketing", "marketing"),
        "service": client(inst, "customer_service", "service"),
    }
    ledger.check_write(None, "service", ["name", "mobile"], {"name": "张三", "mobile": "13800138000"})
    ref = service.create(ctx("service"), "customer", {"name": "张三", "mobile": "13800138000"})
    ledger.grant(ref.customer_id, ["marketing"], channel="app", operator="customer")
    ledger.check_write(ref.customer_id, "marketing", ["marketing_tags"], {"marketing_tags": "tea"})
    service.update(ctx("marketing"), "customer", ref.record_id, {"marketing_tags": "tea"})

    def gated_read(purpose: str, fields: list[str]) -> dict[str, Any]:
        ledger.check_read(ref.customer_id, purpose, fields=fields)
        return {
            k: v.value for k, v in service.read(readers[purpose], "customer", ref.record_id, fields).items()
        }

    assert gated_read("marketing", ["mobile", "marketing_tags"])["marketing_tags"] is not None
    assert inst.vault.read("customer", ref.record_id, ["marketing_tags"]).values["marketing_tags"] == "tea"
    result = ledger.withdraw(ref.customer_id, ["marketing"], channel="app", operator="customer")
    with pytest.raises(ConsentRequired, match="marketing"):
        gated_read("marketing", ["mobile"])
    assert gated_read("service", ["mobile"])["mobile"] == "138****8000"  # the contract goes on
    assert [m.fields for m in result.marked_for_deletion if m.record_type == "customer"] == [
        ("marketing_tags",)
    ]
    assert ledger.deletion_queue(ref.customer_id)[0].customer_id == ref.customer_id


def test_import_rejects_rows_lacking_consent_evidence(inst: Installation, ledger: ConsentLedger) -> None:
    evidence = {
        "consent_channel": "paper_form",
        "consent_evidence_ref": "FORM-{n}",
        "consent_notice_version": "1",
    }
    rows: list[dict[str, object]] = [
        {"name": "甲", "mobile": "13800138001", **evidence},  # 1 ok
        {"name": "乙", "mobile": "13800138002"},  # 2 no evidence
        {
            "name": "丙",
            "mobile": "13800138003",
            "resident_id": "110105199003070180",
            **evidence,
        },  # 3 no sensitive
        {
            "name": "丁",
            "mobile": "13800138004",
            "resident_id": "110105199003070180",
            **evidence,
            "consent_kinds": "general;sensitive",
        },  # 4 ok
        {"name": "戊", "mobile": "13800138005", "consent_channel": "app"},  # 5 incomplete
        {
            "name": "己",
            "mobile": "13800138006",
            "birth_date": "2015-01-01",
            **evidence,
            "consent_kinds": "general;sensitive",
        },  # 6 child, no guardian
        {
            "name": "庚",
            "mobile": "13800138007",
            "birth_date": "2015-01-01",
            **evidence,
            "consent_kinds": "general;sensitive",
            "consent_guardian_relationship": "mother",
            "consent_guardian_id_number": "110105199003070180",
        },  # 7 child, guardian
    ]
    numbered = [
        (i + 1, {k: (v.format(n=i + 1) if isinstance(v, str) else v) for k, v in r.items()})
        for i, r in enumerate(rows)
    ]
    # The gate runs the consent filter itself (filter_import_rows) when it has a ledger.
    report = inst.gate.import_rows(ctx("loyalty"), "customer", numbered)
    assert report.accepted == 3
    rejected = {r.row: (r.field, r.reason) for r in report.rejected}
    assert set(rejected) == {2, 3, 5, 6}
    assert "no consent evidence" in rejected[2][1]
    assert rejected[3][0] == "resident_id" and "sensitive" in rejected[3][1]
    assert rejected[5][0] == "consent_evidence_ref"
    assert "guardian" in rejected[6][1]
    assert "110105199003070180" not in repr(report.rejected)
    for customer_id in report.ids:
        ledger.check_read(customer_id, "loyalty", fields=["name"])
        assert ledger.history(customer_id)[0].evidence_ref.startswith("FORM-")  # type: ignore[union-attr]
    child = report.ids[-1]
    assert ledger.state(child).age is not None and ledger.history(child)[0].guardian is not None


# -- property: no write stores a field outside its purpose's declared fields (R-COL-3) ------------

_FIELDS = [f"f{i}" for i in range(8)]
_BASES = ["consent", "contract", "legal_obligation", None]


@st.composite
def catalogs(draw: st.DrawFn) -> tuple[str, dict[str, list[str]]]:
    purposes: dict[str, list[str]] = {}
    for i in range(draw(st.integers(1, 4))):
        purposes[f"p{i}"] = draw(st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=5, unique=True))
    data = catalog_dict()
    data["purposes"] = {
        name: {
            "legal_basis": draw(st.sampled_from(_BASES)),
            "description": name,
            "fields": ["customer.name", *(f"customer.{f}" for f in fields)],
        }
        for name, fields in purposes.items()
    }
    data["purposes"] = {
        k: {kk: vv for kk, vv in v.items() if vv is not None} for k, v in data["purposes"].items()
    }
    sensitive = draw(st.sets(st.sampled_from(_FIELDS)))
    data["record_types"] = {
        "customer": {
            "fields": {
                "name": {
                    "label": "n",
                    "category": "identity",
                    "class": "C2",
                    "type": "name",
                    "required": True,
                },
                **{
                    f: {
                        "label": f,
                        "category": "other",
                        "class": "C2",
                        "type": "text",
                        "sensitive": f in sensitive,
                    }
                    for f in _FIELDS
                },
            }
        }
    }
    data["roles"] = {}
    return yaml.safe_dump(data, allow_unicode=True), purposes


#: One entry per write the property below saw stored (refused writes check nothing).
_STORED_WRITES: list[str] = []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=catalogs(), data=st.data())
def _no_write_stores_a_field_outside_its_purpose(
    spec: tuple[str, dict[str, list[str]]], data: st.DataObject
) -> None:
    text, purposes = spec
    catalog = load_catalog_text(text)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        catalog_file = Path(tmp) / "c.yaml"
        catalog_file.write_text(text, encoding="utf-8")
        env = {"PIGUARD_MASTER_KEY": generate_master_secret()}
        init_home(home, environ=env, catalog_file=catalog_file, expected_customers=100)
        with Installation(home, environ=env) as inst:
            ledger = inst.consent
            publish_shipped(ledger)
            for _ in range(4):
                purpose = data.draw(st.sampled_from(sorted(purposes)))
                chosen = data.draw(st.lists(st.sampled_from(_FIELDS), max_size=4, unique=True))
                consents = data.draw(st.sets(st.sampled_from(["general", "sensitive"])))
                cid = data.draw(st.sampled_from(["Ca", "Cb"]))
                if consents:
                    ledger.grant(cid, [purpose], channel="test", operator="t", kinds=sorted(consents))  # type: ignore[arg-type]
                values = {"name": "张三", **{f: "x" for f in chosen}}
                try:
                    if inst.vault.exists(cid):
                        ledger.check_write(cid, purpose, list(values), values)
                        ref = inst.service.update(ctx(purpose), "customer", cid, values)
                    else:
                        ledger.check_write(cid, purpose, list(values), values)
                        ref = inst.service.create(ctx(purpose), "customer", values, customer_id=cid)
                except (ValidationError, ConsentRequired):
                    continue
                stored = inst.vault.read("customer", ref.record_id).values
                declared = set(catalog.fields_for(purpose, "customer"))
                assert set(values) <= declared
                assert set(stored) - {"name"} <= set().union(*(set(f) for f in purposes.values()))
                assert catalog.purposes[purpose].legal_basis is not None
                _STORED_WRITES.append(ref.record_id)


@pytest.mark.req("R-COL-3")
def test_R_COL_3_property_no_write_stores_a_field_outside_its_purpose() -> None:
    before = len(_STORED_WRITES)
    _no_write_stores_a_field_outside_its_purpose()
    # Not vacuous: some generated writes were accepted and their stored fields checked.
    assert len(_STORED_WRITES) > before, "no write was stored: the property checked nothing"


@pytest.mark.req("R-MIN-1")
def test_R_MIN_1_guardian_recorded_with_the_profile_covers_the_childs_later_records(
    inst: Installation, ledger: ConsentLedger
) -> None:
    """A child's profile needs the guardian's identity and relationship; the child's orders,
    written later under the contract, do not repeat it."""
    service = inst.gate
    child = {"name": "小明", "resident_id": "510107201801016370"}  # born 2018-01-01
    with pytest.raises(ConsentRequired, match="guardian"):
        service.create(ctx("service"), "customer", child)
    ref = service.create(
        ctx("service"), "customer", {**child, "guardian_name": "王芳", "guardian_relation": "mother"}
    )
    # "service" rests on the contract and covers orders in the test catalog.
    order = service.create(
        ctx("service"), "order", {"order_no": "SO-1", "amount": "12.50"}, customer_id=ref.customer_id
    )
    assert order.customer_id == ref.customer_id
