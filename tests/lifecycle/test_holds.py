"""Legal holds (R-DST-2): a held customer is never destroyed, by any path, until every hold on
them is released; holds and releases are audited, their reasons sealed, their shape checked."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from piguard.gate import RequestContext
from piguard.installation import Installation
from tests.access.conftest import ADULT, SETUP, World
from tests.cli.test_cli import home, login_as, run
from tests.rights.test_cases import Api, opened

__all__ = ["home"]

pytestmark = pytest.mark.req("R-DST-2")


def _hold(api: Api, cid: str, **extra: object) -> dict[str, Any]:
    body = {"customer_id": cid, "reason": "民事诉讼证据保全", **extra}
    return api("officer", "POST", "/v1/holds", expect=201, json=body)  # type: ignore[no-any-return]


def test_a_held_customer_is_never_erased_by_staff_or_by_a_rights_deletion(world: World, api: Api) -> None:
    cid = world.customer()
    first = _hold(
        api,
        cid,
        matter="(2026)京0105民初1234号",
        review_on=(world.inst.gate.today() + timedelta(days=90)).isoformat(),
    )
    second = _hold(api, cid)
    assert first["active"] and first["placed_by"] == world.staff_of("officer").actor.id

    # Staff erasure: refused inside the erasing transaction, and the attempt is in the trail.
    refused = api("officer", "POST", f"/v1/customers/{cid}/erase", expect=403, json={"reason": "request"})
    assert first["id"] in refused["detail"]
    assert world.inst.vault.exists(cid)
    [deny] = world.inst.audit.query(action="erase", decision="deny", customer_id=cid, limit=10)
    assert deny.rule == "lifecycle.legal_hold"

    # A rights deletion, fulfilled by the officer, is refused the same way; the case stays open.
    case = opened(api, cid, "deletion", channel="counter")
    url = f"/v1/requests/{case['id']}"
    api("customer_service", "POST", f"{url}/verify", json={"in_person": True})
    api("officer", "POST", f"{url}/complete", expect=403, json={})
    assert world.inst.vault.exists(cid)
    assert api("officer", "GET", url)["status"] == "verified"

    # Released one hold: still held by the other.
    api("officer", "POST", f"/v1/holds/{first['id']}/release", json={"reason": "判决生效"})
    api("officer", "POST", f"/v1/customers/{cid}/erase", expect=403, json={"reason": "request"})
    api("officer", "POST", f"/v1/holds/{second['id']}/release", json={"reason": "撤诉"})
    done = api("officer", "POST", f"{url}/complete", json={})
    assert done["case"]["outcome"] == "erased" and not world.inst.vault.exists(cid)
    actions = [e.action for e in world.inst.audit.query(customer_id=cid, limit=100)]
    assert actions.count("hold_place") == 2 and actions.count("hold_release") == 2


def test_holds_are_listed_by_matter_without_reasons_and_shown_with_them(world: World, api: Api) -> None:
    held = [world.customer({**ADULT, "mobile": f"1380013800{i}"}) for i in range(3)]
    matter = "(2026)沪0115民初77号"
    ids = [_hold(api, cid, matter=matter)["id"] for cid in held[:2]]
    _hold(api, held[2])
    listed = api("auditor", "GET", "/v1/holds", params={"matter": matter})["holds"]
    assert sorted(h["id"] for h in listed) == sorted(ids)
    assert all(h["reason"] is None for h in listed)  # reasons are sealed, shown one hold at a time
    shown = api("auditor", "GET", f"/v1/holds/{ids[0]}")
    assert shown["reason"] == "民事诉讼证据保全"
    api("officer", "POST", f"/v1/holds/{ids[0]}/release", json={"reason": "结案"})
    assert [
        h["id"]
        for h in api("officer", "GET", "/v1/holds", params={"matter": matter, "active": True})["holds"]
    ] == [ids[1]]
    released = api("officer", "GET", f"/v1/holds/{ids[0]}")
    assert not released["active"] and released["release_reason"] == "结案"
    # Released twice: a conflict, not a second release.
    api("officer", "POST", f"/v1/holds/{ids[0]}/release", expect=409, json={"reason": "again"})


def test_hold_shape_and_who_may_place_one(world: World, api: Api) -> None:
    cid = world.customer()
    api("customer_service", "POST", "/v1/holds", expect=403, json={"customer_id": cid, "reason": "x"})
    api("officer", "POST", "/v1/holds", expect=422, json={"customer_id": cid, "reason": "   "})
    past = (world.inst.gate.today() - timedelta(days=1)).isoformat()
    bad = api(
        "officer",
        "POST",
        "/v1/holds",
        expect=422,
        json={"customer_id": cid, "reason": "r", "review_on": past},
    )
    assert bad["field"] == "review_on"
    # The matter is listed in clear: a reference, never personal information.
    bad = api(
        "officer",
        "POST",
        "/v1/holds",
        expect=422,
        json={"customer_id": cid, "reason": "r", "matter": "张三 13800138000"},
    )
    assert bad["field"] == "matter" and "13800138000" not in str(bad)
    api("officer", "POST", "/v1/holds", expect=404, json={"customer_id": "C0000000000000000", "reason": "r"})
    api("officer", "POST", "/v1/holds/hold_nosuch/release", expect=404, json={"reason": "r"})
    assert api("officer", "GET", "/v1/holds")["holds"] == []  # nothing was half-written


def test_hold_reasons_are_sealed_at_rest(world: World, api: Api, tmp_path: Path) -> None:
    cid = world.customer()
    canary = "保全申请人王小明电话13912345678"
    hold = _hold(api, cid, reason=canary)
    api("officer", "POST", f"/v1/holds/{hold['id']}/release", json={"reason": canary + "已撤回"})
    world.inst.audit.checkpoint()
    files = [p for p in (tmp_path / "home").rglob("*") if p.is_file()]
    assert files
    for path in files:
        raw = path.read_bytes()
        assert canary.encode() not in raw and b"13912345678" not in raw, path


def test_holds_cli(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Installation(home) as inst:
        cid = inst.gate.create(RequestContext(SETUP, "service"), "customer", dict(ADULT)).customer_id
    login_as(home, "officer", monkeypatch)
    review = (date.today() + timedelta(days=30)).isoformat()
    code, hold, err = run(
        "holds",
        "add",
        "--customer",
        cid,
        "--reason",
        "litigation",
        "--matter",
        "M-1",
        "--review",
        review,
        "--json",
    )
    assert code == 0, err
    assert (
        isinstance(hold, dict) and hold["active"] and hold["matter"] == "M-1" and hold["review_on"] == review
    )
    code, listed, _ = run("holds", "list", "--active", "--json")
    assert code == 0 and isinstance(listed, dict) and [h["id"] for h in listed["holds"]] == [hold["id"]]
    code, erased, _ = run("erase", cid, "--reason", "request", "--json")
    assert code != 0 and "legal hold" in str(erased)
    code, released, _ = run("holds", "release", hold["id"], "--reason", "settled", "--json")
    assert code == 0 and isinstance(released, dict) and not released["active"]
    assert run("holds", "add", "--customer", cid, "--reason", "x", "--review", "soon", "--json")[0] != 0
