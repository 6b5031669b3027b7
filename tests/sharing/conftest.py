"""The sharing tests' fixtures: an audited world (staff with real accounts) and helpers that set up
a partner, an agreement, its impact assessment and customers who consented separately."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from piguard.consent import ConsentKind, shipped_notice
from piguard.consent.capability import Consent
from piguard.crypto.keyring import generate_master_secret
from piguard.gate import RequestContext
from piguard.sharing import Agreement, Partner, Sharing
from tests.access.conftest import ADULT, SETUP, TODAY, World, make_world

#: A valid unified social credit code (GB 32100-2015 check character).
USCC = "91110000600037341L"
DOC = "ab" * 32
SECTIONS = {
    "scope": "会员数据提供给物流合作方",
    "data_flows": "piguard → 合作方 SFTP",
    "legality_necessity": "单独同意；最小必要字段",
    "impact_on_persons": "低",
    "security_measures": "去标识化、加密传输",
    "residual_risk": "低",
}
RULES: dict[str, Any] = {
    "name": "mask",
    "mobile": "pseudonymise",
    "birth_date": {"rule": "generalise", "params": {"to": "age_band", "width": 10}},
    "address": {"rule": "generalise", "params": {"to": "city"}},
    "gender": "suppress",
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    w = make_world(tmp_path, {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}, audited=True)
    yield w
    w.inst.close()


def sharing(world: World) -> Sharing:
    return world.inst.capability(Sharing)


def officer(world: World) -> RequestContext:
    return RequestContext(world.step_up(world.staff_of("officer")), "", client="test")


def sharer(world: World) -> RequestContext:
    return RequestContext(world.step_up(world.staff_of("sharing_officer")), "", client="test")


def partner(world: World, **kw: Any) -> Partner:
    args: dict[str, Any] = {
        "name": "顺达物流有限公司",
        "uscc_code": USCC,
        "contact": "dpo@shunda.example",
        "country": "CN",
        "role": "recipient",
        "security_basis": "ISO/IEC 27001",
        "assessed_on": TODAY - timedelta(days=100),
        "assessment_expires": TODAY + timedelta(days=265),
        "assessor": "CNAS 认证机构",
    }
    args.update(kw)
    return sharing(world).add_partner(officer(world), **args)


def agreement(world: World, partner_id: str, *, assess: bool = True, **kw: Any) -> Agreement:
    args: dict[str, Any] = {
        "partner_id": partner_id,
        "type": "provision",
        "purpose": "partner_provision",
        "fields": RULES,
        "method": "SFTP, encrypted",
        "safeguards": "去标识化；合作方不得再委托",
        "starts_on": TODAY - timedelta(days=10),
        "ends_on": TODAY + timedelta(days=355),
        "document_sha256": DOC,
    }
    args.update(kw)
    made = sharing(world).add_agreement(officer(world), **args)
    if assess:
        assessment(world, made.id)
    return made


def assessment(world: World, agreement_id: str, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "sections": SECTIONS,
        "conclusion": "acceptable",
        "reviewer": "个人信息保护负责人",
        "assessed_on": TODAY - timedelta(days=5),
        "valid_until": TODAY + timedelta(days=360),
        "agreement_id": agreement_id,
    }
    args.update(kw)
    return sharing(world).add_assessment(officer(world), **args)


def consented(
    world: World,
    purpose: str = "partner_provision",
    values: dict[str, str] | None = None,
    kinds: tuple[ConsentKind, ...] = ("general", "provision"),
    recipient: str = "顺达物流有限公司",
) -> str:
    """A customer who gave ``kinds`` of consent to ``purpose``; a provision or cross-border
    consent names ``recipient`` (the default partner's name)."""
    cid = world.customer(dict(values or ADULT))
    grant(world, cid, purpose, kinds, recipient)
    return cid


def grant(
    world: World,
    cid: str,
    purpose: str,
    kinds: tuple[ConsentKind, ...],
    recipient: str = "顺达物流有限公司",
) -> None:
    consent = world.inst.capability(Consent)
    setup = RequestContext(SETUP, "", client="test")
    if not consent.notices(setup):
        _, zh, en = shipped_notice("privacy")
        consent.publish_notice(setup, zh, en, title="Privacy notice")
    named = recipient if set(kinds) & {"provision", "cross_border"} else None
    consent.grant(setup, cid, [purpose], channel="app", kinds=list(kinds), recipient=named)


def adult(i: int, **over: str) -> dict[str, str]:
    """A distinct adult (own mobile, email and ID number)."""
    values = dict(ADULT)
    values.update(
        mobile=f"1390000{i:04d}",
        email=f"c{i}@example.com",
        resident_id=_resident_id(date(1990, 3, 7), i),
    )
    values.pop("bank_card")
    values.update(over)
    return values


def _resident_id(born: date, seq: int) -> str:
    body = f"110105{born:%Y%m%d}{seq % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def purpose_assessment(world: World, purpose: str, **kw: Any) -> Any:
    """A current PIPIA linked to ``purpose`` (what a public disclosure needs, R-SHR-3)."""
    args: dict[str, Any] = {
        "sections": SECTIONS,
        "conclusion": "acceptable",
        "reviewer": "个人信息保护负责人",
        "assessed_on": TODAY - timedelta(days=5),
        "valid_until": TODAY + timedelta(days=360),
        "purpose": purpose,
    }
    args.update(kw)
    return sharing(world).add_assessment(officer(world), **args)
