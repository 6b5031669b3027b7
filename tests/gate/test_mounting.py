"""A capability mounted the way ARCHITECTURE.md says, end to end: declared operations, the
customer view, its own table written in the operation's transaction, declared detail only.

The toy capability below imports of piguard only the gate's SDK, as a real one must.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from piguard.errors import AccessDenied, AuditFailure
from piguard.gate import RequestContext
from piguard.gate.sdk import Call, Kernel, Operation
from tests.access.conftest import ADULT, World, environ, make_world

__all__ = ["environ"]

LOOK = Operation(
    "toy_look", ("read",), "customer", "toy", detail={"count": "int"}, summary="read a customer's name"
)
NOTE = Operation(
    "toy_note", ("write",), "customer", "toy", writes=True, detail={"count": "int"}, summary="change and note"
)
FORGET = Operation("toy_forget", ("erase",), "customer", "toy", purpose=False, writes=True, summary="destroy")
LEAK = Operation("toy_leak", ("read",), "customer", "toy", summary="adds an undeclared detail key")


class Toy:
    name = "toy"
    operations = (LOOK, NOTE, FORGET, LEAK)

    def __init__(self) -> None:
        self.kernel: Kernel | None = None

    def bind(self, gate: Kernel) -> None:
        self.kernel = gate

    def look(self, ctx: RequestContext, cid: str) -> dict[str, Any]:
        def handler(call: Call) -> dict[str, Any]:
            views = call.view.read(["name", "mobile"])
            call.note(count=len(call.view.records()))
            return {n: (v.value, v.level) for n, v in views.items()}

        assert self.kernel is not None
        return self.kernel.run(ctx, LOOK, handler, subject=cid)

    def note(self, ctx: RequestContext, cid: str, email: str) -> None:
        def own(conn: Connection) -> None:
            conn.execute(text("INSERT INTO toy_cases (customer_id) VALUES (:c)"), {"c": cid})

        def handler(call: Call) -> None:
            call.view.write("customer", {"email": email}, record_id=cid, also=own)

        assert self.kernel is not None
        self.kernel.run(ctx, NOTE, handler, subject=cid, fields=["email"])

    def forget(self, ctx: RequestContext, cid: str) -> int:
        assert self.kernel is not None
        return self.kernel.run(ctx, FORGET, lambda call: call.view.destroy(), subject=cid)

    def leak(self, ctx: RequestContext, cid: str) -> None:
        def handler(call: Call) -> None:
            call.note(mobile="13800138000")

        assert self.kernel is not None
        self.kernel.run(ctx, LEAK, handler, subject=cid)


@pytest.fixture
def world(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    w = make_world(tmp_path, environ, audited=True)
    with w.inst.db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE toy_cases (customer_id VARCHAR(64) NOT NULL)"))
    w.inst.gate.mount(Toy())
    yield w
    w.inst.close()


def _cases(world: World) -> int:
    with world.inst.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM toy_cases")).scalar_one())


def test_a_mounted_capability_reads_through_the_view_decided_per_field(world: World) -> None:
    toy = world.inst.gate.capability(Toy)
    cid = world.customer()
    agent = world.ctx(world.user("customer_service"), "service")
    seen = toy.look(agent, cid)
    assert seen["name"][1] == "masked" and seen["name"][0] != ADULT["name"]
    [entry] = world.inst.audit.query(action="toy_look", limit=10)
    assert entry.detail == {"count": 1} and entry.decision == "allow"
    with pytest.raises(AccessDenied):  # deny by default: a role without "read"
        toy.look(world.ctx(world.user("admin"), "service"), cid)
    assert world.inst.audit.query(action="toy_look", limit=10)[-1].decision == "deny"


def test_its_own_table_and_the_record_change_commit_with_the_entry_or_not_at_all(world: World) -> None:
    toy = world.inst.gate.capability(Toy)
    cid = world.customer()
    agent = world.ctx(world.user("customer_service"), "service")
    with world.inst.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_entries RENAME TO audit_entries_off"))
    try:
        with pytest.raises(AuditFailure):
            toy.note(agent, cid, "new@example.com")
    finally:
        with world.inst.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_entries_off RENAME TO audit_entries"))
    assert _cases(world) == 0
    assert world.inst.vault.read("customer", cid, ["email"]).values["email"] == ADULT["email"]
    toy.note(agent, cid, "new@example.com")
    assert _cases(world) == 1
    assert world.inst.vault.read("customer", cid, ["email"]).values["email"] == "new@example.com"
    [entry] = world.inst.audit.query(action="toy_note", limit=10)
    assert entry.fields == ("email",)


def test_destroy_crypto_shreds_with_one_entry(world: World) -> None:
    toy = world.inst.gate.capability(Toy)
    cid = world.customer()
    officer = RequestContext(world.user("officer").actor, "", client="test")
    assert toy.forget(officer, cid) == 1
    assert not world.inst.vault.exists(cid)
    assert len(world.inst.audit.query(action="toy_forget", limit=10)) == 1


def test_an_undeclared_detail_key_is_refused(world: World) -> None:
    toy = world.inst.gate.capability(Toy)
    cid = world.customer()
    with pytest.raises(ValueError, match="did not declare detail"):
        toy.leak(world.ctx(world.user("customer_service"), "service"), cid)
    assert world.inst.audit.query(action="toy_leak", limit=10) == []


def test_the_registry_lists_the_mounted_operations_once(world: World) -> None:
    names = [op["name"] for op in world.inst.gate.operations()]
    assert {"toy_look", "toy_note", "toy_forget"} <= set(names)
    assert len(names) == len(set(names))
    with pytest.raises(ValueError, match="declared twice"):
        world.inst.gate.mount(Toy())
