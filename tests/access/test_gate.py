"""The gate with real accounts: purposes, training, step-up, grants, quotas, scope, export.

Each refusal is also checked to be recorded as an access event (issue 3 §8).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from piguard.access.credentials import totp_now
from piguard.errors import AccessDenied, Conflict, QuotaExceeded, ValidationError
from tests.access.conftest import ADULT, SETUP, TODAY, World

MINOR = {
    **ADULT,
    "name": "王小明",
    "birth_date": "2016-05-01",
    "resident_id": "310104201605011373",
    "mobile": "13900139000",
    "guardian_name": "王大明",
    "guardian_relation": "father",
}


def _last_denial(world: World) -> str:
    denials = world.denials()
    assert denials, "the refusal was not recorded"
    return str(denials[-1].rule)


@pytest.mark.req("R-USE-1")
def test_customer_service_sees_contact_masked_and_no_bank_data_r_use_1(world: World) -> None:
    cid = world.customer()
    cs = world.user("customer_service")
    views = world.service.read(world.ctx(cs), "customer", cid)
    assert views["mobile"].level == "masked" and views["mobile"].value == "138****8000"
    assert views["bank_card"].level == "deny" and views["bank_card"].value is None
    assert views["membership_level"].level == "clear" and views["membership_level"].value == "gold"
    blob = repr(world.recorder.events)
    assert "13800138000" not in blob and "欧阳娜娜" not in blob


@pytest.mark.req("R-USE-5")
def test_wrong_purpose_refused_and_recorded_r_use_5(world: World) -> None:
    cid = world.customer()
    cs = world.user("customer_service")
    with pytest.raises(AccessDenied, match="may not act for purpose 'marketing'"):
        world.service.read(world.ctx(cs, "marketing"), "customer", cid)
    assert _last_denial(world) == "roles.customer_service.purposes"
    with pytest.raises(AccessDenied, match="unknown purpose"):
        world.service.read(world.ctx(cs, "fun"), "customer", cid)


@pytest.mark.req("R-USE-5")
def test_purpose_that_does_not_cover_a_field_hides_it_r_use_5(world: World) -> None:
    cid = world.customer()
    cs = world.user("customer_service")
    views = world.service.read(world.ctx(cs, "customer_support"), "customer", cid, ["mobile", "address"])
    assert views["address"].level == "deny" and "does not cover" in views["address"].rule
    assert views["mobile"].level == "masked"


def test_it_dba_administers_but_reads_nothing(world: World) -> None:
    cid = world.customer()
    dba = world.user("it_dba")
    with pytest.raises(AccessDenied, match="may not read"):
        world.service.read(world.ctx(dba, "security_audit"), "customer", cid)
    assert world.access.list_principals(dba.actor)


def test_bootstrap_credential_sets_up_but_never_reads(world: World) -> None:
    cid = world.customer()
    with pytest.raises(AccessDenied, match="only set up"):
        world.service.read(world.ctx(SETUP), "customer", cid)
    token = "the bootstrap token is not kept; its hash is"
    with pytest.raises(Exception, match="invalid token"):
        world.access.authenticate(token)


def test_finance_sees_transactions_cannot_export(world: World) -> None:
    cid = world.customer()
    world.service.create(
        world.ctx(SETUP),
        "bank_account",
        {"account_no": "6222000011112222", "balance": "100.00", "opened_at": "2020-01-01"},
        customer_id=cid,
    )
    fin = world.user("finance")
    with pytest.raises(AccessDenied, match="may not export"):
        world.service.export(world.ctx(fin), "customer", [cid], grant_id="grt_x")
    assert _last_denial(world) == "roles.finance.actions"


@pytest.mark.req("R-USE-2")
def test_sensitive_clear_needs_step_up_and_grant_r_use_2(world: World) -> None:
    cid = world.customer()
    desk = world.user("front_desk")
    world.stay(cid, TODAY - timedelta(days=1), TODAY + timedelta(days=2))
    # hotel_stay fields are whereabouts (sensitive) and front desk sees them "clear" in the catalog.
    stay_id = world.service.customer_records(world.ctx(world.user("officer")), cid)[1].record_id
    views = world.service.read(world.ctx(desk), "hotel_stay", stay_id, ["room_no"])
    assert views["room_no"].level == "masked" and "approved grant" in views["room_no"].rule
    officer = world.user("officer")
    grant = world.access.grants.request(
        desk.actor,
        kind="clear",
        customer_id=cid,
        purpose="service",
        fields=["hotel_stay.room_no"],
        reason="guest asked for a key",
        minutes=30,
    )
    with pytest.raises(AccessDenied, match="no self-approval"):
        world.access.grants.decide(desk.actor, grant.id, approve=True)
    world.access.grants.decide(officer.actor, grant.id, approve=True)
    world.clock.advance(timedelta(minutes=11))  # the login's step-up has gone stale
    views = world.service.read(world.ctx(world.reauth(desk)), "hotel_stay", stay_id, ["room_no"])
    assert views["room_no"].level == "masked" and "step-up" in views["room_no"].rule
    world.step_up(desk)
    views = world.service.read(world.ctx(desk), "hotel_stay", stay_id, ["room_no"])
    assert views["room_no"].value == "1208" and grant.id in views["room_no"].rule
    world.clock.advance(timedelta(minutes=31))  # the grant has expired
    world.step_up(desk)
    views = world.service.read(world.ctx(desk), "hotel_stay", stay_id, ["room_no"])
    assert views["room_no"].level == "masked"


def test_grant_for_another_customer_does_not_unmask(world: World) -> None:
    a, b = (
        world.customer(),
        world.customer({**ADULT, "mobile": "13700137000", "resident_id": "513101198201130014"}),
    )
    desk = world.user("front_desk")
    officer = world.user("officer")
    for cid in (a, b):
        world.stay(cid, TODAY, TODAY + timedelta(days=1))
    grant = world.access.grants.request(
        desk.actor, kind="clear", customer_id=a, purpose="service", fields=None, reason="check-in"
    )
    world.access.grants.decide(officer.actor, grant.id, approve=True)
    stay_b = world.service.customer_records(world.ctx(officer), b)[1].record_id
    views = world.service.read(world.ctx(desk), "hotel_stay", stay_b, ["room_no"])
    assert views["room_no"].level == "masked"


def test_another_principals_token_carries_only_its_own_rights(world: World) -> None:
    cid = world.customer()
    desk = world.user("front_desk")
    other = world.user("front_desk")
    officer = world.user("officer")
    world.stay(cid, TODAY, TODAY + timedelta(days=1))
    grant = world.access.grants.request(
        desk.actor, kind="clear", customer_id=cid, purpose="service", fields=None, reason="check-in"
    )
    world.access.grants.decide(officer.actor, grant.id, approve=True)
    stolen = world.access.authenticate(other.token)
    assert stolen.id == other.actor.id
    stay = world.service.customer_records(world.ctx(officer), cid)[1].record_id
    assert world.service.read(world.ctx(stolen), "hotel_stay", stay, ["room_no"])["room_no"].level == "masked"


def test_approver_role_must_be_allowed_to_approve(world: World) -> None:
    desk = world.user("front_desk")
    cs = world.user("customer_service")
    grant = world.access.grants.request(
        desk.actor, kind="clear", customer_id="c_x", purpose="service", fields=None, reason="r"
    )
    with pytest.raises(AccessDenied, match="may not approve"):
        world.access.grants.decide(cs.actor, grant.id, approve=True)
    officer = world.user("officer")
    world.access.grants.decide(officer.actor, grant.id, approve=False)
    with pytest.raises(Conflict, match="rejected"):
        world.access.grants.decide(officer.actor, grant.id, approve=True)


def test_grant_cannot_widen_purposes(world: World) -> None:
    desk = world.user("front_desk")
    with pytest.raises(AccessDenied, match="may not act for purpose"):
        world.access.grants.request(
            desk.actor, kind="clear", customer_id="c", purpose="marketing", fields=None, reason="r"
        )
    with pytest.raises(ValidationError):
        world.access.grants.request(
            desk.actor,
            kind="clear",
            customer_id="c",
            purpose="service",
            fields=None,
            reason="r",
            minutes=10_000,
        )


@pytest.mark.req("R-TRN-1")
def test_training_lapsed_or_unsigned_gives_no_clear_or_sensitive_r_trn_1(world: World) -> None:
    cid = world.customer()
    untrained = world.user("customer_service", trained=False)
    views = world.service.read(
        world.ctx(untrained), "customer", cid, ["membership_level", "resident_id", "mobile"]
    )
    assert views["membership_level"].level == "masked" and "training" in views["membership_level"].rule
    assert views["resident_id"].level == "deny" and "R-TRN-1" in views["resident_id"].rule
    unsigned = world.user("customer_service", signed=False)
    with pytest.raises(AccessDenied, match="confidentiality agreement"):
        world.service.read(world.ctx(unsigned), "customer", cid, ["resident_id"])
    assert "confidentiality" in _last_denial(world)
    trained = world.user("customer_service")
    assert (
        world.service.read(world.ctx(trained), "customer", cid, ["membership_level"])[
            "membership_level"
        ].level
        == "clear"
    )
    world.clock.advance(timedelta(days=400))  # training is valid for a year (the actor is reused as is)
    with pytest.raises(AccessDenied, match="lapsed"):
        world.service.read(world.ctx(trained), "customer", cid, ["resident_id"])


@pytest.mark.req("R-USE-2")
def test_minors_fields_need_a_grant_even_when_not_sensitive_r_use_2(world: World) -> None:
    kid = world.customer(MINOR)
    adult = world.customer({**ADULT, "mobile": "13700137000", "resident_id": "513101198201130014"})
    cs = world.user("customer_service")
    assert (
        world.service.read(world.ctx(cs), "customer", adult, ["membership_level"])["membership_level"].level
        == "clear"
    )
    view = world.service.read(world.ctx(cs), "customer", kid, ["membership_level"])["membership_level"]
    assert view.level == "masked" and "minor" in view.rule
    # The read of a minor is flagged for the audit rule on sensitive subjects; the adult's is not.
    reads = [e for e in world.recorder.events if e.action == "read"]
    assert reads[-1].detail.get("flags") == ["minor"] and "flags" not in reads[-2].detail


@pytest.mark.req("R-USE-3")
def test_quota_distinct_customers_per_hour_r_use_3(world: World) -> None:
    cs = world.user("customer_service", customers_per_hour=2)
    ids = [
        world.customer({**ADULT, "mobile": f"1380013800{i}", "resident_id": rid})
        for i, rid in enumerate(["110105199003070180", "513101198201130014", "120101197201152432"])
    ]
    world.service.read(world.ctx(cs), "customer", ids[0], ["mobile"])
    world.service.read(world.ctx(cs), "customer", ids[1], ["mobile"])
    world.service.read(world.ctx(cs), "customer", ids[0], ["mobile"])  # already counted
    with pytest.raises(QuotaExceeded, match="at most 2 distinct customers per hour"):
        world.service.read(world.ctx(cs), "customer", ids[2], ["mobile"])
    assert world.denials()[-1].result == "quota"
    world.clock.advance(timedelta(hours=1, seconds=1))
    world.service.read(world.ctx(world.reauth(cs)), "customer", ids[2], ["mobile"])


@pytest.mark.req("R-USE-3")
def test_search_result_size_limit_r_use_3(world: World) -> None:
    cs = world.user("customer_service", max_results=1)
    for rid in ("110105199003070180", "513101198201130014"):
        world.customer({**ADULT, "resident_id": rid})  # same mobile twice
    with pytest.raises(QuotaExceeded, match="more than 1"):
        world.service.search(world.ctx(cs), "customer", "mobile", "13800138000")


def test_front_desk_sees_guest_only_while_stay_is_active(world: World) -> None:
    cid = world.customer()
    other = world.customer({**ADULT, "mobile": "13700137000", "resident_id": "513101198201130014"})
    desk = world.user("front_desk")
    old = world.stay(cid, TODAY - timedelta(days=30), TODAY - timedelta(days=28), room="0707")
    with pytest.raises(AccessDenied, match="only while the guest's stay is active"):
        world.service.read(world.ctx(desk), "customer", cid, ["name"])
    assert _last_denial(world) == "roles.front_desk.scope"
    world.stay(cid, TODAY, TODAY + timedelta(days=2))
    assert world.service.read(world.ctx(desk), "customer", cid, ["name"])["name"].value == "欧阳娜娜"
    with pytest.raises(AccessDenied):  # the past stay (and its room number) stays hidden
        world.service.read(world.ctx(desk), "hotel_stay", old, ["room_no"])
    with pytest.raises(AccessDenied):  # another guest
        world.service.read(world.ctx(desk), "customer", other, ["name"])
    assert world.service.search(world.ctx(desk), "customer", "mobile", "13700137000") == []
    world.clock.advance(timedelta(days=3))
    with pytest.raises(AccessDenied):
        world.service.read(world.ctx(desk), "customer", cid, ["name"])


@pytest.mark.req("R-USE-3")
def test_export_needs_an_approved_single_use_grant_r_use_3(world: World) -> None:
    cid = world.customer()
    world.consent(cid, "marketing")
    mk = world.user("marketing")
    officer = world.user("officer")
    with pytest.raises(AccessDenied, match="no such export grant"):
        world.service.export(world.ctx(mk, "marketing"), "customer", [cid], grant_id="grt_none")
    grant = world.access.grants.request(
        mk.actor,
        kind="export",
        record_type="customer",
        purpose="marketing",
        max_rows=1,
        reason="campaign",
        fields=None,
    )
    with pytest.raises(AccessDenied, match="pending"):
        world.service.export(world.ctx(mk, "marketing"), "customer", [cid], grant_id=grant.id)
    with (
        pytest.raises(AccessDenied, match="may not approve requests of role 'marketing'")
        if "marketing" not in world.inst.catalog.roles["officer"].can_approve
        else _noop()
    ):
        world.access.grants.decide(officer.actor, grant.id, approve=True)
    with pytest.raises(QuotaExceeded):
        world.service.export(world.ctx(mk, "marketing"), "customer", [cid, cid], grant_id=grant.id)
    rows = world.service.export(world.ctx(mk, "marketing"), "customer", [cid], grant_id=grant.id)
    assert rows[0]["mobile"].value == "138****8000"
    assert all(v.level != "clear" for v in rows[0].values())
    with pytest.raises(AccessDenied, match="used"):
        world.service.export(world.ctx(mk, "marketing"), "customer", [cid], grant_id=grant.id)
    assert [e.action for e in world.recorder.events].count("export") >= 1


class _noop:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_write_only_fields_the_role_may_see(world: World) -> None:
    cs = world.user("customer_service")
    with pytest.raises(AccessDenied, match="may not write field"):
        world.service.create(world.ctx(cs), "customer", {**ADULT})
    ref = world.service.create(world.ctx(cs), "customer", {"name": "张三", "mobile": "13600136000"})
    world.service.update(world.ctx(cs), "customer", ref.record_id, {"mobile": "13600136001"})


def test_step_up_code_cannot_be_reused(world: World) -> None:
    desk = world.user("front_desk")
    world.clock.advance(timedelta(seconds=31))
    code = totp_now(desk.totp_secret, world.clock.now())
    world.access.step_up(desk.actor, code)
    with pytest.raises(Exception, match="already used"):
        world.access.step_up(desk.actor, code)


@pytest.mark.req("R-USE-5")
def test_consent_is_checked_on_reads_r_use_5(world: World) -> None:
    """The production gate consults the consent ledger: no consent to marketing, no read."""
    from piguard.errors import ConsentRequired

    cid = world.customer()
    mk = world.user("marketing")
    with pytest.raises(ConsentRequired):
        world.service.read(world.ctx(mk, "marketing"), "customer", cid, ["marketing_tags"])
    denial = world.denials()[-1]
    assert (denial.action, denial.result, denial.customer_id) == ("read", "consent", cid)
    world.consent(cid, "marketing")
    views = world.service.read(world.ctx(mk, "marketing"), "customer", cid, ["marketing_tags"])
    assert views["marketing_tags"].level != "deny"
