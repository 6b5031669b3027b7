"""Backups that restore without reviving the erased (issue 14, item 7; R-DST-1, R-STO-1).

On SQLite and on a real PostgreSQL server: a backup is taken, a customer is erased (and another
partly), the backup is restored into a new home, and the erased stay erased while everything else
reads back and the audit chain verifies. A restore whose checks fail leaves the new home sealed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from piguard.backup import Backups, read_manifest, restore
from piguard.errors import Conflict, IntegrityError, VaultSealed
from piguard.gate.context import RequestContext
from piguard.installation import Installation, init_home
from tests.access.conftest import ADULT, CHEAP, SETUP, World
from tests.pg import fresh_database

OTHER = {**ADULT, "name": "司马相如", "mobile": "13912345678", "resident_id": "11010519491231002X"}


def _backups(inst: Installation) -> Backups:
    return inst.capability(Backups)


@contextmanager
def _target_env(world: World, base: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """The environment a restore of ``world``'s backup runs in: the same master secret, and for
    PostgreSQL an empty database of its own on the test server."""
    env = {"PIGUARD_MASTER_KEY_FILE": str(world.inst.settings.home.parent / "master.key")}
    if base is not None:
        env = dict(base)
    if _backups(world.inst).data_url.startswith("postgresql"):
        with fresh_database() as url:
            env["PIGUARD_DATABASE_URL"] = url
            yield env
    else:
        yield env


@pytest.mark.req("R-DST-1", "R-STO-1")
def test_restore_replays_erasures_made_after_the_backup(world: World, tmp_path: Path) -> None:
    kept, erased, partly = world.customer(), world.customer(OTHER), world.customer()
    gate = world.inst.gate
    ctx = RequestContext(SETUP, "service", client="test")
    backup = _backups(world.inst).create(ctx, tmp_path / "backup")
    assert backup["counts"]["customers"] == 3
    # After the backup: one customer crypto-shredded, another's mobile removed (a partial erasure).
    officer = world.step_up(world.staff_of("officer"))
    gate.erase(RequestContext(officer, "", client="test"), erased, reason="deletion request")
    [ref] = world.inst.vault.customer_records(partly)
    world.inst.vault.erase_partly(partly, strip={"customer": ["mobile"]})
    ledger = _backups(world.inst).ledger(ctx)
    assert [e["kind"] for e in ledger] == ["customer", "partial"]

    with _target_env(world) as env:
        report = restore(
            tmp_path / "backup",
            tmp_path / "restored",
            environ=env,
            ledger=ledger,
            live_trail=_backups(world.inst),
        )
        assert report["ok"] and report["chain"]["verified"]
        assert report["replayed"] == {"entries": 2, "customers": 2, "records": 2}
        with Installation(tmp_path / "restored", environ=env, passwords=CHEAP) as restored:
            assert restored.gate.sealed is None
            vault = restored.vault
            # The key store copy in the backup held the erased customer's key: it is gone again.
            assert not vault.exists(erased)
            assert vault.customer_records(erased) == []
            assert vault.search("customer", "mobile", OTHER["mobile"]) == []
            assert vault.search("customer", "resident_id", OTHER["resident_id"]) == []
            assert vault.read("customer", ref.record_id).values.get("mobile") is None
            [kept_ref] = vault.customer_records(kept)
            assert vault.read("customer", kept_ref.record_id).values["name"] == ADULT["name"]
            verified = restored.audit.verify()
            assert verified.ok, verified.findings
            assert any(e.action == "backup_restore" for e in restored.audit.query(limit=10_000))


@pytest.mark.req("R-DST-1")
def test_a_restore_whose_checks_fail_stays_sealed(world: World, tmp_path: Path) -> None:
    world.customer()
    ctx = RequestContext(SETUP, "service", client="test")
    _backups(world.inst).create(ctx, tmp_path / "backup")
    # A "live" installation that is not the backup's past: its entry at the backup's head differs.
    stranger_home = tmp_path / "stranger"
    (tmp_path / "stranger.key").write_text((tmp_path / "master.key").read_text())
    stranger_env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "stranger.key")}
    init_home(stranger_home, environ=stranger_env, expected_customers=1000)
    with Installation(stranger_home, environ=stranger_env, passwords=CHEAP) as stranger:
        for _ in range(5):
            stranger.audit.checkpoint("manual")
        with _target_env(world) as env:
            with pytest.raises(IntegrityError, match="not its past"):
                restore(
                    tmp_path / "backup",
                    tmp_path / "restored",
                    environ=env,
                    ledger=[],
                    live_trail=_backups(stranger),
                )
            with Installation(tmp_path / "restored", environ=env, passwords=CHEAP) as sealed:
                assert sealed.gate.sealed is not None
                with pytest.raises(VaultSealed, match="sealed"):
                    sealed.gate.read(ctx, "customer", "c" * 26)


@pytest.mark.req("R-STO-1")
def test_a_changed_manifest_or_artifact_is_refused(world: World, tmp_path: Path) -> None:
    world.customer()
    ctx = RequestContext(SETUP, "service", client="test")
    _backups(world.inst).create(ctx, tmp_path / "b")
    assert read_manifest(tmp_path / "b")["counts"]["customers"] == 1
    manifest = tmp_path / "b" / "manifest.json"
    original = manifest.read_text()
    document = json.loads(original)
    document["counts"]["customers"] = 2
    manifest.write_text(json.dumps(document))
    with pytest.raises(IntegrityError, match="signature"):
        read_manifest(tmp_path / "b")
    manifest.write_text(original)
    data = tmp_path / "b" / "data.sealed"
    blob = bytearray(data.read_bytes())
    blob[len(blob) // 2] ^= 1
    data.write_bytes(bytes(blob))
    with pytest.raises(IntegrityError, match="checksum"):
        read_manifest(tmp_path / "b")
    with pytest.raises(Conflict, match="not empty"):
        _backups(world.inst).create(ctx, tmp_path / "b")


@pytest.mark.req("R-STO-1")
def test_canary_no_plaintext_pi_in_a_backup(world: World, tmp_path: Path) -> None:
    world.customer()
    ctx = RequestContext(SETUP, "service", client="test")
    _backups(world.inst).create(ctx, tmp_path / "b")
    canaries = [ADULT[k].encode("utf-8") for k in ("name", "mobile", "resident_id", "email", "bank_card")]
    files = sorted((tmp_path / "b").iterdir())
    assert {f.name for f in files} >= {"manifest.json", "data.sealed", "keys.sealed", "config.sealed"}
    for file in files:
        raw = file.read_bytes()
        assert not [c for c in canaries if c in raw], file.name
    # No plain copy is left behind.
    assert not [f for f in files if f.name.endswith(".copy")]


@pytest.mark.req("R-STO-1")
def test_verify_restores_into_a_throwaway_home(world: World, tmp_path: Path) -> None:
    world.customer()
    ctx = RequestContext(SETUP, "service", client="test")
    _backups(world.inst).create(ctx, tmp_path / "b")
    # PostgreSQL: a scratch database is made on the live server for the check, then dropped.
    report = _backups(world.inst).verify(ctx, tmp_path / "b")
    assert report["ok"] and report["customers"] == 1 and report["sample"]["records"] == 1
    assert report["chain"]["verified"]
