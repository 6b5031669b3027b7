"""KEKs that never leave a PKCS#11 token (an HSM, or SoftHSM2 in tests).

Each KEK version is a non-extractable, sensitive AES-256 secret key object on
the token with label ``piguard-kek-v{n}`` and ``CKA_ID`` = installation id (16
bytes) || n (u32), so several installations can share a token. Wrapping is
``CKM_AES_GCM`` computed inside the token (SoftHSM 2.6 supports it; checked at
start), producing the :mod:`piguard.crypto.aead` blob format with suite byte
AES-256-GCM whatever the installation's suite: tokens rarely offer SM4.

PKCS#11 login state belongs to the whole process, not to a session: closing
the last logged-in session logs every session out. So sessions are pooled per
(module, token) with a reference count and one lock that serialises all token
calls. The consequence: the PIN is verified when a process first opens a token;
later providers in the same process share that login.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, cast

import pkcs11
from pkcs11 import Attribute, GCMParams, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11e

from piguard.clock import Clock, SystemClock
from piguard.crypto.aead import HEADER_SIZE, NONCE_SIZE, Suite, build_header, parse_header
from piguard.crypto.kek import KekProvider, KekVersionInfo
from piguard.errors import InvalidCiphertext, KeyProviderError, KeyRetired

__all__ = ["PIN_ENV", "Pkcs11Config", "Pkcs11Kek"]

#: Environment variable holding the token user PIN.
PIN_ENV = "PIGUARD_PKCS11_PIN"

# Failures a token reports for a blob that does not authenticate. SoftHSM 2.6
# answers a GCM tag mismatch with CKR_GENERAL_ERROR. Anything else is a
# token problem, reported as KeyProviderError.
_BAD_CIPHERTEXT = (
    p11e.GeneralError,
    p11e.EncryptedDataInvalid,
    p11e.EncryptedDataLenRange,
    p11e.DataInvalid,
    p11e.DataLenRange,
    p11e.FunctionFailed,
)


class _TokenKey(Protocol):
    """What we use of a token AES key; python-pkcs11's static types omit the mixins."""

    def encrypt(self, data: bytes, **kwargs: Any) -> bytes: ...

    def decrypt(self, data: bytes, **kwargs: Any) -> bytes: ...

    def destroy(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Pkcs11Config:
    """Where the KEKs live.

    :param module: path of the PKCS#11 library (e.g. ``/usr/lib/softhsm/libsofthsm2.so``).
    :param token_label: label of the token.
    :param pin: the user PIN; never saved in the keyring file. When ``None`` the
        keyring reads ``PIGUARD_PKCS11_PIN``.
    """

    module: str
    token_label: str
    pin: str | None = field(default=None, repr=False, compare=False)


@dataclass
class _Shared:
    session: pkcs11.Session
    refs: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


_pool: dict[tuple[str, str], _Shared] = {}
_pool_lock = threading.Lock()


def _acquire(config: Pkcs11Config, pin: str) -> _Shared:
    key = (config.module, config.token_label)
    with _pool_lock:
        shared = _pool.get(key)
        if shared is None:
            try:
                lib = pkcs11.lib(config.module)
                token = lib.get_token(token_label=config.token_label)
                if Mechanism.AES_GCM not in token.slot.get_mechanisms():
                    raise KeyProviderError("the PKCS#11 token does not support CKM_AES_GCM")
                session = token.open(user_pin=pin, rw=True)
            except p11e.NoSuchToken:
                raise KeyProviderError(f"no PKCS#11 token labelled {config.token_label!r}") from None
            except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange):
                raise KeyProviderError("the PKCS#11 PIN was refused") from None
            except p11e.PKCS11Error as exc:
                raise KeyProviderError(f"cannot open the PKCS#11 token: {type(exc).__name__}") from None
            shared = _pool[key] = _Shared(session)
        shared.refs += 1
        return shared


def _release(config: Pkcs11Config, shared: _Shared) -> None:
    key = (config.module, config.token_label)
    with _pool_lock:
        shared.refs -= 1
        if shared.refs == 0 and _pool.get(key) is shared:
            del _pool[key]
            try:
                shared.session.close()
            except p11e.PKCS11Error:
                pass  # Closing is best effort: the token may already be gone.


def _label(version: int) -> str:
    return f"piguard-kek-v{version}"


class Pkcs11Kek(KekProvider):
    """A :class:`KekProvider` whose KEKs are non-extractable AES-256 keys in a PKCS#11 token.

    :param config: module path and token label.
    :param pin: the token user PIN.
    :param install_id: 16 bytes naming this installation's keys on the token.
    :param versions: metadata of every version (from the keyring file).
    :param current: the current version.
    :param clock: source of creation times.
    :param random: source of GCM nonces.
    :param create: create the key of ``current`` on the token (a new installation).
    :raises KeyProviderError: the token cannot be opened, lacks AES-GCM, or a live
        KEK version is missing from it (or, with ``create``, already present).
    """

    kind: ClassVar[str] = "pkcs11"
    kind_id: ClassVar[int] = 2

    def __init__(
        self,
        config: Pkcs11Config,
        pin: str,
        install_id: bytes,
        versions: Iterable[KekVersionInfo],
        current: int,
        *,
        clock: Clock | None = None,
        random: Callable[[int], bytes] = os.urandom,
        create: bool = False,
    ) -> None:
        super().__init__(versions, current, clock)
        if len(install_id) != 16:
            raise KeyProviderError("installation id must be 16 bytes")
        self.config = config
        self._install_id = install_id
        self._random = random
        self._shared: _Shared | None = _acquire(config, pin)
        self._keys: dict[int, _TokenKey] = {}
        try:
            if create:
                self._new_key(current)
            for info in self.versions():
                if not info.retired and info.version not in self._keys:
                    key = self._find(info.version)
                    if key is None:
                        raise KeyProviderError(f"KEK version {info.version} is missing from the token")
                    self._keys[info.version] = key
        except BaseException:
            self.close()
            raise

    @classmethod
    def generate(
        cls,
        config: Pkcs11Config,
        pin: str,
        install_id: bytes,
        *,
        clock: Clock | None = None,
    ) -> Pkcs11Kek:
        """Create KEK version 1 on the token and return its provider.

        :raises KeyProviderError: the token is unusable or already holds this installation's keys.
        """
        now = (clock or SystemClock()).now()
        return cls(config, pin, install_id, [KekVersionInfo(1, now)], 1, clock=clock, create=True)

    def _session(self) -> _Shared:
        if self._shared is None:
            raise KeyProviderError("the PKCS#11 provider is closed")
        return self._shared

    def _id(self, version: int) -> bytes:
        return self._install_id + struct.pack(">I", version)

    def _find(self, version: int) -> _TokenKey | None:
        shared = self._session()
        query: dict[Attribute, Any] = {
            Attribute.CLASS: ObjectClass.SECRET_KEY,
            Attribute.LABEL: _label(version),
            Attribute.ID: self._id(version),
        }
        with shared.lock:
            try:
                found = list(shared.session.get_objects(query))
            except p11e.PKCS11Error as exc:
                raise KeyProviderError(f"PKCS#11 search failed: {type(exc).__name__}") from None
        if len(found) > 1:
            raise KeyProviderError(f"several token objects are labelled {_label(version)!r}")
        if not found:
            return None
        if not isinstance(found[0], pkcs11.SecretKey):
            raise KeyProviderError(f"token object {_label(version)!r} is not a secret key")
        return cast(_TokenKey, found[0])

    def _new_key(self, version: int) -> None:
        if self._find(version) is not None:
            raise KeyProviderError(f"the token already holds {_label(version)!r} for this installation")
        shared = self._session()
        template: dict[Attribute, Any] = {
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.ENCRYPT: True,
            Attribute.DECRYPT: True,
            Attribute.WRAP: False,
            Attribute.UNWRAP: False,
            Attribute.ID: self._id(version),
        }
        with shared.lock:
            try:
                key = shared.session.generate_key(
                    KeyType.AES, 256, label=_label(version), store=True, template=template
                )
            except p11e.PKCS11Error as exc:
                raise KeyProviderError(f"cannot create a KEK on the token: {type(exc).__name__}") from None
        self._keys[version] = cast(_TokenKey, key)

    def _drop_key(self, version: int) -> None:
        key = self._keys.pop(version, None) or self._find(version)
        if key is None:
            return
        shared = self._session()
        with shared.lock:
            try:
                key.destroy()
            except (p11e.ObjectHandleInvalid, p11e.KeyHandleInvalid):
                pass  # Another provider in this process already destroyed it.
            except p11e.PKCS11Error as exc:
                raise KeyProviderError(f"cannot destroy {_label(version)!r}: {type(exc).__name__}") from None

    def _wrap_with(self, version: int, dek: bytes, aad: bytes) -> bytes:
        shared = self._session()
        nonce = self._random(NONCE_SIZE)
        header = build_header(Suite.AES256_GCM, self.kind_id, version, nonce)
        key = self._keys[version]
        with shared.lock:
            try:
                body = key.encrypt(
                    dek, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, header + aad, 128)
                )
            except p11e.PKCS11Error as exc:
                raise KeyProviderError(f"PKCS#11 wrap failed: {type(exc).__name__}") from None
        return header + body

    def _unwrap_with(self, version: int, blob: bytes, aad: bytes) -> bytes:
        header = parse_header(blob)
        if header.suite is not Suite.AES256_GCM:
            raise InvalidCiphertext()
        key = self._keys.get(version)
        if key is None:
            raise KeyRetired(f"KEK version {version} is retired")
        shared = self._session()
        params = GCMParams(header.nonce, blob[:HEADER_SIZE] + aad, 128)
        with shared.lock:
            try:
                return key.decrypt(blob[HEADER_SIZE:], mechanism=Mechanism.AES_GCM, mechanism_param=params)
            except _BAD_CIPHERTEXT:
                raise InvalidCiphertext() from None
            except (p11e.ObjectHandleInvalid, p11e.KeyHandleInvalid):
                # Destroyed through another provider sharing this token (retired there).
                raise KeyRetired(f"KEK version {version} is retired") from None
            except p11e.PKCS11Error as exc:
                raise KeyProviderError(f"PKCS#11 unwrap failed: {type(exc).__name__}") from None

    def close(self) -> None:
        """Release this provider's share of the token session. Idempotent."""
        shared, self._shared = self._shared, None
        if shared is not None:
            self._keys.clear()
            _release(self.config, shared)
