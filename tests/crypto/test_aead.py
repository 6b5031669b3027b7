from __future__ import annotations

import pytest

from piguard.crypto.aead import HEADER_SIZE, Suite, parse_header, sealer_for
from piguard.crypto.context import dek_aad, field_aad, pack, secret_aad
from piguard.errors import CryptoError, InvalidCiphertext

SUITES = list(Suite)


def key_for(suite: Suite) -> bytes:
    return bytes(range(suite.key_size))


@pytest.mark.parametrize("suite", SUITES)
def test_roundtrip_and_header(suite: Suite) -> None:
    sealer = sealer_for(suite, key_for(suite))
    aad = field_aad("t", "customer", "r1", "mobile", 1)
    blob = sealer.seal(0xDEADBEEF, 4, b"13800138000", aad)
    header = parse_header(blob)
    assert (header.format_version, header.suite, header.key_id, header.key_version) == (
        1,
        suite,
        0xDEADBEEF,
        4,
    )
    assert len(blob) == HEADER_SIZE + len(b"13800138000") + 16
    assert sealer.open(blob, aad) == b"13800138000"


@pytest.mark.parametrize("suite", SUITES)
def test_fresh_nonce_per_seal(suite: Suite) -> None:
    sealer = sealer_for(suite, key_for(suite))
    blobs = {sealer.seal(1, 1, b"same", b"") for _ in range(50)}
    assert len(blobs) == 50


@pytest.mark.parametrize("suite", SUITES)
def test_every_flipped_byte_fails(suite: Suite) -> None:
    sealer = sealer_for(suite, key_for(suite))
    aad = field_aad("t", "customer", "r1", "mobile", 1)
    blob = sealer.seal(1, 1, b"a value long enough", aad)
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x80
        with pytest.raises(InvalidCiphertext):
            sealer.open(bytes(bad), aad)
    for n in range(len(blob)):
        with pytest.raises(InvalidCiphertext):
            sealer.open(blob[:n], aad)


@pytest.mark.parametrize("suite", SUITES)
def test_moved_ciphertext_fails(suite: Suite) -> None:
    sealer = sealer_for(suite, key_for(suite))
    blob = sealer.seal(1, 1, b"v", field_aad("t", "customer", "c1", "mobile", 1))
    for other in [
        field_aad("t", "customer", "c2", "mobile", 1),
        field_aad("t", "customer", "c1", "email", 1),
        field_aad("t2", "customer", "c1", "mobile", 1),
        field_aad("t", "order", "c1", "mobile", 1),
        field_aad("t", "customer", "c1", "mobile", 2),
    ]:
        with pytest.raises(InvalidCiphertext):
            sealer.open(blob, other)


def test_wrong_key_and_other_suite_fail() -> None:
    aes = sealer_for(Suite.AES256_GCM, bytes(32))
    blob = aes.seal(1, 1, b"v", b"")
    with pytest.raises(InvalidCiphertext):
        sealer_for(Suite.AES256_GCM, bytes(31) + b"\x01").open(blob, b"")
    with pytest.raises(InvalidCiphertext):
        sealer_for(Suite.SM4_GCM, bytes(16)).open(blob, b"")


def test_key_size_and_ranges_checked() -> None:
    with pytest.raises(CryptoError):
        sealer_for(Suite.AES256_GCM, bytes(16))
    with pytest.raises(CryptoError):
        sealer_for(Suite.SM4_GCM, bytes(32))
    sealer = sealer_for(Suite.AES256_GCM, bytes(32))
    with pytest.raises(CryptoError):
        sealer.seal(2**32, 1, b"", b"")
    with pytest.raises(CryptoError):
        sealer._seal_from_parts(1, 1, b"", b"", bytes(8))
    assert "hidden" in repr(sealer) and "00" not in repr(sealer)


def test_suite_key_sizes() -> None:
    assert Suite.AES256_GCM.key_size == 32 and Suite.SM4_GCM.key_size == 16


def test_context_is_injective_and_domain_separated() -> None:
    assert pack("ab", "c") != pack("a", "bc")
    assert field_aad("t", "c", "1", "x", 1) != field_aad("t", "c", "1x", "", 1)
    assert dek_aad("t", "c") != secret_aad("t")
    assert pack(1) == b"\x00\x00\x00\x04\x00\x00\x00\x01"
    with pytest.raises(CryptoError):
        pack("\ud800")
    with pytest.raises(CryptoError):
        field_aad("t", "c", "1", "x", -1)
