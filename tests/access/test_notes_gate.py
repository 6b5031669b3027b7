"""Notes through the gate (issue 7 §3): a role that may not see the PI inside a note gets it masked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from piguard.catalog import profile_path
from piguard.crypto.keyring import generate_master_secret
from piguard.gate import RequestContext
from tests.access.conftest import SETUP, World, make_world

NOTE = "客户来电，手机13812345678，要求改地址。"


@pytest.mark.req("R-USE-4")
def test_customer_service_reads_notes_masked_r_use_4(world: World) -> None:
    cid = world.customer()
    note = world.service.create(
        RequestContext(SETUP, "customer_support"), "service_note", {"text": NOTE}, customer_id=cid
    )
    agent = world.user("customer_service")
    views = world.service.read(world.ctx(agent, "customer_support"), "service_note", note.record_id, ["text"])
    # The role sees notes in clear but mobiles only masked: the note stays as masked on write.
    assert views["text"].level == "clear"
    shown = views["text"].value
    assert shown is not None and "13812345678" not in shown and shown.startswith("客户来电，手机138")
    assert "original shown" not in views["text"].rule


@pytest.mark.req("R-USE-4")
def test_note_original_shown_only_when_role_and_purpose_cover_all_its_pi_r_use_4(tmp_path: Path) -> None:
    """A role that sees names and mobiles in clear for customer_support reads the note as written;
    a note holding a resident ID (which the purpose does not cover) stays masked for it."""
    catalog = yaml.safe_load(profile_path("default").read_text(encoding="utf-8"))
    role = catalog["roles"]["customer_service"]
    # Between equally specific rules the stricter wins, so the masked ones go first.
    role["access"] = [r for r in role["access"] if r["selector"] not in ("customer.name", "customer.mobile")]
    role["access"] += [
        {"selector": "customer.name", "level": "clear"},
        {"selector": "customer.mobile", "level": "clear"},
    ]
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
    (tmp_path / "master.key").write_text(generate_master_secret())
    world = make_world(tmp_path, {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}, catalog_file=path)
    try:
        cid = world.customer({"name": "张伟", "mobile": "13800138000"})
        setup = RequestContext(SETUP, "customer_support")
        plain = "客户张伟来电，手机13812345678，咨询积分。"
        covered = world.service.create(setup, "service_note", {"text": plain}, customer_id=cid)
        with_id = world.service.create(
            setup,
            "service_note",
            {"text": "客户来电，身份证11010519491231002X，要求改地址。"},
            customer_id=cid,
        )
        agent = world.user("customer_service")
        ctx = world.ctx(world.step_up(agent), "customer_support")
        views = world.service.read(ctx, "service_note", covered.record_id, ["text"])
        assert views["text"].value == plain and "original shown" in views["text"].rule
        views = world.service.read(ctx, "service_note", with_id.record_id, ["text"])
        shown = views["text"].value
        assert shown is not None and "11010519491231002X" not in shown
        assert "original shown" not in views["text"].rule
    finally:
        world.inst.close()
