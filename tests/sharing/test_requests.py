"""Share requests (issue 15 item 10, R-USE-3): one person asks for a share, another person whose
role may approve the requester's decides it (never the requester: separation of duties), and the
requester downloads it once; the share runs at that download, one gate decision, with the
approver in the log and the manifest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from piguard.crypto.keyring import generate_master_secret
from piguard.errors import AccessDenied, Conflict
from piguard.gate import RequestContext
from tests.access.conftest import World, make_world
from tests.sharing.conftest import adult, agreement, consented, officer, partner, sharer, sharing

CATALOG = Path(__file__).parents[2] / "catalogs" / "default.yaml"


@pytest.mark.req("R-USE-3")
def test_a_request_is_approved_by_another_person_and_downloaded_once(world: World) -> None:
    """R-USE-3: nothing is read until the approved request is downloaded; a second download, or a
    download by someone else, is refused."""
    a = agreement(world, partner(world).id)
    ids = [consented(world, values=adult(i)) for i in range(2)]
    asked = sharing(world).request_share(sharer(world), a.id, fields=["mobile"], customers=ids)
    assert asked["state"] == "pending" and asked["count"] == 2 and "customers" not in asked
    assert world.inst.audit.query(action="share_row", limit=10) == []
    with pytest.raises(AccessDenied, match="pending"):
        sharing(world).download(sharer(world), asked["id"])
    decided = sharing(world).decide_share(officer(world), asked["id"])
    assert decided["state"] == "approved" and decided["decided_by"] == officer(world).actor.id
    other = RequestContext(world.step_up(world.user("sharing_officer", name="so_other")), "", client="test")
    with pytest.raises(AccessDenied, match="requester"):
        sharing(world).download(other, asked["id"])
    result = sharing(world).download(sharer(world), asked["id"])
    assert result.persons == 2 and result.manifest["approver"] == officer(world).actor.id
    [log] = sharing(world).transfers(officer(world), partner_id=a.partner_id)
    assert log["approver"] == officer(world).actor.id and log["id"] == result.transfer_id
    with pytest.raises(AccessDenied, match="done"):
        sharing(world).download(sharer(world), asked["id"])
    [done] = sharing(world).share_requests(officer(world), state="done")
    assert done["transfer_id"] == result.transfer_id
    with pytest.raises(Conflict):
        sharing(world).decide_share(officer(world), asked["id"])


@pytest.mark.req("R-USE-3")
def test_a_refused_request_never_downloads(world: World) -> None:
    a = agreement(world, partner(world).id)
    asked = sharing(world).request_share(sharer(world), a.id, fields=["mobile"], customers=[consented(world)])
    sharing(world).decide_share(officer(world), asked["id"], approve=False)
    with pytest.raises(AccessDenied, match="refused"):
        sharing(world).download(sharer(world), asked["id"])


@pytest.fixture
def four_eyes(tmp_path: Path) -> Iterator[World]:
    """A catalog where sharing officers may also approve each other's shares: the role check alone
    would let a requester approve their own, so only separation of duties refuses it."""
    text = CATALOG.read_text(encoding="utf-8")
    head, sep, tail = text.partition("  sharing_officer:\n")
    tail = tail.replace(
        "    actions: [read, list, export]\n",
        "    actions: [read, list, export, approve]\n    can_approve: [sharing_officer]\n",
        1,
    )
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(head + sep + tail, encoding="utf-8")
    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    w = make_world(tmp_path, env, catalog_file=catalog, audited=True)
    yield w
    w.inst.close()


@pytest.mark.req("R-USE-3")
def test_the_requester_cannot_approve_their_own_share(four_eyes: World) -> None:
    """R-USE-3 (separation of duties): a requester whose role may approve shares still cannot
    approve their own; a colleague of the same role can, and the refusal is recorded."""
    world = four_eyes
    a = agreement(world, partner(world).id)
    asked = sharing(world).request_share(sharer(world), a.id, fields=["mobile"], customers=[consented(world)])
    with pytest.raises(AccessDenied, match="separation of duties"):
        sharing(world).decide_share(sharer(world), asked["id"])
    [refused] = world.inst.audit.query(action="share_decide", limit=10)
    assert refused.decision == "deny"
    colleague = RequestContext(world.step_up(world.user("sharing_officer", name="so_2")), "", client="test")
    assert sharing(world).decide_share(colleague, asked["id"])["state"] == "approved"
    assert sharing(world).download(sharer(world), asked["id"]).manifest["approver"] == colleague.actor.id


@pytest.mark.req("R-USE-1")
def test_a_role_that_does_not_act_for_the_purpose_cannot_request(world: World) -> None:
    """R-USE-1: marketing may export, but not for partner provision."""
    a = agreement(world, partner(world).id)
    marketing = RequestContext(world.step_up(world.staff_of("marketing")), "", client="test")
    with pytest.raises(AccessDenied, match="purpose"):
        sharing(world).request_share(marketing, a.id, fields=["mobile"], customers=["x"])
