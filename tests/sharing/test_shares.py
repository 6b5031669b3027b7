"""Shares through the gate (R-SHR-1..4, R-COL-4): one decision over agreement, partner, assessment,
consent and fields; each field desensitised by its rule; one transfer log row."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from piguard.errors import AccessDenied, ValidationError
from tests.access.conftest import TODAY, World
from tests.sharing.conftest import (
    adult,
    agreement,
    consented,
    officer,
    partner,
    sharer,
    sharing,
)


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def _refusal(world: World) -> str:
    [deny] = world.inst.audit.query(action="share", decision="deny", limit=10)[-1:]
    return str(deny.detail["reason"])


@pytest.mark.req("R-SHR-1", "R-SHR-4", "R-COL-4")
def test_a_share_sends_consented_customers_desensitised_and_logs_it(world: World) -> None:
    """R-SHR-1/R-SHR-4/R-COL-4: consented customers leave desensitised per rule; the others are left
    out and counted; the log row names recipient, agreement, fields, rules, persons and hash."""
    p = partner(world)
    a = agreement(world, p.id)
    yes = [consented(world, values=adult(i)) for i in range(3)]
    general_only = consented(world, values=adult(7), kinds=("general",))  # no separate consent
    result = sharing(world).share(
        sharer(world),
        a.id,
        fields=["name", "mobile", "birth_date", "address", "gender"],
        customers=[*yes, general_only],
    )
    assert result.persons == 3 and result.left_out == {"no_consent": 1}
    rows = _rows(result.content)
    assert len(rows) == 3
    for row in rows:
        assert row["name"] == "欧阳**"
        assert row["mobile"].startswith("p:") and "1390000" not in row["mobile"]
        assert row["birth_date"] == "30-39"
        assert row["address"] == "北京市"
        assert row["gender"] == ""
    assert len({r["mobile"] for r in rows}) == 3
    assert result.manifest["count"] == 3 and result.manifest["rules"]["mobile"] == "pseudonymise"
    [log] = sharing(world).transfers(officer(world), partner_id=p.id)
    assert (log["agreement_id"], log["persons"], log["purpose"]) == (a.id, 3, "partner_provision")
    assert log["content_sha256"] == result.manifest["content_sha256"]
    assert log["left_out"] == {"no_consent": 1}
    assert log["keep_until"] >= (TODAY + timedelta(days=3 * 365)).isoformat()
    # Queryable per customer: the one left out received nothing.
    assert len(sharing(world).transfers(officer(world), customer_id=yes[0])) == 1
    assert sharing(world).transfers(officer(world), customer_id=general_only) == []
    [received] = sharing(world).recipients(yes[0])
    assert (received["partner_id"], received["recipient"], received["fields"]) == (
        p.id,
        p.name,
        result.manifest["fields"],
    )
    # One share_row entry per customer, the refused one recorded as a refusal.
    rows_audited = world.inst.audit.query(action="share_row", limit=100)
    assert sorted(e.decision for e in rows_audited) == ["allow"] * 3 + ["deny"]


@pytest.mark.req("R-SHR-1", "R-SHR-3")
@pytest.mark.parametrize(
    "case",
    [
        "no_agreement",
        "expired_agreement",
        "no_assessment",
        "unnamed_field",
        "partner_assessment_expired",
        "ended",
        "lapsed_assessment",
    ],
)
def test_a_share_is_refused_with_its_reason(world: World, case: str) -> None:
    """R-SHR-1/R-SHR-3: outside an active agreement, without a current PIPIA, for fields the
    agreement does not name, or to a partner whose security assessment expired: refused, recorded."""
    cid = consented(world)
    fields = ["mobile"]
    if case == "partner_assessment_expired":
        p = partner(
            world, assessed_on=TODAY - timedelta(days=400), assessment_expires=TODAY - timedelta(days=1)
        )
    else:
        p = partner(world)
    agreement_id = "agr_nonexistent"
    if case == "expired_agreement":
        agreement_id = agreement(
            world, p.id, starts_on=TODAY - timedelta(days=400), ends_on=TODAY - timedelta(days=1)
        ).id
    elif case == "no_assessment":
        agreement_id = agreement(world, p.id, assess=False).id
    elif case == "lapsed_assessment":
        from tests.sharing.conftest import assessment

        agreement_id = agreement(world, p.id, assess=False).id
        assessment(
            world,
            agreement_id,
            assessed_on=TODAY - timedelta(days=400),
            valid_until=TODAY - timedelta(days=1),
        )
    elif case != "no_agreement":
        agreement_id = agreement(world, p.id).id
    if case == "unnamed_field":
        fields = ["mobile", "email"]
    if case == "ended":
        sharing(world).end_agreement(
            officer(world), agreement_id, outcome="deleted", evidence_sha256="cd" * 32
        )
    with pytest.raises(AccessDenied) as refused:
        sharing(world).share(sharer(world), agreement_id, fields=fields, customers=[cid])
    expected = {
        "no_agreement": "no such agreement",
        "expired_agreement": "not in force",
        "no_assessment": "impact assessment",
        "lapsed_assessment": "impact assessment",
        "unnamed_field": "does not name the fields email",
        "partner_assessment_expired": "security assessment has expired",
        "ended": "agreement is ended",
    }[case]
    assert expected in refused.value.reason
    assert expected in _refusal(world)
    # An expired partner assessment raises an alert; the other refusals do not.
    alerts = [a.rule for a in world.inst.audit.alerts()]
    assert ("partner_assessment_expired" in alerts) == (case == "partner_assessment_expired")
    assert world.inst.audit.query(action="share_row", limit=10) == []
    assert sharing(world).transfers(officer(world)) == []


@pytest.mark.req("R-SHR-1")
def test_an_agreement_names_exact_fields_the_purpose_covers_and_separate_consent(world: World) -> None:
    """R-SHR-1: fields outside the purpose, bad rules, and a provision under a purpose without
    separate consent are refused when the agreement is recorded."""
    p = partner(world)
    with pytest.raises(ValidationError, match="not covered"):
        agreement(world, p.id, fields={"bank_card": "mask"})
    with pytest.raises(ValidationError, match="unknown desensitisation rule"):
        agreement(world, p.id, fields={"mobile": "encrypt"})
    with pytest.raises(ValidationError, match="parameter 'key' is supplied at run time"):
        agreement(world, p.id, fields={"mobile": {"rule": "pseudonymise", "params": {"key": "x"}}})
    with pytest.raises(ValidationError, match="separate consent for provision"):
        agreement(world, p.id, purpose="entrusted_processing", fields={"mobile": "mask"})
    made = agreement(
        world, p.id, type="entrustment", purpose="entrusted_processing", fields={"mobile": "mask"}
    )
    assert made.fields["mobile"].rule == "mask"


@pytest.mark.req("R-SHR-1")
def test_the_partner_register_validates_the_credit_code(world: World) -> None:
    """R-SHR-1: a Chinese partner needs a valid unified social credit code (python-stdnum)."""
    with pytest.raises(ValidationError, match="checksum"):
        partner(world, uscc_code="91110000600037341A")
    with pytest.raises(ValidationError):
        partner(world, uscc_code=None)
    abroad = partner(world, uscc_code=None, country="SG", name="Lion Analytics Pte Ltd")
    assert abroad.uscc is None
    ok = partner(world, uscc_code="9111 0000 6000 3734 1l")
    assert ok.uscc == "91110000600037341L"
    assert {x.id for x in sharing(world).partners(officer(world))} == {abroad.id, ok.id}


@pytest.mark.req("R-DST-5")
def test_ending_an_entrustment_requires_return_or_delete_evidence(world: World) -> None:
    """R-DST-5: the end of an entrustment records whether the data was returned or deleted, with the
    evidence's hash; no transfer runs under it afterwards."""
    p = partner(world, role="entrusted")
    a = agreement(world, p.id, type="entrustment", purpose="entrusted_processing", fields={"mobile": "mask"})
    with pytest.raises(ValidationError, match="returned or deleted"):
        sharing(world).end_agreement(officer(world), a.id)
    ended = sharing(world).end_agreement(officer(world), a.id, outcome="deleted", evidence_sha256="EF" * 32)
    assert (ended.state, ended.end_outcome, ended.end_evidence_sha256) == ("ended", "deleted", "ef" * 32)
    [entry] = world.inst.audit.query(action="agreement_end", limit=10)
    assert entry.detail["agreement"] == a.id


def test_suspension_stops_transfers_and_active_agreements_lists_only_those_in_force(world: World) -> None:
    p = partner(world)
    a = agreement(world, p.id)
    assert [x.id for x in sharing(world).active_agreements(p.id)] == [a.id]
    sharing(world).suspend(officer(world), a.id, reason="incident")
    assert sharing(world).active_agreements(p.id) == []
    with pytest.raises(AccessDenied, match="suspended"):
        sharing(world).share(sharer(world), a.id, fields=["mobile"], customers=[consented(world)])


@pytest.mark.req("R-STO-4")
def test_pseudonyms_are_stable_per_recipient_and_differ_between_recipients(world: World) -> None:
    """R-STO-4: the same customer gets the same pseudonym from one partner's shares and another from
    another partner's; the plaintext is in neither output nor the trail."""
    cid = consented(world, recipient="顺达物流有限公司、另一家公司")
    first, second = partner(world), partner(world, name="另一家公司")
    a1, a2 = agreement(world, first.id), agreement(world, second.id)
    one = _rows(sharing(world).share(sharer(world), a1.id, fields=["mobile"], customers=[cid]).content)
    again = _rows(sharing(world).share(sharer(world), a1.id, fields=["mobile"], customers=[cid]).content)
    other = _rows(sharing(world).share(sharer(world), a2.id, fields=["mobile"], customers=[cid]).content)
    assert one == again
    assert one[0]["mobile"] != other[0]["mobile"]
    for out in (one, other):
        assert "13800138000" not in str(out)


@pytest.mark.req("R-USE-3")
def test_a_large_share_needs_an_approved_export_grant_used_once(world: World) -> None:
    """R-USE-3: more customers than the threshold need an export grant for the share's purpose that a
    second person approved; it is used up by the share and its approver is in the log."""
    sharing(world).large_share = 2
    a = agreement(world, partner(world).id)
    ids = [consented(world, values=adult(i)) for i in range(3)]
    ctx = sharer(world)
    with pytest.raises(AccessDenied, match="needs an approved export grant"):
        sharing(world).share(ctx, a.id, fields=["mobile"], customers=ids)
    grant = world.access.grants.request(
        ctx.actor,
        kind="export",
        record_type="customer",
        purpose="partner_provision",
        max_rows=3,
        reason="quarterly delivery list",
        fields=None,
    )
    with pytest.raises(AccessDenied, match="pending"):
        sharing(world).share(ctx, a.id, fields=["mobile"], customers=ids, grant_id=grant.id)
    approver = world.step_up(world.staff_of("officer"))
    world.access.grants.decide(approver, grant.id, approve=True)
    done = sharing(world).share(sharer(world), a.id, fields=["mobile"], customers=ids, grant_id=grant.id)
    assert done.persons == 3 and done.manifest["approver"] == approver.id
    [log] = sharing(world).transfers(officer(world))
    assert log["approver"] == approver.id
    with pytest.raises(AccessDenied, match="export grant is used"):
        sharing(world).share(sharer(world), a.id, fields=["mobile"], customers=ids, grant_id=grant.id)


@pytest.mark.req("R-SHR-2")
def test_a_customers_access_copy_names_who_received_their_data(world: World) -> None:
    """R-SHR-2: the access copy (rights capability) lists each recipient, agreement, purpose and the
    fields it received, read from the transfer log."""
    import json

    from sqlalchemy import select

    from piguard.gate import RequestContext
    from piguard.gate.principals import customer_actor
    from piguard.outbox import Outbox
    from piguard.outbox.tables import messages
    from piguard.rights import Rights
    from tests.gate.exercises import rights_case
    from tests.sharing.conftest import grant

    state = rights_case(world, "access", verified=True)
    cid = state["cid"]
    grant(world, cid, "partner_provision", ("general", "provision"))
    p = partner(world)
    a = agreement(world, p.id)
    sharing(world).share(sharer(world), a.id, fields=["mobile", "address"], customers=[cid])
    world.inst.capability(Rights).complete(officer(world), state["case"])
    box = world.inst.capability(Outbox)
    with world.inst.db.read() as conn:
        mid, params = conn.execute(
            select(messages.c.id, messages.c.params).where(messages.c.template == "package_ready")
        ).one()
    token = json.loads(box._box.open(params, box._context(mid)))["link"].rsplit("/", 1)[1]
    copy = world.inst.capability(Rights).download(
        token, RequestContext(customer_actor(cid), "", client="test")
    )
    [received] = copy["recipients"]["recipients"]
    assert (received["recipient"], received["agreement_id"]) == (p.name, a.id)
    assert received["fields"] == ["mobile", "address"] and received["purpose"] == "partner_provision"


@pytest.mark.req("R-SHR-2")
def test_a_consent_naming_another_recipient_does_not_authorise_the_share(world: World) -> None:
    """R-SHR-2: the separate consent told the person who receives their data. A customer whose
    provision consent names another recipient is left out (and recorded as refused); the partner's
    name matches regardless of width, case and spacing, or by its credit code, or among several
    recipients one consent lists."""
    p = partner(world, name="乙公司")
    a = agreement(world, p.id)
    other = consented(world, values=adult(1))  # names 顺达物流有限公司
    exact = consented(world, values=adult(2), recipient="乙公司")
    spaced = consented(world, values=adult(3), recipient=" 乙 公司 ")
    by_code = consented(world, values=adult(4), recipient=p.uscc or "")
    listed = consented(world, values=adult(5), recipient="顺达物流有限公司、乙公司")
    result = sharing(world).share(
        sharer(world), a.id, fields=["mobile"], customers=[other, exact, spaced, by_code, listed]
    )
    assert result.persons == 4 and result.left_out == {"no_consent": 1}
    assert sharing(world).transfers(officer(world), customer_id=other) == []
    refused = [e for e in world.inst.audit.query(action="share_row", limit=10) if e.decision == "deny"]
    assert len(refused) == 1 and "R-SHR-2" in str(refused[0].detail)
