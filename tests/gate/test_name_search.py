"""Issue 11, item 16: search finds the same person however the name was typed (middle-dot
variants, full-width forms, case), old indexes are rebuilt by ``reindex``, and results carry the
caller's masked name and mobile, read through the gate."""

from __future__ import annotations

import warnings
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert

with warnings.catch_warnings():
    # starlette warns that its test client prefers httpx2; the httpx shipped here works.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from piguard.api.app import create_app
from piguard.gate import RequestContext
from piguard.store.tables import blind_index
from tests.access.conftest import ADULT, TODAY, World, environ, world

__all__ = ["environ", "world"]

UYGHUR = "阿卜杜·热合曼"
WIDE = "ＪＯＨＮ　ＳＭＩＴＨ"


def _found(world: World, who: RequestContext, name: str) -> set[str]:
    return {r.customer_id for r in world.service.search(who, "customer", "name", name)}


@pytest.mark.req("R-USE-1")
@pytest.mark.parametrize(
    "typed", ["阿卜杜・热合曼", "阿卜杜•热合曼", "阿卜杜‧热合曼", "阿卜杜･热合曼", "阿卜杜 · 热合曼"]
)
def test_a_name_is_found_whichever_middle_dot_was_typed_issue_11_16(world: World, typed: str) -> None:
    cid = world.customer({**ADULT, "name": UYGHUR})
    cs = world.ctx(world.user("customer_service"))
    assert _found(world, cs, typed) == {cid}
    # The stored name keeps the dot the customer typed; only the search key folds.
    assert world.inst.vault.read("customer", cid, ["name"]).values["name"] == UYGHUR


@pytest.mark.req("R-USE-1")
def test_full_width_and_case_fold_for_search_issue_11_16(world: World) -> None:
    cid = world.customer({**ADULT, "name": WIDE})
    cs = world.ctx(world.user("customer_service"))
    assert _found(world, cs, "john smith") == {cid}
    assert _found(world, cs, "John Smith") == {cid}
    assert _found(world, cs, "jane smith") == set()
    assert world.inst.vault.read("customer", cid, ["name"]).values["name"] == "ＪＯＨＮ ＳＭＩＴＨ"


@pytest.mark.req("R-USE-1", "R-STO-1")
def test_reindex_upgrades_an_old_home_and_is_idempotent_issue_11_16(world: World) -> None:
    """An index written before names were folded (digest over the value as typed) misses the
    variants until ``reindex`` rebuilds it from the sealed values; a second run changes nothing."""
    typed = "阿卜杜・热合曼"  # stored as typed, katakana middle dot
    cid = world.customer({**ADULT, "name": typed})
    vault = world.inst.vault
    sealing = vault.sealing
    fdef = vault.field("customer", "name")
    old = sealing.indexer.digest(
        vault.tenant, "customer", "name", typed, sealing.index_bits("customer", fdef)
    )
    with vault.db.transaction() as conn:
        where = (blind_index.c.customer_id == cid, blind_index.c.field == "name")
        conn.execute(delete(blind_index).where(*where))
        conn.execute(
            insert(blind_index).values(
                tenant=vault.tenant,
                record_type="customer",
                field="name",
                digest=old,
                customer_id=cid,
                record_id=cid,
            )
        )
    cs = world.ctx(world.user("customer_service"))
    assert _found(world, cs, UYGHUR) == set()  # the old index: what today's main does
    admin = RequestContext(world.step_up(world.user("admin")), "", client="test")
    first = world.service.reindex(admin)
    assert first["reindexed"] == 1 and first["records"] >= 1
    assert _found(world, cs, UYGHUR) == {cid}
    assert world.service.reindex(admin)["reindexed"] == 0
    entries = [e for e in world.recorder.events if e.action == "reindex"]
    assert [e.decision for e in entries] == ["allow", "allow"]
    assert entries[0].detail == {"records": first["records"], "reindexed": 1}
    # Customer service may not rebuild the index (an administrator's operation).
    with pytest.raises(Exception, match="may not"):
        world.service.reindex(cs)


@pytest.mark.req("R-USE-1", "R-USE-3")
def test_search_results_carry_a_masked_summary_read_through_the_gate_issue_11_16(world: World) -> None:
    first = world.customer({**ADULT, "name": UYGHUR})
    second = world.customer({**ADULT, "name": "阿卜杜•热合曼", "mobile": "13700137000"})
    cs_staff = world.user("customer_service")
    cs = world.ctx(cs_staff)
    refs = world.service.search(cs, "customer", "name", "阿卜杜·热合曼")
    assert {r.customer_id for r in refs} == {first, second}
    before = len([e for e in world.recorder.events if e.action == "read"])
    shown = world.service.summaries(cs, [r.customer_id for r in refs])
    reads = [e for e in world.recorder.events if e.action == "read"][before:]
    # One recorded read per customer, naming the fields shown.
    assert sorted(str(e.customer_id) for e in reads) == sorted([first, second])
    assert all(set(e.fields) == {"name", "mobile"} for e in reads)
    for cid, mobile in ((first, ADULT["mobile"]), (second, "13700137000")):
        summary = shown[cid]
        assert summary is not None
        assert summary["name"] and summary["name"] not in (UYGHUR, "阿卜杜•热合曼")
        assert summary["mobile"] and summary["mobile"] != mobile and summary["mobile"][-4:] == mobile[-4:]
    # The two are told apart by their masked mobiles.
    assert shown[first] != shown[second]
    # A role that sees the name in clear still gets it masked in a summary (officer: masked
    # everywhere, so take the front desk's clear name on a guest in scope).
    world.stay(first, TODAY, TODAY + timedelta(days=1))
    desk = world.ctx(world.user("front_desk"))
    assert world.service.read(desk, "customer", first, ["name"])["name"].value == UYGHUR
    desk_view = world.service.summaries(desk, [first, second])
    assert desk_view[first] is not None and desk_view[first]["name"] != UYGHUR
    # Outside the desk's scope: no summary, and the refusal is recorded like any read.
    assert desk_view[second] is None
    assert world.denials()[-1].customer_id == second


@pytest.mark.req("R-USE-1")
def test_api_search_matches_carry_the_masked_summary_issue_11_16(world: World) -> None:
    cid = world.customer({**ADULT, "name": WIDE})
    staff = world.user("customer_service")
    client = TestClient(create_app(world.inst))
    response = client.post(
        "/v1/search",
        json={"field": "name", "value": "john smith", "purpose": "service"},
        headers={"Authorization": f"Bearer {staff.token}"},
    )
    assert response.status_code == 200, response.text
    (match,) = response.json()["matches"]
    assert match["customer_id"] == cid
    assert match["summary"]["mobile"] not in (None, ADULT["mobile"])
    assert match["summary"]["name"] not in (None, WIDE, "ＪＯＨＮ ＳＭＩＴＨ")
