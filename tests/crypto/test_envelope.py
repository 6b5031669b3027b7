from __future__ import annotations

from pathlib import Path

import pytest

from piguard.clock import FixedClock
from piguard.crypto.aead import Suite
from piguard.crypto.context import field_aad
from piguard.crypto.envelope import DataKeys
from piguard.crypto.keyring import Keyring
from piguard.errors import InvalidCiphertext, KeyRetired


@pytest.fixture(params=list(Suite), ids=lambda s: s.name)
def ring(request: pytest.FixtureRequest, keyring_path: Path, clock: FixedClock) -> Keyring:
    return Keyring.create(
        keyring_path, suite=request.param, kind="file", master_secret=bytes(32), clock=clock
    )


def test_create_unwrap_seal(ring: Keyring) -> None:
    keys = DataKeys(ring)
    wrapped = keys.create("acme", "c-1")
    assert len(wrapped.dek) == ring.suite.key_size and wrapped.kek_version == 1
    assert "hidden" in repr(wrapped) and wrapped.dek.hex() not in repr(wrapped)
    cold = DataKeys(ring)  # empty cache: really unwraps
    assert cold.unwrap("acme", "c-1", wrapped.blob) == wrapped.dek
    aad = field_aad("acme", "customer", "c-1", "mobile", 1)
    blob = keys.sealer("acme", "c-1", wrapped.blob).seal(1, 1, b"13800138000", aad)
    assert cold.sealer("acme", "c-1", wrapped.blob).open(blob, aad) == b"13800138000"
    assert cold.sealer("acme", "c-1", wrapped.blob) is cold.sealer("acme", "c-1", wrapped.blob)


def test_blob_bound_to_customer(ring: Keyring) -> None:
    keys = DataKeys(ring)
    wrapped = keys.create("acme", "c-1")
    with pytest.raises(InvalidCiphertext):
        keys.unwrap("acme", "c-2", wrapped.blob)
    with pytest.raises(InvalidCiphertext):
        keys.unwrap("beta", "c-1", wrapped.blob)


def test_injected_random_and_cache_bound(ring: Keyring) -> None:
    counter = iter(range(1000))
    keys = DataKeys(ring, cache_size=3, random=lambda n: bytes([next(counter)]) * n)
    made = [keys.create("t", f"c{i}") for i in range(5)]
    assert made[2].dek == bytes([2]) * ring.suite.key_size
    assert len(keys) == 3
    assert keys.unwrap("t", "c0", made[0].blob) == made[0].dek  # evicted, unwrapped again
    assert len(keys) == 3
    assert len(DataKeys(ring, cache_size=0).create("t", "x").dek) == ring.suite.key_size


def test_forget_drops_cache(ring: Keyring) -> None:
    keys = DataKeys(ring)
    a, b = keys.create("t", "a"), keys.create("t", "b")
    keys.forget("t", "a")
    assert len(keys) == 1
    assert keys.unwrap("t", "a", a.blob) == a.dek
    keys.clear()
    assert len(keys) == 0
    assert keys.unwrap("t", "b", b.blob) == b.dek


def test_rewrap_then_retire(ring: Keyring) -> None:
    keys = DataKeys(ring)
    wrapped = keys.create("t", "c")
    assert keys.rewrap("t", "c", wrapped.blob) is wrapped.blob  # already current
    ring.rotate_kek()
    new = keys.rewrap("t", "c", wrapped.blob)
    assert ring.kek.kek_version_of(new) == 2
    assert keys.unwrap("t", "c", new) == wrapped.dek  # DEK unchanged
    assert keys.unwrap("t", "c", wrapped.blob) == wrapped.dek  # cached and still valid
    ring.retire_kek(1)
    with pytest.raises(KeyRetired):  # even from the cache
        keys.unwrap("t", "c", wrapped.blob)
    with pytest.raises(KeyRetired):
        DataKeys(ring).unwrap("t", "c", wrapped.blob)
    assert DataKeys(ring).unwrap("t", "c", new) == wrapped.dek
