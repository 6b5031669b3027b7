"""One look per gate operation: the key row and the consent watermark are read once inside an
operation, and afresh by the next one (so another process's change counts from the next call)."""

from __future__ import annotations

from pathlib import Path

from piguard.consent import ConsentLedger, shipped_notice
from piguard.consent.capability import Consent
from piguard.gate import RequestContext
from tests.access.conftest import SETUP, World, sqlite_world

__all__ = ["sqlite_world"]


def test_a_key_write_drops_the_memo_inside_an_operation(sqlite_world: World) -> None:
    world = sqlite_world
    cid = world.customer()
    keys = world.inst.keys
    tenant = world.inst.settings.tenant
    with keys.operation():
        assert keys.get(tenant, cid) is not None
        assert keys.destroy(tenant, cid)
        assert keys.get(tenant, cid) is None


def test_another_process_s_consent_change_counts_from_the_next_operation(
    sqlite_world: World, tmp_path: Path
) -> None:
    world = sqlite_world
    cid = world.customer()
    consent = world.inst.capability(Consent)
    setup = RequestContext(SETUP, "", client="test")
    _, zh, en = shipped_notice("privacy")
    consent.publish_notice(setup, zh, en, title="Privacy notice")
    ledger = world.inst.consent
    # A second ledger over the same database stands for another process.
    other = ConsentLedger(
        world.inst.db, world.inst.catalog, clock=world.clock, tenant=world.inst.settings.tenant
    )
    try:
        with ledger.operation():
            assert not ledger.state(cid).has("general", "marketing")
            other.grant(cid, ["marketing"], channel="app", operator="other-process")
            # Same operation: one snapshot.
            assert not ledger.state(cid).has("general", "marketing")
        with ledger.operation():
            assert ledger.state(cid).has("general", "marketing")
    finally:
        other.close()
