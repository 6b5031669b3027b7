"""One conformance suite, run against every KEK provider (file always, PKCS#11 with SoftHSM2)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from piguard.clock import FixedClock
from piguard.crypto.aead import HEADER_SIZE, Suite
from piguard.crypto.context import dek_aad
from piguard.crypto.file_kek import FileKek
from piguard.crypto.kek import KekProvider
from piguard.crypto.pkcs11_kek import Pkcs11Config, Pkcs11Kek
from piguard.errors import CryptoError, InvalidCiphertext, KeyProviderError, KeyRetired, UnknownKey

AAD = dek_aad("acme", "c-1")
DEK = bytes(range(32))


@pytest.fixture(
    params=[
        pytest.param("file-aes", id="file-aes"),
        pytest.param("file-sm4", id="file-sm4"),
        pytest.param("pkcs11", id="pkcs11", marks=pytest.mark.hsm),
    ]
)
def provider(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[KekProvider]:
    kek: KekProvider
    if request.param == "file-aes":
        kek = FileKek.generate(Suite.AES256_GCM, clock=clock)
    elif request.param == "file-sm4":
        kek = FileKek.generate(Suite.SM4_GCM, clock=clock)
    else:
        config: Pkcs11Config = request.getfixturevalue("hsm")
        assert config.pin is not None
        kek = Pkcs11Kek.generate(config, config.pin, os.urandom(16), clock=clock)
    yield kek
    if isinstance(kek, Pkcs11Kek):
        for info in kek.versions():  # leave the shared test token clean
            kek._drop_key(info.version)
    kek.close()


def test_wrap_unwrap(provider: KekProvider) -> None:
    blob = provider.wrap(DEK, AAD)
    assert provider.kek_version_of(blob) == 1 == provider.current_version
    assert provider.unwrap(blob, AAD) == DEK
    assert provider.wrap(DEK, AAD) != blob  # fresh nonce


def test_tamper_fails(provider: KekProvider) -> None:
    blob = provider.wrap(DEK, AAD)
    version_bytes = range(6, 10)
    for i in range(len(blob)):
        if i in version_bytes:
            continue
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(InvalidCiphertext):
            provider.unwrap(bytes(bad), AAD)
    for n in (0, HEADER_SIZE, len(blob) - 1):
        with pytest.raises(InvalidCiphertext):
            provider.unwrap(blob[:n], AAD)
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(blob, dek_aad("acme", "c-2"))
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(blob, dek_aad("other", "c-1"))


def test_version_field_changed(provider: KekProvider) -> None:
    blob = provider.wrap(DEK, AAD)
    forged = blob[:6] + (7).to_bytes(4, "big") + blob[10:]
    with pytest.raises(UnknownKey):
        provider.unwrap(forged, AAD)
    provider.rotate()
    forged = blob[:6] + (2).to_bytes(4, "big") + blob[10:]
    with pytest.raises(InvalidCiphertext):  # version 2 exists, but the header is authenticated
        provider.unwrap(forged, AAD)


def test_other_provider_kind_refused(provider: KekProvider) -> None:
    blob = provider.wrap(DEK, AAD)
    other_kind = blob[:2] + (provider.kind_id + 1).to_bytes(4, "big") + blob[6:]
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(other_kind, AAD)
    with pytest.raises(InvalidCiphertext):
        provider.kek_version_of(other_kind)


def test_rotation_lifecycle(provider: KekProvider, clock: FixedClock) -> None:
    old = provider.wrap(DEK, AAD)
    clock.advance(timedelta(days=1))
    assert provider.rotate() == 2
    assert provider.current_version == 2
    new = provider.wrap(DEK, AAD)
    assert provider.kek_version_of(new) == 2
    assert provider.unwrap(old, AAD) == DEK  # old wraps still unwrap
    assert provider.unwrap(new, AAD) == DEK
    infos = provider.versions()
    assert [(i.version, i.retired) for i in infos] == [(1, False), (2, False)]
    assert infos[1].created_at - infos[0].created_at == timedelta(days=1)

    with pytest.raises(CryptoError):
        provider.retire(2)  # current
    with pytest.raises(UnknownKey):
        provider.retire(9)
    provider.retire(1)
    provider.retire(1)  # idempotent
    assert provider.is_retired(1) and not provider.is_retired(2)
    with pytest.raises(KeyRetired):
        provider.unwrap(old, AAD)
    assert provider.unwrap(new, AAD) == DEK
    assert provider.status()["versions"][0]["retired"] is True
    assert provider.rotate() == 3


def test_change_hook_and_rollback(provider: KekProvider) -> None:
    calls: list[int] = []
    provider.on_change = lambda: calls.append(provider.current_version)
    provider.rotate()
    assert calls == [2]

    def fail() -> None:
        raise KeyProviderError("disk full")

    provider.on_change = fail
    with pytest.raises(KeyProviderError):
        provider.rotate()
    assert provider.current_version == 2
    assert [i.version for i in provider.versions()] == [1, 2]
    with pytest.raises(KeyProviderError):
        provider.retire(1)
    assert not provider.is_retired(1)
    provider.on_change = None
    blob = provider.wrap(DEK, AAD)
    assert provider.unwrap(blob, AAD) == DEK
    assert provider.rotate() == 3  # the rolled-back version number is free again


def test_concurrent_use(provider: KekProvider) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                assert provider.unwrap(provider.wrap(DEK, AAD), AAD) == DEK
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    provider.rotate()
    for t in threads:
        t.join()
    assert errors == []


def test_status_has_no_key_material(provider: KekProvider) -> None:
    status = provider.status()
    assert status["kind"] == provider.kind and status["current_version"] == 1
    assert "key" not in repr(status).lower()
