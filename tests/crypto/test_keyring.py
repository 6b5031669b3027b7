from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from piguard.clock import FixedClock
from piguard.crypto.aead import Suite
from piguard.crypto.context import dek_aad
from piguard.crypto.keyring import SECRET_NAMES, Keyring, Passphrase, generate_master_secret
from piguard.crypto.pkcs11_kek import Pkcs11Config
from piguard.crypto.signature import VerifyKey
from piguard.errors import Conflict, CryptoError, KeyProviderError, KeyRetired, UnknownKey

MASTER = bytes(range(32))


def make(path: Path, clock: FixedClock, suite: Suite = Suite.AES256_GCM) -> Keyring:
    return Keyring.create(path, suite=suite, kind="file", master_secret=MASTER, pkcs11=None, clock=clock)


@pytest.mark.parametrize("suite", list(Suite))
def test_create_and_reopen(keyring_path: Path, clock: FixedClock, suite: Suite) -> None:
    ring = make(keyring_path, clock, suite)
    assert stat.S_IMODE(os.stat(keyring_path).st_mode) == 0o600
    secrets = {n: ring.secret(n) for n in SECRET_NAMES}
    assert all(len(v) == 32 for v in secrets.values()) and len(set(secrets.values())) == 3
    blob = ring.kek.wrap(b"k" * suite.key_size, dek_aad("t", "c"))
    ring.close()

    again = Keyring.open(keyring_path, master_secret=MASTER)
    assert again.suite is suite and again.kind == "file"
    assert {n: again.secret(n) for n in SECRET_NAMES} == secrets
    assert again.kek.unwrap(blob, dek_aad("t", "c")) == b"k" * suite.key_size
    signing = again.audit_signing_key()
    assert len(signing.public_raw) == 32
    assert VerifyKey(signing.public_raw).valid(signing.sign(b"checkpoint"), b"checkpoint")
    assert not VerifyKey(signing.public_raw).valid(signing.sign(b"checkpoint"), b"checkpoinT")
    assert "hidden" in repr(signing)
    with pytest.raises(UnknownKey):
        again.secret("keyring_mac")


def test_no_key_material_in_file_or_status(keyring_path: Path, clock: FixedClock) -> None:
    ring = make(keyring_path, clock)
    text = keyring_path.read_text()
    for name in SECRET_NAMES:
        assert ring.secret(name).hex() not in text
        assert ring.secret(name).hex() not in repr(ring.status())
    status = ring.status()
    assert status["kind"] == "file" and status["suite"] == "AES256_GCM"
    assert status["current_version"] == 1 and status["path"] == str(keyring_path)
    assert status["versions"] == [{"version": 1, "created_at": clock.now().isoformat(), "retired": False}]


def test_refuses_to_overwrite(keyring_path: Path, clock: FixedClock) -> None:
    make(keyring_path, clock)
    before = keyring_path.read_bytes()
    with pytest.raises(Conflict):
        make(keyring_path, clock)
    assert keyring_path.read_bytes() == before
    assert [p.name for p in keyring_path.parent.iterdir()] == [keyring_path.name]  # no temp files left


def test_wrong_master_secret(keyring_path: Path, clock: FixedClock) -> None:
    make(keyring_path, clock)
    for wrong in (bytes(32), generate_master_secret(), Passphrase(b"a long passphrase here")):
        with pytest.raises(KeyProviderError, match="wrong master secret or damaged keyring"):
            Keyring.open(keyring_path, master_secret=wrong)


def test_master_secret_from_environment(
    keyring_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = generate_master_secret()
    monkeypatch.setenv("PIGUARD_MASTER_KEY", secret)
    monkeypatch.delenv("PIGUARD_MASTER_KEY_FILE", raising=False)
    ring = Keyring.create(keyring_path, suite=Suite.AES256_GCM, kind="file", clock=clock)
    root = ring.secret("index_root")
    assert Keyring.open(keyring_path).secret("index_root") == root
    assert Keyring.open(keyring_path, master_secret=secret).secret("index_root") == root


def test_passphrase_uses_argon2id(keyring_path: Path, clock: FixedClock) -> None:
    phrase = "correct horse battery staple"
    ring = Keyring.create(keyring_path, suite=Suite.SM4_GCM, kind="file", master_secret=phrase, clock=clock)
    doc = json.loads(keyring_path.read_text())
    assert doc["master"]["kdf"] == "argon2id" and doc["master"]["memory_kib"] == 65536
    root = ring.secret("index_root")
    assert Keyring.open(keyring_path, master_secret=Passphrase(phrase.encode())).secret("index_root") == root
    with pytest.raises(KeyProviderError):
        Keyring.open(keyring_path, master_secret="correct horse battery stapler")


def test_edited_file_is_detected(keyring_path: Path, clock: FixedClock) -> None:
    ring = make(keyring_path, clock)
    ring.rotate_kek()
    ring.retire_kek(1)
    doc = json.loads(keyring_path.read_text())
    doc["kek"]["versions"][0]["created_at"] = "2020-01-01T00:00:00+00:00"
    keyring_path.write_text(json.dumps(doc))
    with pytest.raises(KeyProviderError, match="wrong master secret or damaged keyring"):
        Keyring.open(keyring_path, master_secret=MASTER)
    keyring_path.write_text("{not json")
    with pytest.raises(KeyProviderError):
        Keyring.open(keyring_path, master_secret=MASTER)
    keyring_path.write_text(json.dumps({"piguard_keyring": 1}))
    with pytest.raises(KeyProviderError):
        Keyring.open(keyring_path, master_secret=MASTER)
    with pytest.raises(KeyProviderError):
        Keyring.open(keyring_path.parent / "missing", master_secret=MASTER)


def test_rotation_persists(keyring_path: Path, clock: FixedClock) -> None:
    ring = make(keyring_path, clock)
    secrets = {n: ring.secret(n) for n in SECRET_NAMES}
    old = ring.kek.wrap(b"d" * 32, dek_aad("t", "c"))
    assert ring.rotate_kek() == 2
    doc = json.loads(keyring_path.read_text())
    assert all(bytes.fromhex("") is not None for _ in doc["secrets"])
    reopened = Keyring.open(keyring_path, master_secret=MASTER)
    assert reopened.kek.current_version == 2
    assert reopened.kek.unwrap(old, dek_aad("t", "c")) == b"d" * 32
    assert {n: reopened.secret(n) for n in SECRET_NAMES} == secrets

    with pytest.raises(CryptoError):
        reopened.retire_kek(2)
    reopened.retire_kek(1)
    assert "1" not in json.loads(keyring_path.read_text())["kek_keys"]  # key material destroyed
    final = Keyring.open(keyring_path, master_secret=MASTER)
    assert [v["retired"] for v in final.status()["versions"]] == [True, False]
    assert {n: final.secret(n) for n in SECRET_NAMES} == secrets  # secrets were rewrapped
    with pytest.raises(KeyRetired):
        final.kek.unwrap(old, dek_aad("t", "c"))


def test_pkcs11_requires_config(keyring_path: Path, clock: FixedClock) -> None:
    with pytest.raises(CryptoError):
        Keyring.create(keyring_path, suite=Suite.AES256_GCM, kind="pkcs11", pkcs11=None, clock=clock)
    assert not keyring_path.exists()


@pytest.mark.hsm
def test_pkcs11_keyring(keyring_path: Path, clock: FixedClock, hsm: Pkcs11Config) -> None:
    ring = Keyring.create(keyring_path, suite=Suite.SM4_GCM, kind="pkcs11", pkcs11=hsm, clock=clock)
    try:
        secrets = {n: ring.secret(n) for n in SECRET_NAMES}
        old = ring.kek.wrap(b"d" * 16, dek_aad("t", "c"))
        ring.rotate_kek()
        assert ring.status()["pkcs11"] == {"module": hsm.module, "token_label": hsm.token_label}
        assert hsm.pin is not None and hsm.pin not in keyring_path.read_text()
        again = Keyring.open(keyring_path, pkcs11_pin=hsm.pin)
        assert {n: again.secret(n) for n in SECRET_NAMES} == secrets
        assert again.kek.unwrap(old, dek_aad("t", "c")) == b"d" * 16
        again.retire_kek(1)
        with pytest.raises(KeyRetired):
            again.kek.unwrap(old, dek_aad("t", "c"))
        again.close()
        assert Keyring.open(keyring_path, pkcs11_pin=hsm.pin).kek.current_version == 2
    finally:
        for info in ring.kek.versions():
            ring.kek._drop_key(info.version)
        ring.close()


@pytest.mark.hsm
def test_pkcs11_wrong_pin(tmp_path: Path, hsm: Pkcs11Config) -> None:
    bad = Pkcs11Config(hsm.module, "no-such-token", pin="1234")
    with pytest.raises(KeyProviderError, match="no PKCS#11 token"):
        Keyring.create(tmp_path / "k", suite=Suite.AES256_GCM, kind="pkcs11", pkcs11=bad)
