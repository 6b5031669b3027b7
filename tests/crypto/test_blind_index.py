from __future__ import annotations

import math

import pytest

from piguard.crypto.aead import Suite
from piguard.crypto.blind_index import BlindIndexer, plan_bits
from piguard.errors import CryptoError


@pytest.fixture(params=list(Suite), ids=lambda s: s.name)
def ix(request: pytest.FixtureRequest) -> BlindIndexer:
    suite: Suite = request.param
    return BlindIndexer(bytes(range(32)), suite)


def test_deterministic_across_instances(ix: BlindIndexer) -> None:
    other = BlindIndexer(bytes(range(32)), ix.suite)
    a = ix.digest("t", "customer", "mobile", "13800138000", 32)
    assert a == ix.digest("t", "customer", "mobile", "13800138000", 32)
    assert a == other.digest("t", "customer", "mobile", "13800138000", 32)
    assert a != ix.digest("t", "customer", "mobile", "13800138001", 32)


def test_key_separation(ix: BlindIndexer) -> None:
    value = "13800138000"
    digests = {
        ix.digest("t", "customer", "mobile", value, 256),
        ix.digest("t", "customer", "phone", value, 256),
        ix.digest("t", "contact", "mobile", value, 256),
        ix.digest("t2", "customer", "mobile", value, 256),
        # Length prefixes keep ("t", "customerX") apart from ("tc", "ustomerX").
        ix.digest("tc", "ustomer", "mobile", value, 256),
        BlindIndexer(bytes(32), ix.suite).digest("t", "customer", "mobile", value, 256),
    }
    assert len(digests) == 6
    keys = {ix.field_key("t", "customer", f) for f in ("mobile", "phone", "email")}
    assert len(keys) == 3


def test_suites_differ() -> None:
    a = BlindIndexer(bytes(32), Suite.AES256_GCM).digest("t", "c", "f", "v", 256)
    b = BlindIndexer(bytes(32), Suite.SM4_GCM).digest("t", "c", "f", "v", 256)
    assert a != b


@pytest.mark.parametrize("bits", [1, 7, 8, 9, 13, 16, 21, 64, 255, 256])
def test_truncation(ix: BlindIndexer, bits: int) -> None:
    full = ix.digest("t", "c", "f", "value", 256)
    out = ix.digest("t", "c", "f", "value", bits)
    assert len(out) == math.ceil(bits / 8)
    as_int, full_int = int.from_bytes(out, "big"), int.from_bytes(full[: len(out)], "big")
    spare = len(out) * 8 - bits
    assert as_int == (full_int >> spare) << spare  # prefix kept, unused low bits zero


def test_bad_arguments(ix: BlindIndexer) -> None:
    for bits in (0, 257):
        with pytest.raises(CryptoError):
            ix.digest("t", "c", "f", "v", bits)
    with pytest.raises(CryptoError):
        ix.digest("t", "c", "f", "\udc80", 16)
    with pytest.raises(CryptoError):
        BlindIndexer(bytes(16), Suite.AES256_GCM)
    assert "hidden" in repr(ix)


def test_many_fields_cached_bounded(ix: BlindIndexer) -> None:
    for i in range(5000):
        ix.digest("t", "c", f"f{i}", "v", 16)
    assert len(ix._macs) <= 4096
    assert ix.digest("t", "c", "f1", "v", 16) == BlindIndexer(bytes(range(32)), ix.suite).digest(
        "t", "c", "f1", "v", 16
    )


@pytest.mark.parametrize(
    ("rows", "domain", "expected"),
    [
        (200_000, 33.2, 16),  # 11-digit mobile: C = 200000 / 2**16 = 3.05
        (50_000, 40.0, 14),  # CipherSweet docs' example range is 8..15
        (1_000_000, 60.0, 18),
        (10_000_000, 60.0, 22),
        (1, 40.0, 8),  # tiny tables get the floor
        (15, 40.0, 8),
        (2**80, 100.0, 64),  # capped at 64
        (1_000_000, 12.5, 12),  # capped at the domain's entropy
        (1_000_000, 1.0, 1),  # boolean: below the floor; use a compound index
    ],
)
def test_plan_bits(rows: int, domain: float, expected: int) -> None:
    assert plan_bits(rows, domain) == expected
    assert BlindIndexer.plan_bits(rows, domain) == expected


@pytest.mark.parametrize("rows", [600, 5_000, 200_000, 3_000_000, 10**9])
def test_plan_bits_keeps_ciphersweet_bounds(rows: int) -> None:
    bits = plan_bits(rows, 64.0)
    coincidences = rows / 2**bits
    assert 2 <= coincidences <= math.sqrt(rows)
    assert rows / 2 ** (bits + 1) < 2  # the largest such length


def test_plan_bits_mobile_false_positives() -> None:
    bits = plan_bits(200_000, math.log2(10**10))
    assert 2 <= 200_000 / 2**bits < 4


def test_plan_bits_rejects_nonsense() -> None:
    with pytest.raises(CryptoError):
        plan_bits(0, 10)
    with pytest.raises(CryptoError):
        plan_bits(10, 0)
