"""One test per requirement (names carry the ID), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from piguard.catalog import Catalog, load_catalog_text
from piguard.clock import FixedClock
from piguard.consent import ConsentLedger, minor_status, shipped_notice
from piguard.errors import ConsentRequired, Error, ValidationError
from piguard.store import Database
from tests.consent.conftest import KEY, catalog_dict, publish_shipped

CID = "C0000000000000001"
ADULT_ID = "110105199003070180"  # born 1990-03-07


def _valid_id(birth: date, seq: str = "002") -> str:
    from stdnum.cn import ric

    body = f"110105{birth:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body + "0")


CHILD_BIRTH = date(2014, 3, 10)
CHILD_ID = _valid_id(CHILD_BIRTH)


def grant(ledger: ConsentLedger, purposes: list[str], **kw: object) -> None:
    ledger.grant(CID, purposes, channel="app", operator="op1", evidence_ref="log-1", **kw)  # type: ignore[arg-type]


# -- R-COL-1 -------------------------------------------------------------------


@pytest.mark.req("R-COL-1")
def test_R_COL_1_no_write_without_legal_basis(ledger: ConsentLedger, db: Database, clock: FixedClock) -> None:
    data = catalog_dict()
    del data["purposes"]["analytics"]["legal_basis"]
    import yaml

    no_basis = load_catalog_text(yaml.safe_dump(data, allow_unicode=True))
    bare = ConsentLedger(db, no_basis, clock=clock)
    with pytest.raises(ConsentRequired, match=r"analytics.*no legal basis.*R-COL-1"):
        bare.check_write(CID, "analytics", ["gender"], {"gender": "F"})
    bare.close()
    # Consent-based purpose: refused until the customer consents, for new and existing customers.
    with pytest.raises(ConsentRequired, match="marketing"):
        ledger.check_write(None, "marketing", ["mobile"], {"mobile": "13800138000"})
    with pytest.raises(ConsentRequired, match=r"purpose 'marketing': no consent"):
        ledger.check_write(CID, "marketing", ["mobile"], {"mobile": "13800138000"})
    grant(ledger, ["marketing"])
    ledger.check_write(CID, "marketing", ["mobile"], {"mobile": "13800138000"})
    # Contract basis needs no consent.
    ledger.check_write(None, "service", ["name", "mobile"], {"name": "张三", "mobile": "13800138000"})


# -- R-COL-2 -------------------------------------------------------------------


@pytest.mark.req("R-COL-2")
def test_R_COL_2_records_are_immutable(ledger: ConsentLedger, db: Database) -> None:
    records = ledger.grant(CID, ["marketing"], channel="app", operator="op1", evidence_ref="form-7")
    record = records[0]
    assert record.notice_version == 1 and record.notice_hash and record.notice_hash.startswith("sha256:")
    assert "contact" in record.categories and record.retention and record.operator == "op1"
    # No API rewrites history ...
    for name in dir(ledger):
        assert not any(word in name for word in ("update", "delete", "amend", "erase_record")), name
    # ... and the database refuses it from anywhere else too.
    ledger.set_marketing(CID, opt_out=True, personalised=False)
    for statement in (
        "UPDATE consent_records SET channel = 'x'",
        "DELETE FROM consent_records",
        "UPDATE consent_notices SET text_en = 'x'",
        "DELETE FROM consent_marketing",
    ):
        with pytest.raises(Error), db.transaction() as conn:
            from piguard.store._engine import translate

            with translate("tamper"):
                conn.execute(text(statement))
    assert ledger.history(CID) == records
    # A withdrawal is a new record; the grant stays as it was.
    ledger.withdraw(CID, ["marketing"], channel="app", operator="op1")
    assert [r.action for r in ledger.history(CID)] == ["grant", "withdraw"]
    assert ledger.history(CID)[0] == record


# -- R-COL-3 -------------------------------------------------------------------


@pytest.mark.req("R-COL-3")
def test_R_COL_3_fields_outside_the_purpose_are_refused(ledger: ConsentLedger) -> None:
    with pytest.raises(ValidationError) as info:
        ledger.check_write(None, "service", ["name", "marketing_tags"], {"name": "张三"})
    assert info.value.field == "marketing_tags" and "R-COL-3" in info.value.reason


# -- R-COL-4 -------------------------------------------------------------------


@pytest.mark.req("R-COL-4")
def test_R_COL_4_separate_consents_are_distinct_and_required(ledger: ConsentLedger) -> None:
    grant(ledger, ["loyalty"])
    ledger.check_write(CID, "loyalty", ["name", "mobile"], {})
    with pytest.raises(ConsentRequired) as info:
        ledger.check_write(CID, "loyalty", ["name", "resident_id"], {"resident_id": ADULT_ID})
    message = str(info.value)
    assert message.startswith("resident_id:") and "'sensitive'" in message and "loyalty" in message
    assert ADULT_ID not in message
    records = ledger.grant(CID, ["loyalty"], channel="app", operator="op1", kinds=["general", "sensitive"])
    assert [r.kind for r in records] == ["general", "sensitive"] and records[0].id != records[1].id
    ledger.check_write(CID, "loyalty", ["name", "resident_id"], {"resident_id": ADULT_ID})
    ledger.check_read(CID, "loyalty", fields=["resident_id"])
    # Provision needs its own consent naming the recipient.
    grant(ledger, ["partner_offers"])
    with pytest.raises(ConsentRequired, match="provision"):
        ledger.check_read(CID, "partner_offers")
    with pytest.raises(ValidationError, match="recipient"):
        grant(ledger, ["partner_offers"], kinds=["provision"])
    grant(ledger, ["partner_offers"], kinds=["provision"], recipient="Example Partner Ltd")
    ledger.check_read(CID, "partner_offers")
    # Withdrawing only the separate consent stops only what needs it.
    ledger.withdraw(CID, kind="sensitive", channel="app", operator="op1")
    ledger.check_read(CID, "loyalty", fields=["name"])
    with pytest.raises(ConsentRequired, match="resident_id"):
        ledger.check_read(CID, "loyalty", fields=["resident_id"])


# -- R-COL-5 -------------------------------------------------------------------


@pytest.mark.req("R-COL-5")
def test_R_COL_5_material_change_needs_fresh_consent(ledger: ConsentLedger, clock: FixedClock) -> None:
    grant(ledger, ["marketing", "analytics"])
    ledger.check_read(CID, "marketing")
    title, zh, en = shipped_notice()
    notice = ledger.publish_notice(
        zh + "\n新增短信营销。",
        en + "\nAdds SMS marketing.",
        title=title,
        operator="dpo",
        material=True,
        purposes_changed=["marketing"],
        effective_at=clock.now() + timedelta(days=7),
    )
    ledger.check_read(CID, "marketing")  # not yet in effect
    clock.advance(timedelta(days=7))
    with pytest.raises(ConsentRequired, match=rf"marketing.*version {notice.version}.*R-COL-5"):
        ledger.check_read(CID, "marketing")
    ledger.check_read(CID, "analytics")  # unchanged purposes go on
    grant(ledger, ["marketing"])  # re-consent against the latest notice
    ledger.check_read(CID, "marketing")
    # A consent recorded against the old version (e.g. an old paper form) is still stale.
    ledger.grant("C2", ["marketing"], channel="paper_form", operator="op1", notice_version=1)
    with pytest.raises(ConsentRequired, match="R-COL-5"):
        ledger.check_read("C2", "marketing")


# -- R-COL-6 -------------------------------------------------------------------


@pytest.mark.req("R-COL-6")
def test_R_COL_6_withdrawal_stops_processing_and_hands_off_deletion(ledger: ConsentLedger) -> None:
    grant(ledger, ["marketing", "analytics"])
    ledger.check_read(CID, "marketing")
    result = ledger.withdraw(CID, ["marketing"], channel="app", operator="customer")
    assert result.stopped == ("marketing",) and len(result.records) == 1
    with pytest.raises(ConsentRequired, match=r"purpose 'marketing'.*withdrawn"):
        ledger.check_read(CID, "marketing")
    ledger.check_read(CID, "analytics")
    # marketing_tags are still covered by analytics (consented): nothing to delete yet.
    assert result.marked_for_deletion == ()
    result = ledger.withdraw(CID, channel="app", operator="customer")  # everything left
    assert result.stopped == ("analytics",)
    marks = {m.record_type: m.fields for m in result.marked_for_deletion}
    # mobile, email, address, gender... stay: contract and legal obligations still cover them.
    assert marks == {"customer": ("marketing_tags",)}
    assert ledger.deletion_queue(CID)[0].reason.startswith("consent withdrawn")
    # Withdrawing again records nothing.
    assert ledger.withdraw(CID, ["marketing"], channel="app", operator="customer").records == ()


@pytest.mark.req("R-COL-6")
def test_R_COL_6_withdrawal_seen_by_another_process(
    db: Database, catalog: Catalog, clock: FixedClock
) -> None:
    """Two ledgers on one database (e.g. the API server and the CLI): the cache does not hide a withdrawal."""
    a = ConsentLedger(db, catalog, clock=clock)
    b = ConsentLedger(db, catalog, clock=clock)
    publish_shipped(a)
    a.grant(CID, ["marketing"], channel="app", operator="op")
    b.check_read(CID, "marketing")  # b caches the state
    a.withdraw(CID, ["marketing"], channel="app", operator="op")
    with pytest.raises(ConsentRequired):
        b.check_read(CID, "marketing")
    a.close()
    b.close()


# -- R-COL-7 -------------------------------------------------------------------


@pytest.mark.req("R-COL-7")
def test_R_COL_7_refusal_never_blocks_service_and_reasking_is_limited(
    ledger: ConsentLedger, clock: FixedClock
) -> None:
    assert ledger.may_ask(CID, "marketing")
    ledger.refuse(CID, ["marketing"], channel="app", operator="customer")
    ledger.check_write(CID, "service", ["name", "mobile"], {"name": "张三", "mobile": "13800138000"})
    ledger.check_read(CID, "service")
    ledger.check_read(CID, "customer_support")
    with pytest.raises(ConsentRequired, match=r"refused.*R-COL-7"):
        ledger.check_read(CID, "marketing")
    assert not ledger.may_ask(CID, "marketing")
    assert ledger.may_ask(CID, "analytics")
    clock.advance(timedelta(hours=47))
    assert not ledger.may_ask(CID, "marketing")
    clock.advance(timedelta(hours=1))
    assert ledger.may_ask(CID, "marketing")
    # The customer may change their mind at any time.
    grant(ledger, ["marketing"])
    ledger.check_read(CID, "marketing")


# -- R-COL-8 -------------------------------------------------------------------


@pytest.mark.req("R-COL-8", "R-MIN-2")
def test_R_COL_8_notices_state_retention_and_rights(ledger: ConsentLedger) -> None:
    title, zh, en = shipped_notice()
    with pytest.raises(ValidationError) as info:
        ledger.publish_notice(zh.replace("保存期限", "期限"), en, title=title, operator="dpo")
    assert info.value.field == "text_zh" and "保存期限" in info.value.reason
    with pytest.raises(ValidationError, match="rights"):
        ledger.publish_notice(
            zh, en.replace("rights", "options").replace("Rights", "Options"), title=title, operator="dpo"
        )
    with pytest.raises(ValidationError, match="purposes"):
        ledger.publish_notice(zh, en, title=title, operator="dpo", material=True)
    listed = ledger.notices()
    assert [n.kind for n in listed] == ["privacy", "children"]
    first = listed[0]
    again = ledger.publish_notice(zh, en, title=title, operator="dpo")
    assert again.version == 3 and again.content_hash == first.content_hash
    children = ledger.notice(kind="children")
    assert "不满十四周岁" in children.text_zh and "under 14" in children.text_en  # R-MIN-2


# -- R-COL-9 -------------------------------------------------------------------


@pytest.mark.req("R-COL-9")
def test_R_COL_9_marketing_opt_out_and_non_personalised(ledger: ConsentLedger) -> None:
    grant(ledger, ["marketing"])
    ledger.check_read(CID, "marketing", fields=["mobile", "marketing_tags"])
    ledger.set_marketing(CID, opt_out=False, personalised=False, delete_tags=True)
    ledger.check_read(CID, "marketing", fields=["mobile"])
    with pytest.raises(ConsentRequired, match=r"marketing_tags:.*non-personalised.*R-COL-9"):
        ledger.check_read(CID, "marketing", fields=["marketing_tags"])
    assert ledger.deletion_queue(CID)[0].fields == ("marketing_tags",)
    ledger.set_marketing(CID, opt_out=True, personalised=False)
    with pytest.raises(ConsentRequired, match=r"opted out.*R-COL-9"):
        ledger.check_read(CID, "marketing")
    with pytest.raises(ConsentRequired, match="opted out"):
        ledger.check_write(CID, "marketing", ["email"], {})
    ledger.check_read(CID, "service")  # opting out of marketing touches nothing else
    assert ledger.state(CID).marketing.opt_out


# -- R-MIN-1 -------------------------------------------------------------------


@pytest.mark.req("R-MIN-1")
def test_R_MIN_1_minor_status_from_id_and_declared_birth_date(ledger: ConsentLedger) -> None:
    today = date(2024, 6, 1)
    assert minor_status(date(2010, 6, 1), today) == "minor"
    assert minor_status(date(2010, 6, 2), today) == "under14"
    assert minor_status(date(2006, 6, 2), today) == "minor"
    assert minor_status(date(2006, 6, 1), today) == "adult"
    assert minor_status(date(2008, 2, 29), date(2022, 2, 28)) == "under14"  # birthday is 1 March
    assert minor_status(date(2008, 2, 29), date(2022, 3, 1)) == "minor"
    info = ledger.age_from_values({"resident_id": CHILD_ID}, today)
    assert info is not None and info.band == "under14" and info.next_review == date(2028, 3, 10)
    info = ledger.age_from_values({"birth_date": "2012-01-05"}, today)
    assert info is not None and info.band == "under14"
    # ID and declared date disagree: the younger reading wins.
    info = ledger.age_from_values({"resident_id": ADULT_ID, "birth_date": "2015-01-01"}, today)
    assert info is not None and info.band == "under14"
    assert ledger.age_from_values({"name": "张三"}, today) is None


@pytest.mark.req("R-MIN-1")
def test_R_MIN_1_under_14_needs_a_guardian(ledger: ConsentLedger, db: Database) -> None:
    child = {"name": "小明", "resident_id": CHILD_ID}
    with pytest.raises(ConsentRequired, match=r"under 14.*guardian.*R-MIN-1"):
        ledger.check_write(None, "service", ["name", "resident_id"], child)
    ledger.check_write(
        None,
        "service",
        ["name", "resident_id", "guardian_name", "guardian_relation"],
        {**child, "guardian_name": "王芳", "guardian_relation": "mother"},
    )
    # Consent-based purposes: the consent must come from a guardian, and all PI is sensitive.
    with db.transaction() as conn:
        ledger.note_age(conn, CID, child)
    with pytest.raises(ValidationError, match="guardian"):
        grant(ledger, ["loyalty"])
    mother = ledger.guardian("mother", ADULT_ID)
    assert ADULT_ID not in mother.identity_ref
    grant(ledger, ["loyalty"], guardian=mother)
    with pytest.raises(ConsentRequired, match=r"name:.*sensitive"):
        ledger.check_write(CID, "loyalty", ["name"], {})
    grant(ledger, ["loyalty"], kinds=["sensitive"], guardian=mother)
    ledger.check_write(CID, "loyalty", ["name", "mobile"], {})
    record = ledger.history(CID)[-1]
    assert record.guardian is not None and record.guardian.relationship == "mother"
    # Neither the guardian's ID number nor the child's birth date is stored anywhere.
    with db.read() as conn:
        dump = " ".join(
            str(row)
            for table in ("consent_records", "consent_minors")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        )
    assert ADULT_ID not in dump and CHILD_ID not in dump and "2014-03-10" not in dump


# -- R-MIN-4 -------------------------------------------------------------------


@pytest.mark.req("R-MIN-4")
def test_R_MIN_4_a_minor_turning_14_then_18(ledger: ConsentLedger, db: Database, clock: FixedClock) -> None:
    with db.transaction() as conn:
        ledger.note_age(conn, CID, {"resident_id": CHILD_ID})
    father = ledger.guardian("father", ADULT_ID)
    grant(ledger, ["analytics"], guardian=father, kinds=["general", "sensitive"])
    ledger.check_read(CID, "analytics")
    assert ledger.reevaluate_birthdays(date(2028, 3, 9)) == []
    # The morning of the 14th birthday (Beijing time), before the job has run.
    clock.set(clock.now().replace(year=2028, month=3, day=9, hour=16, minute=30))
    with pytest.raises(ConsentRequired, match=r"turned 14.*R-MIN-4"):
        ledger.check_read(CID, "analytics")
    done = ledger.reevaluate_birthdays()
    assert len(done) == 1 and done[0].previous == "under14" and done[0].band == "minor"
    assert done[0].birthday == date(2028, 3, 10) and done[0].next_review == date(2032, 3, 10)
    assert done[0].needs_own_consent == ("analytics",)
    assert ledger.reevaluate_birthdays() == []  # idempotent
    with pytest.raises(ValidationError, match="14 or older"):
        grant(ledger, ["analytics"], guardian=father)
    grant(ledger, ["analytics"])  # the customer consents personally
    ledger.check_read(CID, "analytics")
    done = ledger.reevaluate_birthdays(date(2032, 3, 10))
    assert [(r.previous, r.band, r.next_review) for r in done] == [("minor", "adult", None)]
    assert ledger.state(CID).age is not None and ledger.state(CID).age.band == "adult"  # type: ignore[union-attr]


def test_guardian_refs_need_an_identity_key(db: Database, catalog: Catalog, clock: FixedClock) -> None:
    keyless = ConsentLedger(db, catalog, clock=clock)
    with pytest.raises(Error, match="identity key"):
        keyless.guardian("mother", ADULT_ID)
    keyed = ConsentLedger(db, catalog, clock=clock, identity_key=KEY)
    assert keyed.guardian("mother", ADULT_ID) == keyed.guardian("mother", ADULT_ID.lower())
    with pytest.raises(ValidationError) as info:
        keyed.guardian("mother", "110105199003070181")
    assert info.value.field == "guardian_id_number"
    keyless.close()
    keyed.close()


@pytest.mark.req("R-COL-8")
def test_grant_needs_a_published_notice(db: Database, catalog: Catalog, clock: FixedClock) -> None:
    fresh = ConsentLedger(db, catalog, clock=clock)
    with pytest.raises(ValidationError, match="R-COL-8"):
        fresh.grant(CID, ["marketing"], channel="app", operator="op")
    fresh.close()


def test_state_as_dict_is_plain(ledger: ConsentLedger) -> None:
    grant(ledger, ["marketing"])
    doc = ledger.state(CID).as_dict(date(2024, 6, 1))
    assert doc["consents"] == {
        "marketing": {
            "general": {
                "record": 1,
                "notice_version": 1,
                "given_at": "2024-06-01T02:00:00+00:00",
                "by_guardian": False,
            }
        }
    }
