"""One exercise per declared operation, like HashiCorp Vault's ``ExerciseBackend``: how to run
the operation with a real staff role (or the built-in system / data-subject principals).

The conformance suite (``test_conformance.py``) iterates the gate's registry and fails for an
operation without an exercise here, so a new capability cannot mount an operation that the
suite does not exercise.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from piguard.backup import Backups, read_manifest
from piguard.compliance import Compliance
from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from piguard.gate.principals import customer_actor, system_actor
from piguard.gate.trail import Trail
from piguard.incidents import Incidents
from piguard.lifecycle import Lifecycle
from piguard.outbox import Outbox
from piguard.privacy import Privacy, Session
from piguard.rights import Rights
from piguard.sharing import Sharing
from tests.access.conftest import ADULT, SETUP, World

State = dict[str, Any]
Run = Callable[[World, RequestContext, State], object]


def _none(world: World) -> State:
    return {}


@dataclass(frozen=True)
class Exercise:
    """How to run one operation: as ``role`` for ``purpose``, after ``setup``."""

    role: str
    run: Run
    purpose: str = ""
    setup: Callable[[World], State] = field(default=_none)


def consent(world: World) -> Consent:
    return world.inst.capability(Consent)


def trail(world: World) -> Trail:
    return world.inst.capability(Trail)


def outbox(world: World) -> Outbox:
    return world.inst.capability(Outbox)


def rights(world: World) -> Rights:
    return world.inst.capability(Rights)


def privacy(world: World) -> Privacy:
    return world.inst.capability(Privacy)


def _signed_in(world: World) -> State:
    """A customer signed in to the privacy centre (the code read from the sealed message)."""
    import json

    from sqlalchemy import select

    from piguard.outbox.tables import messages

    state = customer(world)
    gate = RequestContext(system_actor("privacy", "privacy_sign_in"), "", client="test")
    started = privacy(world).start(gate, ADULT["mobile"])
    box = outbox(world)
    with world.inst.db.read() as conn:
        mid, params = conn.execute(
            select(messages.c.id, messages.c.params).order_by(messages.c.created_at.desc())
        ).first()  # type: ignore[misc]
    code = json.loads(box._box.open(params, box._context(mid)))["code"]
    state["challenge"], state["code"] = started.challenge, code
    return state


def signed_in(world: World) -> State:
    state = _signed_in(world)
    gate = RequestContext(system_actor("privacy", "privacy_sign_in"), "", client="test")
    state["session"] = privacy(world).verify(gate, state["challenge"], state["code"])
    return state


def reveal_coded(world: World) -> State:
    state = signed_in(world)
    session: Session = state["session"]
    state["reveal"] = privacy(world).reveal_code(
        session.context(""), session, "customer", "mobile", state["cid"]
    )
    box = outbox(world)
    import json

    from sqlalchemy import select

    from piguard.outbox.tables import messages

    with world.inst.db.read() as conn:
        rows = conn.execute(select(messages.c.id, messages.c.params)).all()
    state["reveal_code"] = json.loads(box._box.open(rows[-1][1], box._context(rows[-1][0])))["code"]
    return state


def _last_code(world: World) -> str:
    import json

    from sqlalchemy import select

    from piguard.outbox.tables import messages

    box = outbox(world)
    with world.inst.db.read() as conn:
        rows = conn.execute(
            select(messages.c.id, messages.c.params).where(messages.c.template == "verification_code")
        ).all()
    return str(json.loads(box._box.open(rows[-1][1], box._context(rows[-1][0])))["code"])


def guardian_signed_in(world: World) -> State:
    """The guardian of a child under 14 signed in to the privacy centre for the child."""
    from tests.privacy.test_guardian import CHILD

    state: State = {"cid": world.customer(dict(CHILD))}
    gate = RequestContext(system_actor("privacy", "privacy_sign_in"), "", client="test")
    started = privacy(world).start(gate, CHILD["mobile"], guardian=True)
    state["session"] = privacy(world).verify(gate, started.challenge, _last_code(world))
    return state


def package_signed_in(world: World) -> State:
    """A customer whose access copy waits, signed in to the privacy centre."""
    state = copy_ready(world)
    gate = RequestContext(system_actor("privacy", "privacy_sign_in"), "", client="test")
    started = privacy(world).start(gate, ADULT["mobile"])
    state["session"] = privacy(world).verify(gate, started.challenge, _last_code(world))
    return state


def package_coded(world: World) -> State:
    """The same, with a fresh step-up code sent before the download."""
    state = package_signed_in(world)
    session: Session = state["session"]
    state["package"] = privacy(world).package_code(session.context(""), session, state["case"])
    state["package_code"] = _last_code(world)
    return state


def rights_case(world: World, type_: str = "correction", *, verified: bool = False) -> State:
    state = customer(world)
    intake = RequestContext(world.step_up(world.staff_of("customer_service")), "", client="test")
    state["case"] = rights(world).open(intake, state["cid"], type_, channel="email").id
    if verified:
        rights(world).verify(intake, state["case"], in_person=True)
    return state


def copy_ready(world: World) -> State:
    """An access request completed: its copy waits behind a one-time link (the token, from the
    sealed message the outbox would send)."""
    import json

    from sqlalchemy import select

    from piguard.outbox.tables import messages

    state = rights_case(world, "access", verified=True)
    officer = RequestContext(world.step_up(world.staff_of("officer")), "", client="test")
    rights(world).complete(officer, state["case"])
    box = outbox(world)
    with world.inst.db.read() as conn:
        mid, params = conn.execute(
            select(messages.c.id, messages.c.params).where(messages.c.template == "package_ready")
        ).one()
    state["token"] = json.loads(box._box.open(params, box._context(mid)))["link"].rsplit("/", 1)[1]
    return state


def paused_case(world: World) -> State:
    state = rights_case(world)
    officer = RequestContext(world.step_up(world.staff_of("officer")), "", client="test")
    rights(world).pause(officer, state["case"], reason="waiting")
    return state


def coded_case(world: World) -> State:
    state = rights_case(world)
    intake = RequestContext(world.step_up(world.staff_of("customer_service")), "", client="test")
    rights(world).send_code(intake, state["case"])
    return state


def refused_in_writing(world: World) -> State:
    """A close relative's request, refused at intake in writing: the customer said no relatives."""
    state = customer(world)
    intake = RequestContext(world.step_up(world.staff_of("customer_service")), "", client="test")
    rights(world).instruct(intake, state["cid"], no_relatives=True)
    state["case"] = rights(world).open(
        intake, state["cid"], "access", channel="counter", relation="relative", relationship="child",
        requester={"name": "某某", "document": "ID 1"},
    ).id  # fmt: skip
    return state


def sharing(world: World) -> Sharing:
    return world.inst.capability(Sharing)


def shared(world: World) -> State:
    """A partner, an active agreement with its impact assessment, a customer who consented
    separately to provision, and a deletion notice (another customer shared, then erased)."""
    from tests.sharing.conftest import adult, agreement, consented, partner, sharer

    p = partner(world)
    a = agreement(world, p.id, fields={"mobile": "pseudonymise"})
    cid = consented(world, values=adult(1))
    gone = consented(world, values=adult(2))
    sharing(world).share(sharer(world), a.id, fields=["mobile"], customers=[gone])
    officer = RequestContext(world.step_up(world.staff_of("officer")), "service", client="test")
    world.inst.gate.erase(officer, gone, reason="request")
    notice = sharing(world).notices(officer)[0]["id"]
    return {"cid": cid, "partner": p.id, "agreement": a.id, "notice": notice}


def analysed(world: World) -> State:
    """Customers who consented to analytics, enough for a 2-anonymous extract."""
    from tests.sharing.conftest import adult, consented

    ids = [consented(world, "analytics", adult(i, gender="F"), ("general",)) for i in range(3)]
    return {"cid": ids[0], "ids": ids}


def share_requested(world: World) -> State:
    """A share request by the sharing officer, waiting for another person's approval."""
    from tests.sharing.conftest import sharer

    state = shared(world)
    made = sharing(world).request_share(
        sharer(world), state["agreement"], fields=["mobile"], customers=[state["cid"]]
    )
    return {**state, "request": made["id"]}


def disclosable(world: World) -> State:
    """A customer who consented separately to public disclosure, and the purpose's PIPIA."""
    from tests.sharing.conftest import adult, consented, purpose_assessment

    purpose_assessment(world, "public_disclosure")
    cid = consented(world, "public_disclosure", adult(3), kinds=("general", "public_disclosure"))
    return {"cid": cid}


def extract_one(world: World, ctx: RequestContext, state: State) -> None:
    """An extract of one customer: its one ``extract_row`` is read and recorded, then the extract is
    refused (one row cannot be 2-anonymous)."""
    from piguard.errors import ValidationError

    try:
        sharing(world).extract(ctx, fields=["gender"], quasi=["gender"], k=2, customers=[state["cid"]])
    except ValidationError:
        return
    raise AssertionError("a one-row extract cannot be 2-anonymous")


def _sha() -> str:
    return "ab" * 32


def lifecycle(world: World) -> Lifecycle:
    return world.inst.capability(Lifecycle)


def compliance(world: World) -> Compliance:
    return world.inst.capability(Compliance)


def compliance_report_kept(world: World) -> State:
    """A compliance report generated by the auditor (JSON only: fast)."""
    setup = RequestContext(world.step_up(world.staff_of("auditor")), "", client="test")
    return {"report": compliance(world).report(setup, formats=("json",))["id"]}


def held_customer(world: World) -> State:
    state = customer(world)
    officer = RequestContext(world.step_up(world.staff_of("officer")), "", client="test")
    state["hold"] = lifecycle(world).place(officer, state["cid"], reason="litigation").id
    return state


def erased(world: World) -> State:
    """A customer erased by the officer: one destruction record."""
    state = customer(world)
    officer = RequestContext(world.step_up(world.staff_of("officer")), "", client="test")
    world.service.erase(officer, state["cid"], reason="request")
    setup = RequestContext(world.step_up(world.staff_of("auditor")), "", client="test")
    state["record"] = lifecycle(world).destructions(setup)[0]["id"]
    return state


def expired_note(world: World) -> State:
    """A customer with a service note four years old (its three-year rule has run out)."""
    now = world.clock.now()
    world.clock.set(now.replace(year=now.year - 4))
    state = customer(world)
    world.service.create(
        _setup_ctx("customer_support"),
        "service_note",
        {"text": "来电", "channel": "phone"},
        customer_id=state["cid"],
    )
    world.clock.set(now)
    return state


def expired_order(world: World) -> State:
    """A customer with an order four years old: its three-year rule anonymises it (R-STO-5)."""
    now = world.clock.now()
    world.clock.set(now.replace(year=now.year - 4))
    state = customer(world)
    world.service.create(
        _setup_ctx("service"),
        "order",
        {"order_no": "SO20220101", "amount": "12.50"},
        customer_id=state["cid"],
    )
    world.clock.set(now)
    return state


def queued_review(world: World) -> State:
    """A customer whose expired service note waits for a retention decision."""
    state = expired_note(world)
    lifecycle(world).run(RequestContext(system_actor("retention", "system"), "", client="test"))
    auditor = RequestContext(world.step_up(world.staff_of("auditor")), "", client="test")
    [review] = lifecycle(world).reviews(auditor)
    state["review"] = review["id"]
    return state


def idle_customer(world: World) -> State:
    """A customer whose only record is six years old: inactive (R-DST-4)."""
    now = world.clock.now()
    world.clock.set(now.replace(year=now.year - 6))
    state = customer(world)
    world.clock.set(now)
    return state


def notified_customer(world: World) -> State:
    """An inactive customer told forty days ago (the notice delivered): due for clean-up."""
    state = idle_customer(world)
    now = world.clock.now()
    world.clock.set(now - timedelta(days=40))
    lifecycle(world).run(RequestContext(system_actor("retention", "system"), "", client="test"))
    outbox(world).deliver_due()  # the clean-up waits for the notice to have gone out
    world.clock.set(now)
    return state


def queued_to_partner(world: World) -> State:
    """A message to an organisation's address (a partner's deletion notice), no customer."""
    with world.inst.db.transaction() as conn:
        message = outbox(world).enqueue_to(
            conn,
            "dpo@partner.example",
            "partner_deletion_notice",
            {
                "partner": "甲公司",
                "row_ref": "r:00",
                "transfers": "trf_0",
                "cause": "erase",
                "reference": "dln_0",
            },
            channel="email",
        )
    return {"message": message}


def queued_message(world: World) -> State:
    state = customer(world)
    with world.inst.db.transaction() as conn:
        state["message"] = outbox(world).enqueue(
            conn, state["cid"], "verification_code", {"code": "123456", "minutes": "10"}, channel="email"
        )
    return state


def _setup_ctx(purpose: str = "") -> RequestContext:
    return RequestContext(SETUP, purpose, client="test")


def customer(world: World) -> State:
    return {"cid": world.customer(dict(ADULT))}


def noticed_customer(world: World) -> State:
    state = customer(world)
    c = consent(world)
    if not c.notices(_setup_ctx()):
        _, zh, en = shipped_notice("privacy")
        c.publish_notice(_setup_ctx(), zh, en, title="Privacy notice")
    return state


def consented_customer(world: World) -> State:
    state = noticed_customer(world)
    consent(world).grant(_setup_ctx(), state["cid"], ["marketing"], channel="app")
    return state


def export_grant(world: World) -> State:
    state = consented_customer(world)
    mk = world.staff_of("marketing")
    grant = world.access.grants.request(
        mk.actor,
        kind="export",
        record_type="customer",
        purpose="marketing",
        max_rows=1,
        reason="campaign",
        fields=None,
    )
    world.access.grants.decide(world.step_up(world.staff_of("officer")), grant.id, approve=True)
    return {**state, "grant": grant.id}


def rotated(world: World) -> State:
    state = customer(world)
    world.inst.gate.rotate_keys(_setup_ctx())
    return state


def alert(world: World) -> State:
    # Failed logins of one account raise an alert (the failed-logins rule).
    victim = world.staff_of("customer_service")
    for _ in range(6):
        try:
            world.access.login(victim.name, "wrong password", None)
        except Exception:  # noqa: S112 - the refusals are the point
            continue
    found = world.inst.audit.alerts()
    return {"alert": found[0].id if found else "alert-missing"}


def registered_stay(world: World, *, checked_in: bool = False) -> State:
    """A customer with a stay today, registered (and with ``checked_in``, checked in)."""
    from tests.access.conftest import TODAY

    state = customer(world)
    state["stay"] = world.stay(state["cid"], TODAY, TODAY, checked_in=checked_in)
    return state


def _stay_values() -> dict[str, object]:
    from tests.access.conftest import TODAY

    return {"room_no": "0808", "check_in": TODAY.isoformat(), "check_out": TODAY.isoformat()}


def _import_rows() -> list[tuple[int, dict[str, object]]]:
    return [(1, {"name": "张三", "mobile": "13800138011"})]


def backups(world: World) -> Backups:
    return world.inst.capability(Backups)


def backed_up(world: World) -> State:
    """A customer, and a backup (by name, in the installation's backup directory)."""
    state = customer(world)
    admin = RequestContext(world.step_up(world.staff_of("admin")), "", client="test")
    state["backup"] = backups(world).directory(f"b-{secrets.token_hex(4)}")
    backups(world).create(admin, state["backup"])
    return state


def _tmp(world: World, name: str) -> Path:
    return Path(world.inst.settings.home) / name


def incidents(world: World) -> Incidents:
    return world.inst.capability(Incidents)


def incident(world: World) -> State:
    """An open incident (and a customer-service user whose reads it may scope or freeze)."""
    officer = RequestContext(world.step_up(world.staff_of("officer")), "", client="test")
    opened = incidents(world).open(officer, title="exercise", discovered=world.clock.now())
    return {"incident": opened["id"], "suspect": world.user("customer_service").name}


def _actor_id(world: World, name: str) -> str:
    return str(world.inst.access.principal(name)["id"])


EXERCISES: dict[str, Exercise] = {
    # records
    "create": Exercise(
        "customer_service",
        lambda w, ctx, s: w.service.create(ctx, "customer", {"name": "李四", "mobile": "13800138022"}),
        "service",
    ),
    "read": Exercise(
        "customer_service",
        lambda w, ctx, s: w.service.read(ctx, "customer", s["cid"], ["name"]),
        "service",
        customer,
    ),
    "update": Exercise(
        "customer_service",
        lambda w, ctx, s: w.service.update(ctx, "customer", s["cid"], {"name": "王五"}),
        "service",
        customer,
    ),
    "search": Exercise(
        "customer_service",
        lambda w, ctx, s: w.service.search(ctx, "customer", "mobile", ADULT["mobile"]),
        "service",
        customer,
    ),
    "match": Exercise(
        "customer_service",
        lambda w, ctx, s: w.service.match(ctx, s["cid"], "mobile", ADULT["mobile"]),
        "service",
        customer,
    ),
    "list": Exercise(
        "customer_service", lambda w, ctx, s: w.service.customer_records(ctx, s["cid"]), "service", customer
    ),
    "export": Exercise(
        "marketing",
        lambda w, ctx, s: w.service.export(ctx, "customer", [s["cid"]], grant_id=s["grant"]),
        "marketing",
        export_grant,
    ),
    "import": Exercise(
        "customer_service",
        lambda w, ctx, s: w.service.import_rows(ctx, "customer", _import_rows()),
        "service",
    ),
    "erase": Exercise(
        "officer", lambda w, ctx, s: w.service.erase(ctx, s["cid"], reason="request"), "", customer
    ),
    "key_status": Exercise("admin", lambda w, ctx, s: w.service.key_status(ctx)),
    "key_rotate": Exercise("admin", lambda w, ctx, s: w.service.rotate_keys(ctx), "", customer),
    "key_retire": Exercise("admin", lambda w, ctx, s: w.service.retire_key(ctx, 1), "", rotated),
    "reindex": Exercise("admin", lambda w, ctx, s: w.service.reindex(ctx), "", customer),
    # stays (issue 11.5): registering grants nothing; the check-in proves the guest
    "stay_register": Exercise(
        "front_desk",
        lambda w, ctx, s: w.service.stays.register(ctx, s["cid"], _stay_values()),
        "service",
        customer,
    ),
    "stay_check_in": Exercise(
        "front_desk",
        lambda w, ctx, s: w.service.stays.check_in(ctx, s["stay"], id_number=ADULT["resident_id"]),
        "service",
        registered_stay,
    ),
    "stay_check_out": Exercise(
        "front_desk",
        lambda w, ctx, s: w.service.stays.check_out(ctx, s["stay"]),
        "service",
        lambda w: registered_stay(w, checked_in=True),
    ),
    # consent
    "consent_show": Exercise(
        "customer_service", lambda w, ctx, s: consent(w).show(ctx, s["cid"]), "", customer
    ),
    "consent_grant": Exercise(
        "customer_service",
        lambda w, ctx, s: consent(w).grant(ctx, s["cid"], ["marketing"], channel="counter"),
        "",
        noticed_customer,
    ),
    "consent_withdraw": Exercise(
        "customer_service",
        lambda w, ctx, s: consent(w).withdraw(ctx, s["cid"], ["marketing"], channel="counter"),
        "",
        consented_customer,
    ),
    "consent_refuse": Exercise(
        "customer_service",
        lambda w, ctx, s: consent(w).refuse(ctx, s["cid"], ["marketing"], channel="counter"),
        "",
        customer,
    ),
    "marketing_show": Exercise(
        "customer_service", lambda w, ctx, s: consent(w).marketing(ctx, s["cid"]), "", customer
    ),
    "marketing_set": Exercise(
        "customer_service",
        lambda w, ctx, s: consent(w).set_marketing(ctx, s["cid"], True, False, channel="counter"),
        "",
        customer,
    ),
    "notice_publish": Exercise(
        "admin",
        lambda w, ctx, s: consent(w).publish_notice(
            ctx, *shipped_notice("privacy")[1:], title="Privacy notice"
        ),
    ),
    "notice_list": Exercise("customer_service", lambda w, ctx, s: consent(w).notices(ctx)),
    "minors_reevaluate": Exercise("system", lambda w, ctx, s: consent(w).reevaluate_birthdays(ctx)),
    # the audit trail
    "audit_query": Exercise("auditor", lambda w, ctx, s: trail(w).query(ctx, limit=10)),
    "audit_verify": Exercise("auditor", lambda w, ctx, s: trail(w).verify(ctx)),
    "audit_public_key": Exercise("auditor", lambda w, ctx, s: trail(w).public_key(ctx)),
    "audit_history": Exercise("auditor", lambda w, ctx, s: trail(w).history(ctx, s["cid"]), "", customer),
    "own_access_history": Exercise(
        "data_subject", lambda w, ctx, s: trail(w).history(ctx, s["cid"]), "", customer
    ),
    "audit_export": Exercise(
        "auditor", lambda w, ctx, s: trail(w).export(ctx, _tmp(w, "trail.jsonl")), "", customer
    ),
    "audit_archive": Exercise(
        "admin", lambda w, ctx, s: trail(w).archive(ctx, datetime(2020, 1, 1, tzinfo=UTC), _tmp(w, "a.jsonl"))
    ),
    "audit_ref": Exercise("auditor", lambda w, ctx, s: trail(w).customer_ref(ctx, s["cid"]), "", customer),
    "audit_checkpoint": Exercise("auditor", lambda w, ctx, s: trail(w).checkpoint(ctx), "", customer),
    "audit_dashboard": Exercise(
        "admin", lambda w, ctx, s: trail(w).dashboard(ctx, since=datetime(2020, 1, 1, tzinfo=UTC), limit=100)
    ),
    "alerts_list": Exercise("auditor", lambda w, ctx, s: trail(w).alerts(ctx)),
    "alert_ack": Exercise("auditor", lambda w, ctx, s: trail(w).ack(ctx, s["alert"], "checked"), "", alert),
    # the outbox (its default channel writes files into the home)
    "outbox_deliver": Exercise(
        "notifier", lambda w, ctx, s: outbox(w).deliver(ctx, s["message"]), "notification", queued_message
    ),
    "outbox_deliver_to": Exercise(
        "notifier", lambda w, ctx, s: outbox(w).deliver(ctx, s["message"]), "notification", queued_to_partner
    ),
    "outbox_list": Exercise("admin", lambda w, ctx, s: outbox(w).list(ctx)),
    # the customer privacy centre
    "privacy_sign_in": Exercise(
        "privacy_sign_in", lambda w, ctx, s: privacy(w).start(ctx, ADULT["mobile"]), "", customer
    ),
    "privacy_sign_in_verify": Exercise(
        "privacy_sign_in", lambda w, ctx, s: privacy(w).verify(ctx, s["challenge"], s["code"]), "", _signed_in
    ),
    "privacy_profile": Exercise(
        "data_subject",
        lambda w, ctx, s: privacy(w).profile(ctx, s["session"]),
        "data_subject_rights",
        signed_in,
    ),
    "privacy_reveal_code": Exercise(
        "data_subject",
        lambda w, ctx, s: privacy(w).reveal_code(ctx, s["session"], "customer", "mobile", s["cid"]),
        "",
        signed_in,
    ),
    "privacy_reveal": Exercise(
        "data_subject",
        lambda w, ctx, s: privacy(w).reveal(ctx, s["session"], s["reveal"], s["reveal_code"]),
        "data_subject_rights",
        reveal_coded,
    ),
    "privacy_sign_out": Exercise(
        "data_subject", lambda w, ctx, s: privacy(w).sign_out(ctx, s["session"]), "", signed_in
    ),
    "privacy_recipients": Exercise(
        "data_subject", lambda w, ctx, s: privacy(w).recipients(ctx, s["session"]), "", signed_in
    ),
    "privacy_package_code": Exercise(
        "data_subject",
        lambda w, ctx, s: privacy(w).package_code(ctx, s["session"], s["case"]),
        "",
        package_signed_in,
    ),
    "privacy_package": Exercise(
        "data_subject",
        lambda w, ctx, s: privacy(w).package(ctx, s["session"], s["package"], s["package_code"]),
        "",
        package_coded,
    ),
    "privacy_guardian": Exercise(
        "data_subject",
        lambda w, ctx, s: privacy(w).guardian(ctx, s["session"]),
        "data_subject_rights",
        guardian_signed_in,
    ),
    "privacy_ready": Exercise(
        "data_subject", lambda w, ctx, s: privacy(w).ready(ctx, s["session"]), "", package_signed_in
    ),
    # data-subject requests and complaints
    "rights_open": Exercise(
        "customer_service",
        lambda w, ctx, s: rights(w).open(ctx, s["cid"], "access", channel="web"),
        "",
        customer,
    ),
    "rights_show": Exercise("officer", lambda w, ctx, s: rights(w).show(ctx, s["case"]), "", rights_case),
    "rights_list": Exercise("officer", lambda w, ctx, s: rights(w).find(ctx), "", rights_case),
    "rights_send_code": Exercise(
        "customer_service", lambda w, ctx, s: rights(w).send_code(ctx, s["case"]), "", rights_case
    ),
    "rights_verify": Exercise(
        "customer_service", lambda w, ctx, s: rights(w).verify(ctx, s["case"], in_person=True), "", coded_case
    ),
    "rights_pause": Exercise(
        "officer", lambda w, ctx, s: rights(w).pause(ctx, s["case"], reason="waiting"), "", rights_case
    ),
    "rights_resume": Exercise(
        "officer", lambda w, ctx, s: rights(w).resume(ctx, s["case"], reason="answered"), "", paused_case
    ),
    "rights_extend": Exercise(
        "officer", lambda w, ctx, s: rights(w).extend(ctx, s["case"], reason="archive"), "", rights_case
    ),
    "rights_refuse": Exercise(
        "officer", lambda w, ctx, s: rights(w).refuse(ctx, s["case"], reason="not ours"), "", rights_case
    ),
    "rights_complete": Exercise(
        "officer",
        lambda w, ctx, s: rights(w).complete(ctx, s["case"]),
        "",
        lambda w: rights_case(w, "access", verified=True),
    ),
    "rights_package_download": Exercise(
        "data_subject", lambda w, ctx, s: rights(w).download(s["token"], ctx), "", copy_ready
    ),
    "rights_clock": Exercise("system", lambda w, ctx, s: rights(w).tick(ctx), "", rights_case),
    "rights_letter": Exercise(
        "officer", lambda w, ctx, s: rights(w).letter(ctx, s["case"]), "", refused_in_writing
    ),
    "rights_instruct": Exercise(
        "customer_service",
        lambda w, ctx, s: rights(w).instruct(ctx, s["cid"], no_relatives=True),
        "",
        customer,
    ),
    # compliance
    "compliance_check": Exercise("auditor", lambda w, ctx, s: compliance(w).check(ctx)),
    "compliance_ropa": Exercise("auditor", lambda w, ctx, s: compliance(w).ropa(ctx)),
    "compliance_report": Exercise("auditor", lambda w, ctx, s: compliance(w).report(ctx, formats=("json",))),
    "compliance_reports": Exercise(
        "auditor", lambda w, ctx, s: compliance(w).reports(ctx), "", compliance_report_kept
    ),
    "compliance_bundle": Exercise(
        "auditor", lambda w, ctx, s: compliance(w).bundle(ctx, w.inst.settings.home / "evidence.zip")
    ),
    "compliance_governance": Exercise("auditor", lambda w, ctx, s: compliance(w).governance(ctx)),
    "compliance_officer_set": Exercise(
        "officer", lambda w, ctx, s: compliance(w).set_officer(ctx, name="王敏", contact="dpo@example.com")
    ),
    "compliance_policy_publish": Exercise(
        "officer",
        lambda w, ctx, s: compliance(w).publish_policy(
            ctx, "pi-protection", title="PI protection", text="Rules."
        ),
    ),
    "compliance_audit_record": Exercise(
        "officer",
        lambda w, ctx, s: compliance(w).record_audit(
            ctx,
            scope="general",
            completed_on=w.inst.gate.today() - timedelta(days=10),
            auditor="Audit Co.",
            result="passed",
        ),
    ),
    "compliance_schedule": Exercise("system", lambda w, ctx, s: compliance(w).tick(ctx)),
    # lifecycle
    "hold_place": Exercise(
        "officer", lambda w, ctx, s: lifecycle(w).place(ctx, s["cid"], reason="litigation"), "", customer
    ),
    "hold_release": Exercise(
        "officer", lambda w, ctx, s: lifecycle(w).release(ctx, s["hold"], reason="settled"), "", held_customer
    ),
    "hold_show": Exercise("auditor", lambda w, ctx, s: lifecycle(w).show(ctx, s["hold"]), "", held_customer),
    "hold_list": Exercise("auditor", lambda w, ctx, s: lifecycle(w).find(ctx), "", held_customer),
    "destruction_list": Exercise("auditor", lambda w, ctx, s: lifecycle(w).destructions(ctx), "", erased),
    "destruction_export": Exercise(
        "auditor", lambda w, ctx, s: lifecycle(w).destruction(ctx, s["record"]), "", erased
    ),
    "destruction_check": Exercise("system", lambda w, ctx, s: lifecycle(w).check(ctx), "", erased),
    "account_close": Exercise(
        "customer_service",
        lambda w, ctx, s: lifecycle(w).close_account(ctx, s["cid"], reason="closed"),
        "",
        customer,
    ),
    "retention_plan": Exercise("auditor", lambda w, ctx, s: lifecycle(w).plan(ctx), "", customer),
    "retention_run": Exercise("admin", lambda w, ctx, s: lifecycle(w).run(ctx), "", customer),
    "retention_event": Exercise(
        "customer_service",
        lambda w, ctx, s: lifecycle(w).record_event(ctx, s["cid"], "contract_end", reason="contract ended"),
        "",
        customer,
    ),
    "retention_reviews": Exercise("auditor", lambda w, ctx, s: lifecycle(w).reviews(ctx), "", queued_review),
    "retention_decide": Exercise(
        "officer",
        lambda w, ctx, s: lifecycle(w).decide(
            ctx,
            s["review"],
            "keep",
            keep_until=w.inst.gate.today() + timedelta(days=30),
            reason="complaint open",
        ),
        "",
        queued_review,
    ),
    "retention_statistics": Exercise("auditor", lambda w, ctx, s: lifecycle(w).statistics(ctx), "", customer),
    # backups
    "backup_create": Exercise(
        "admin",
        lambda w, ctx, s: backups(w).create(ctx, _tmp(w, f"backup-{secrets.token_hex(4)}")),
        "",
        customer,
    ),
    "backup_list": Exercise("admin", lambda w, ctx, s: backups(w).listing(ctx), "", backed_up),
    "backup_verify": Exercise("admin", lambda w, ctx, s: backups(w).verify(ctx, s["backup"]), "", backed_up),
    "erasure_ledger": Exercise("admin", lambda w, ctx, s: backups(w).ledger(ctx), "", erased),
    # A restore's checks and closing entry, run on the installation the backup came from (the CLI
    # runs them in the new home as system:restore).
    "backup_restore": Exercise(
        "system",
        lambda w, ctx, s: backups(w).finish_restore(ctx, read_manifest(s["backup"]), [], backups(w)),
        "",
        backed_up,
    ),
    # incidents
    "incident_open": Exercise(
        "officer", lambda w, ctx, s: incidents(w).open(ctx, title="t", discovered=w.clock.now()), "", _none
    ),
    "incident_update": Exercise(
        "officer",
        lambda w, ctx, s: incidents(w).update(ctx, s["incident"], justification="triage", stage="assessing"),
        "",
        incident,
    ),
    "incident_show": Exercise(
        "auditor", lambda w, ctx, s: incidents(w).show(ctx, s["incident"]), "", incident
    ),
    "incident_list": Exercise("auditor", lambda w, ctx, s: incidents(w).find(ctx), "", incident),
    "incident_scope": Exercise(
        "officer",
        lambda w, ctx, s: incidents(w).scope(ctx, s["incident"], actors=[_actor_id(w, s["suspect"])]),
        "",
        incident,
    ),
    "incident_grade": Exercise(
        "officer", lambda w, ctx, s: incidents(w).grade(ctx, s["incident"], persons=10), "", incident
    ),
    "incident_notify": Exercise(
        "officer", lambda w, ctx, s: incidents(w).notify(ctx, s["incident"], mode="draft"), "", incident
    ),
    "incident_contain": Exercise(
        "officer",
        lambda w, ctx, s: incidents(w).contain(ctx, s["incident"], freeze=s["suspect"]),
        "",
        incident,
    ),
    "incident_close": Exercise(
        "officer",
        lambda w, ctx, s: incidents(w).close(ctx, s["incident"], justification="done"),
        "",
        incident,
    ),
    "incident_clock": Exercise("system", lambda w, ctx, s: incidents(w).tick(ctx), "", incident),
    "incident_plan": Exercise("officer", lambda w, ctx, s: incidents(w).publish_plan(ctx, "预案"), "", _none),
    "incident_drill": Exercise(
        "officer",
        lambda w, ctx, s: incidents(w).record_drill(
            ctx, held_on=w.clock.now().date(), scenario="s", participants=2
        ),
        "",
        _none,
    ),
    "incident_drills": Exercise("auditor", lambda w, ctx, s: incidents(w).drills(ctx), "", _none),
    # sharing
    "partner_add": Exercise(
        "officer",
        lambda w, ctx, s: sharing(w).add_partner(
            ctx,
            name="甲公司",
            uscc_code="91110000600037341L",
            contact="dpo@a.example",
            country="CN",
            role="recipient",
            security_basis="ISO/IEC 27001",
            assessed_on=date(2026, 1, 1),
            assessment_expires=date(2027, 1, 1),
            assessor="CNAS",
        ),
    ),
    "partner_list": Exercise("auditor", lambda w, ctx, s: sharing(w).partners(ctx), "", shared),
    "agreement_add": Exercise(
        "officer",
        lambda w, ctx, s: sharing(w).add_agreement(
            ctx,
            partner_id=s["partner"],
            type="provision",
            purpose="partner_provision",
            fields={"mobile": "mask"},
            method="SFTP",
            safeguards="encrypted",
            starts_on=date(2026, 1, 1),
            ends_on=date(2027, 1, 1),
            document_sha256=_sha(),
        ),
        "",
        shared,
    ),
    "agreement_list": Exercise("auditor", lambda w, ctx, s: sharing(w).agreements(ctx), "", shared),
    "agreement_end": Exercise(
        "officer",
        lambda w, ctx, s: sharing(w).end_agreement(
            ctx, s["agreement"], outcome="deleted", evidence_sha256=_sha()
        ),
        "",
        shared,
    ),
    "agreement_suspend": Exercise(
        "officer", lambda w, ctx, s: sharing(w).suspend(ctx, s["agreement"], reason="incident"), "", shared
    ),
    "assessment_add": Exercise(
        "officer",
        lambda w, ctx, s: sharing(w).add_assessment(
            ctx,
            sections={
                k: "x"
                for k in (
                    "scope",
                    "data_flows",
                    "legality_necessity",
                    "impact_on_persons",
                    "security_measures",
                    "residual_risk",
                )
            },
            conclusion="acceptable",
            reviewer="DPO",
            assessed_on=date(2026, 3, 1),
            valid_until=date(2027, 3, 1),
            agreement_id=s["agreement"],
        ),
        "",
        shared,
    ),
    "assessment_list": Exercise("auditor", lambda w, ctx, s: sharing(w).assessments(ctx), "", shared),
    "share": Exercise(
        "sharing_officer",
        lambda w, ctx, s: sharing(w).share(ctx, s["agreement"], fields=["mobile"], customers=[s["cid"]]),
        "",
        shared,
    ),
    "extract": Exercise(
        "sharing_officer",
        lambda w, ctx, s: sharing(w).extract(
            ctx, fields=["gender"], quasi=["gender"], k=2, customers=s["ids"]
        ),
        "analytics",
        analysed,
    ),
    "disclose": Exercise(
        "sharing_officer",
        lambda w, ctx, s: sharing(w).disclose(
            ctx, purpose="public_disclosure", fields={"name": "mask"}, medium="官网公示", customers=[s["cid"]]
        ),
        "",
        disclosable,
    ),
    "share_request": Exercise(
        "sharing_officer",
        lambda w, ctx, s: sharing(w).request_share(
            ctx, s["agreement"], fields=["mobile"], customers=[s["cid"]]
        ),
        "",
        shared,
    ),
    "share_decide": Exercise(
        "officer", lambda w, ctx, s: sharing(w).decide_share(ctx, s["request"]), "", share_requested
    ),
    "share_request_list": Exercise("officer", lambda w, ctx, s: sharing(w).share_requests(ctx), "", shared),
    "transfer_list": Exercise("auditor", lambda w, ctx, s: sharing(w).transfers(ctx), "", shared),
    "deletion_notice_list": Exercise("auditor", lambda w, ctx, s: sharing(w).notices(ctx), "", shared),
    "deletion_notice_ack": Exercise(
        "officer", lambda w, ctx, s: sharing(w).acknowledge(ctx, s["notice"]), "", shared
    ),
}


def principal(world: World, role: str, state: State, purpose: str) -> RequestContext:
    """A context for ``role``: a trained, stepped-up staff user, or a built-in principal."""
    if role in ("system", "notifier", "privacy_sign_in"):
        return RequestContext(system_actor("conformance", role), purpose, client="test")
    if role == "data_subject":
        return RequestContext(customer_actor(state["cid"]), purpose, client="test")
    return RequestContext(world.step_up(world.staff_of(role)), purpose, client="test")


#: Operations that run only as part of another (``part_of``) but not on its default path: how to
#: reach them through their parent (a correction request completed with changes).
PART_EXERCISES: dict[str, Exercise] = {
    "extract_row": Exercise("sharing_officer", extract_one, "analytics", analysed),
    "inactive_notify": Exercise("admin", lambda w, ctx, s: lifecycle(w).run(ctx), "", idle_customer),
    "inactive_close": Exercise("admin", lambda w, ctx, s: lifecycle(w).run(ctx), "", notified_customer),
    "retention_apply": Exercise("admin", lambda w, ctx, s: lifecycle(w).run(ctx), "", expired_order),
    "retention_queue": Exercise("admin", lambda w, ctx, s: lifecycle(w).run(ctx), "", expired_note),
    "rights_correct": Exercise(
        "officer",
        lambda w, ctx, s: rights(w).complete(
            ctx, s["case"], changes=[{"record_type": "customer", "values": {"email": "new@example.com"}}]
        ),
        "",
        lambda w: rights_case(w, "correction", verified=True),
    ),
}
