"""The operation conformance suite (issue 10): every declared operation, on SQLite and PostgreSQL.

Like HashiCorp Vault's backend exercise, it iterates the gate's own registry, so a capability
that mounts a new operation is exercised without anyone remembering to add a test:

- each operation refuses a role holding none of its actions, and records that refusal under
  the operation's own name;
- each records exactly one entry on success, under its name, with only declared detail keys;
- each write writes nothing at all when the audit table is unavailable (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from piguard.audit.entry import AuditEntry
from piguard.backup.capability import OPERATIONS as BACKUP_OPERATIONS
from piguard.catalog.vocabulary import BUILTIN_ROLES
from piguard.compliance import OPERATIONS as COMPLIANCE_OPERATIONS
from piguard.consent.capability import OPERATIONS as CONSENT_OPERATIONS
from piguard.errors import AccessDenied, AuditFailure
from piguard.gate import RequestContext
from piguard.gate.kernel import KERNEL_DETAIL
from piguard.gate.operation import Operation
from piguard.gate.record_operations import OPERATIONS as RECORD_OPERATIONS
from piguard.gate.stays import OPERATIONS as STAY_OPERATIONS
from piguard.gate.trail import OPERATIONS as TRAIL_OPERATIONS
from piguard.incidents import OPERATIONS as INCIDENT_OPERATIONS
from piguard.lifecycle import OPERATIONS as LIFECYCLE_OPERATIONS
from piguard.outbox import Outbox
from piguard.privacy import OPERATIONS as PRIVACY_OPERATIONS
from piguard.rights import OPERATIONS as RIGHTS_OPERATIONS
from piguard.sharing import OPERATIONS as SHARING_OPERATIONS
from piguard.vault.model import Actor
from tests.access.conftest import World, environ, make_world
from tests.gate.exercises import EXERCISES, PART_EXERCISES, principal

__all__ = ["environ"]  # the SQLite / PostgreSQL fixture

DECLARED: tuple[Operation, ...] = (
    *RECORD_OPERATIONS,
    *CONSENT_OPERATIONS,
    *TRAIL_OPERATIONS,
    *Outbox.operations,
    *RIGHTS_OPERATIONS,
    *LIFECYCLE_OPERATIONS,
    *BACKUP_OPERATIONS,
    *INCIDENT_OPERATIONS,
    *SHARING_OPERATIONS,
    *STAY_OPERATIONS,
    *COMPLIANCE_OPERATIONS,
    *PRIVACY_OPERATIONS,
)
TOP_LEVEL = [op for op in DECLARED if op.part_of is None]
WRITES = [op for op in DECLARED if op.writes and op.part_of is None]


@pytest.fixture
def world(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    w = make_world(tmp_path, environ, audited=True)
    yield w
    w.inst.close()


def entries(world: World, action: str) -> list[AuditEntry]:
    return world.inst.audit.query(action=action, limit=100_000)


def _refused_principal(world: World, op: Operation) -> RequestContext:
    """A principal whose role holds none of ``op``'s actions (a real catalog role when one exists)."""
    if op.name == "own_access_history":
        # Only a customer principal reaches this operation; give one a role without "read".
        return RequestContext(Actor("customer:Cnobody", "system", kind="customer"), "", client="test")
    catalog = world.inst.catalog
    role = next(
        (
            name
            for name, spec in sorted(catalog.roles.items())
            if name not in BUILTIN_ROLES and not (spec.actions & set(op.actions))
        ),
        None,
    )
    if role is None:
        # Every catalog role may (listing notices, say): a principal of no catalog role may not.
        return RequestContext(Actor("cli:stranger", "no_such_role", kind="client"), "", client="test")
    return RequestContext(world.step_up(world.staff_of(role)), "", client="test")


def test_the_suite_covers_every_mounted_operation(world: World) -> None:
    mounted = {op.name for op in world.inst.gate.registry}
    assert mounted == {op.name for op in DECLARED}
    assert {op.name for op in TOP_LEVEL} == set(EXERCISES)
    for op in DECLARED:
        assert op.part_of is None or op.part_of in EXERCISES


@pytest.mark.req("R-USE-1", "R-AUD-1")
@pytest.mark.parametrize("op", TOP_LEVEL, ids=lambda o: o.name)
def test_refuses_a_role_without_its_action_and_records_it(world: World, op: Operation) -> None:
    exercise = EXERCISES[op.name]
    state = exercise.setup(world)
    refused = _refused_principal(world, op)
    ctx = RequestContext(refused.actor, exercise.purpose, client="test")
    with pytest.raises(AccessDenied):
        exercise.run(world, ctx, state)
    last = world.inst.audit.query(actor=ctx.actor.id, limit=100_000)[-1]
    assert (last.action, last.decision) == (op.name, "deny")


@pytest.mark.req("R-AUD-1")
@pytest.mark.parametrize("op", DECLARED, ids=lambda o: o.name)
def test_success_records_exactly_one_entry_with_declared_detail_only(world: World, op: Operation) -> None:
    exercise = PART_EXERCISES.get(op.name) or EXERCISES[op.part_of or op.name]
    state = exercise.setup(world)
    ctx = principal(world, exercise.role, state, exercise.purpose)
    before = len(entries(world, op.name))
    exercise.run(world, ctx, state)
    found = entries(world, op.name)
    assert len(found) == before + 1, f"{op.name}: {len(found) - before} entries"
    entry = found[-1]
    # An operation declared to run as its customer records that customer, not the caller.
    expected = f"customer:{state['cid']}" if op.as_customer else ctx.actor.id
    assert (entry.decision, entry.actor_id) == ("allow", expected)
    assert set(entry.detail) <= set(op.detail) | set(KERNEL_DETAIL), entry.detail


def _snapshot(world: World) -> dict[str, int]:
    """Row counts of every table of the data database (audit tables aside) and the key store."""
    counts: dict[str, int] = {}
    for label, engine, schema in (
        ("data", world.inst.db.engine, None),
        ("keys", world.inst.keys.engine, world.inst.keys.schema),
    ):
        names = inspect(engine).get_table_names(schema=schema)
        with engine.connect() as conn:
            for name in names:
                if name.startswith("audit_") or name == "alembic_version" or name.startswith("alembic"):
                    continue
                qualified = f"{schema}.{name}" if schema else name
                counts[f"{label}.{name}"] = int(
                    conn.execute(text(f"SELECT count(*) FROM {qualified}")).scalar_one()
                )
    return counts


@pytest.mark.req("R-AUD-1")
@pytest.mark.parametrize("op", WRITES, ids=lambda o: o.name)
def test_a_write_writes_nothing_when_the_audit_table_is_unavailable(world: World, op: Operation) -> None:
    exercise = EXERCISES[op.name]
    state = exercise.setup(world)
    ctx = principal(world, exercise.role, state, exercise.purpose)
    before = _snapshot(world)
    with world.inst.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_entries RENAME TO audit_entries_off"))
    try:
        with pytest.raises(AuditFailure):
            exercise.run(world, ctx, state)
    finally:
        with world.inst.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_entries_off RENAME TO audit_entries"))
    assert _snapshot(world) == before
