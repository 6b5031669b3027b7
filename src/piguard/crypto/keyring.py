"""The installation's key material, in one JSON file kept outside the data database.

The file holds (never in the clear):

* the KEK versions: for ``kind="file"`` each KEK encrypted under a storage key
  derived from the master secret (:mod:`piguard.crypto.master`); for
  ``kind="pkcs11"`` only their metadata, the keys stay in the token
  (:mod:`piguard.crypto.pkcs11_kek`);
* installation secrets that do **not** rotate with the KEK: ``index_root``,
  ``audit_hmac`` and ``audit_signing`` (an Ed25519 seed), each 32 bytes and
  wrapped under the current KEK (rewrapped on every rotation);
* a MAC over the whole document, keyed by another wrapped secret, so editing
  the version list (e.g. un-retiring a KEK) is detected.

Writes are atomic (temporary file, fsync, rename) and the file is created with
mode 0600. **Not handled:** two processes rotating the same keyring at once,
and rollback to an older copy of the file (its MAC is still valid).

Kept as one module (a little over 400 lines) on purpose: everything that reads or
writes the key file (its format, its MAC, the atomic write, unlocking) sits together,
so the file's protection can be reviewed in one place.

>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> ring = Keyring.create(os.path.join(d, "k.json"), suite=Suite.AES256_GCM, kind="file",
...                       master_secret=bytes(32), pkcs11=None)
>>> len(ring.secret("index_root")), ring.kek.current_version
(32, 1)
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from piguard.clock import Clock, SystemClock
from piguard.crypto.aead import Sealer, Suite
from piguard.crypto.context import pack, secret_aad
from piguard.crypto.file_kek import FileKek
from piguard.crypto.kdf import constant_time_equal, hmac_digest
from piguard.crypto.kek import KekProvider, KekVersionInfo
from piguard.crypto.master import (
    MasterKdf,
    MasterSecret,
    Passphrase,
    generate_master_secret,
    load_master_secret,
)
from piguard.crypto.pkcs11_kek import PIN_ENV, Pkcs11Config, Pkcs11Kek
from piguard.crypto.secretbox import SecretBox
from piguard.crypto.signature import SigningKey
from piguard.errors import ConfigError, Conflict, CryptoError, InvalidCiphertext, KeyProviderError, UnknownKey

# Re-exported so callers can build and open keyrings from one module.
__all__ = [
    "SECRET_NAMES",
    "Keyring",
    "KeyringKind",
    "MasterSecret",
    "Passphrase",
    "Pkcs11Config",
    "generate_master_secret",
    "load_master_secret",
]

KeyringKind = Literal["file", "pkcs11"]

#: Installation secrets every keyring holds, 32 bytes each.
SECRET_NAMES: Final = ("index_root", "audit_hmac", "audit_signing")
_MAC_SECRET: Final = "keyring_mac"  # noqa: S105 - a name, not a secret
_FORMAT: Final = 1
_WRONG: Final = "wrong master secret or damaged keyring"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise KeyProviderError("damaged keyring: expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyProviderError("damaged keyring: bad base64") from None


def _canonical(doc: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "mac"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _kek_store_aad(install_id: bytes, version: int) -> bytes:
    return pack(b"piguard/keyring-kek/v1", install_id, version)


def _write_atomic(path: Path, data: bytes, *, exclusive: bool) -> None:
    """Write ``data`` to ``path`` via a 0600 temporary file in the same directory.

    :raises Conflict: ``exclusive`` and ``path`` already exists.
    :raises KeyProviderError: the file system refused.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise KeyProviderError(f"cannot write keyring {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp creates the file with mode 0600
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            # link() fails if the target exists, closing the check-then-create race.
            os.link(tmp, path)
        else:
            os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except FileExistsError:
        raise Conflict(f"keyring file already exists: {path}") from None
    except OSError as exc:
        raise KeyProviderError(f"cannot write keyring {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class Keyring:
    """An opened keyring: the KEK provider plus the installation secrets.

    Build with :meth:`create` or :meth:`open`, not directly.
    """

    def __init__(
        self,
        path: Path,
        doc: dict[str, Any],
        kek: KekProvider,
        secrets: dict[str, bytes],
        store: Sealer | None,
    ) -> None:
        self.path = path
        self.suite = Suite[doc["suite"]]
        self.kind: KeyringKind = doc["kind"]
        self.kek: KekProvider = kek
        self._doc = doc
        self._install_id = _unb64(doc["install_id"])
        self._secrets = secrets
        self._store = store  # storage-key sealer for FileKek keys; None for pkcs11
        kek.on_change = self._save

    def __repr__(self) -> str:
        return f"Keyring({str(self.path)!r}, kind={self.kind}, suite={self.suite.name})"

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        suite: Suite,
        kind: KeyringKind,
        master_secret: MasterSecret | None = None,
        pkcs11: Pkcs11Config | None = None,
        pkcs11_pin: str | None = None,
        clock: Clock | None = None,
    ) -> Keyring:
        """Create a new keyring file with KEK version 1 and fresh installation secrets.

        :param path: the file to create; it must not exist.
        :param suite: algorithm suite of the installation (fixed for its life).
        :param kind: ``"file"`` or ``"pkcs11"``.
        :param master_secret: for ``"file"``; ``None`` reads it from the environment
            (:func:`~piguard.crypto.master.load_master_secret`).
        :param pkcs11: for ``"pkcs11"``: module and token.
        :param pkcs11_pin: for ``"pkcs11"``; ``None`` uses ``pkcs11.pin``, then ``PIGUARD_PKCS11_PIN``.
        :param clock: source of creation times.
        :raises Conflict: the file already exists.
        :raises ConfigError: the master secret or PIN is missing or unusable.
        :raises KeyProviderError: the token or file system failed.
        """
        target = Path(path)
        if target.exists():
            raise Conflict(f"keyring file already exists: {target}")
        clock = clock or SystemClock()
        install_id = os.urandom(16)
        doc: dict[str, Any] = {
            "piguard_keyring": _FORMAT,
            "kind": kind,
            "suite": suite.name,
            "install_id": _b64(install_id),
            "created_at": clock.now().isoformat(),
        }
        store: Sealer | None = None
        kek: KekProvider
        if kind == "file":
            secret = load_master_secret(os.environ) if master_secret is None else master_secret
            kdf = MasterKdf.for_secret(secret)
            doc["master"] = kdf.to_json()
            store = Sealer(suite, kdf.storage_key(secret, suite))
            kek = FileKek.generate(suite, clock=clock)
        elif kind == "pkcs11":
            if pkcs11 is None:
                raise CryptoError("a pkcs11 keyring needs a Pkcs11Config")
            doc["pkcs11"] = {"module": pkcs11.module, "token_label": pkcs11.token_label}
            kek = Pkcs11Kek.generate(pkcs11, _pin(pkcs11_pin or pkcs11.pin), install_id, clock=clock)
        else:
            raise CryptoError(f"unknown keyring kind {kind!r}")
        secrets = {name: os.urandom(32) for name in (*SECRET_NAMES, _MAC_SECRET)}
        ring = cls(target, doc, kek, secrets, store)
        try:
            ring._write(exclusive=True)
        except BaseException:
            if isinstance(kek, Pkcs11Kek):
                # Do not leave an orphan KEK on the token that no keyring file names.
                kek._drop_key(1)
            kek.close()
            raise
        return ring

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        master_secret: MasterSecret | None = None,
        pkcs11_pin: str | None = None,
        clock: Clock | None = None,
    ) -> Keyring:
        """Open an existing keyring file and unlock it.

        :param path: the keyring file.
        :param master_secret: for file keyrings; ``None`` reads it from the environment.
        :param pkcs11_pin: for pkcs11 keyrings; ``None`` reads ``PIGUARD_PKCS11_PIN``.
        :raises KeyProviderError: the file is missing or damaged, the master secret is
            wrong ("wrong master secret or damaged keyring"), or the token is unusable.
        :raises ConfigError: the master secret or PIN is not configured.
        """
        target = Path(path)
        try:
            doc = json.loads(target.read_bytes())
        except FileNotFoundError:
            raise KeyProviderError(f"no keyring file at {target}") from None
        except (OSError, ValueError) as exc:
            raise KeyProviderError(f"cannot read keyring {target}: {type(exc).__name__}") from None
        if not isinstance(doc, dict) or doc.get("piguard_keyring") != _FORMAT:
            raise KeyProviderError(f"{target} is not a piguard keyring (format {_FORMAT})")
        try:
            return cls._unlock(target, doc, master_secret, pkcs11_pin, clock)
        except (KeyError, TypeError, ValueError):
            raise KeyProviderError("damaged keyring: missing or malformed entries") from None

    @classmethod
    def _unlock(
        cls,
        target: Path,
        doc: dict[str, Any],
        master_secret: MasterSecret | None,
        pkcs11_pin: str | None,
        clock: Clock | None,
    ) -> Keyring:
        suite = Suite[doc["suite"]]
        install_id = _unb64(doc["install_id"])
        kek_meta = doc["kek"]
        infos = [
            KekVersionInfo(int(v["version"]), datetime.fromisoformat(v["created_at"]), bool(v["retired"]))
            for v in kek_meta["versions"]
        ]
        current = int(kek_meta["current"])
        store: Sealer | None = None
        kek: KekProvider
        if doc["kind"] == "file":
            secret = load_master_secret(os.environ) if master_secret is None else master_secret
            store = Sealer(suite, MasterKdf.from_json(doc["master"]).storage_key(secret, suite))
            keys: dict[int, bytes] = {}
            try:
                for version, blob in doc["kek_keys"].items():
                    aad = _kek_store_aad(install_id, int(version))
                    keys[int(version)] = store.open(_unb64(blob), aad)
            except InvalidCiphertext:
                raise KeyProviderError(_WRONG) from None
            kek = FileKek(suite, keys, infos, current, clock=clock)
        elif doc["kind"] == "pkcs11":
            config = Pkcs11Config(str(doc["pkcs11"]["module"]), str(doc["pkcs11"]["token_label"]))
            kek = Pkcs11Kek(config, _pin(pkcs11_pin), install_id, infos, current, clock=clock)
        else:
            raise KeyProviderError("damaged keyring: unknown kind")
        try:
            mac_key = kek.unwrap(_unb64(doc["mac_key"]), secret_aad(_MAC_SECRET))
            expected = hmac_digest(suite, mac_key, _canonical(doc))
            if not constant_time_equal(expected, _unb64(doc["mac"])):
                raise KeyProviderError(_WRONG)
            secrets = {_MAC_SECRET: mac_key}
            for name in SECRET_NAMES:
                secrets[name] = kek.unwrap(_unb64(doc["secrets"][name]), secret_aad(name))
        except CryptoError as exc:
            kek.close()
            if isinstance(exc, KeyProviderError):
                raise
            raise KeyProviderError(_WRONG) from None
        except BaseException:
            kek.close()
            raise
        return cls(target, doc, kek, secrets, store)

    # -- persistence -------------------------------------------------------------------------

    def _save(self) -> None:
        self._write(exclusive=False)

    def _write(self, *, exclusive: bool) -> None:
        doc = dict(self._doc)
        doc["kek"] = {
            "current": self.kek.current_version,
            "versions": [
                {"version": i.version, "created_at": i.created_at.isoformat(), "retired": i.retired}
                for i in self.kek.versions()
            ],
        }
        if isinstance(self.kek, FileKek):
            assert self._store is not None
            doc["kek_keys"] = {
                str(v): _b64(self._store.seal(0, v, key, _kek_store_aad(self._install_id, v)))
                for v, key in sorted(self.kek.export_keys().items())
                if not self.kek.is_retired(v)
            }
        # Rewrap under the current KEK on every save, so no secret is left behind
        # on a version that is about to be retired.
        doc["secrets"] = {n: _b64(self.kek.wrap(self._secrets[n], secret_aad(n))) for n in SECRET_NAMES}
        mac_key = self._secrets[_MAC_SECRET]
        doc["mac_key"] = _b64(self.kek.wrap(mac_key, secret_aad(_MAC_SECRET)))
        doc["mac"] = _b64(hmac_digest(self.suite, mac_key, _canonical(doc)))
        data = json.dumps(doc, indent=2, sort_keys=True).encode() + b"\n"
        _write_atomic(self.path, data, exclusive=exclusive)
        self._doc = doc

    # -- public API --------------------------------------------------------------------------

    def secret(self, name: str) -> bytes:
        """An installation secret: ``index_root``, ``audit_hmac`` or ``audit_signing`` (32 bytes).

        :raises UnknownKey: no secret of that name.
        """
        if name not in SECRET_NAMES:
            raise UnknownKey(f"no installation secret named {name!r}")
        return self._secrets[name]

    def secret_box(self, purpose: str) -> SecretBox:
        """A box sealing small secrets stored in the data database (TOTP seeds...) for ``purpose``.

        Its key is derived from ``index_root`` with HKDF under a label of its own, so it is
        independent of the blind-index keys derived from the same root.
        """
        return SecretBox(self._secrets["index_root"], self.suite, purpose)

    def audit_signing_key(self) -> SigningKey:
        """The Ed25519 key that signs audit checkpoints (from the ``audit_signing`` seed)."""
        return SigningKey(self._secrets["audit_signing"])

    def rotate_kek(self) -> int:
        """Add a KEK version, make it current, rewrap the secrets and save.

        :returns: the new current version.
        :raises KeyProviderError: the key could not be created or the file saved (nothing changes).
        """
        return self.kek.rotate()

    def retire_kek(self, version: int) -> None:
        """Retire ``version`` and destroy its key (irreversible), then save.

        The caller must first make sure no wrapped data key still uses it.

        :raises UnknownKey: no such version.
        :raises CryptoError: ``version`` is current.
        :raises KeyProviderError: the file could not be saved.
        """
        self.kek.retire(version)

    def status(self) -> dict[str, Any]:
        """A description for operators: no key material."""
        out: dict[str, Any] = {
            "path": str(self.path),
            "kind": self.kind,
            "suite": self.suite.name,
            "created_at": self._doc["created_at"],
            "current_version": self.kek.current_version,
            "versions": self.kek.status()["versions"],
        }
        if self.kind == "file":
            out["master_kdf"] = self._doc["master"]["kdf"]
        else:
            out["pkcs11"] = dict(self._doc["pkcs11"])
        return out

    def close(self) -> None:
        """Release the provider (token session) and drop the secrets from this object."""
        self.kek.close()
        self._secrets.clear()


def _pin(pin: str | None) -> str:
    if pin is not None:
        return pin
    value = os.environ.get(PIN_ENV)
    if not value:
        raise ConfigError(f"set {PIN_ENV} to the PKCS#11 user PIN")
    return value
