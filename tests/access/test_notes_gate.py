"""Notes through the gate (issue 7 §3): a role that may not see the PI inside a note gets it masked."""

from __future__ import annotations

import pytest

from piguard.service import RequestContext
from tests.access.conftest import SETUP, World

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
