"""Key-encryption keys (KEKs): the abstract provider and its version bookkeeping.

A provider holds numbered KEK versions. :meth:`KekProvider.wrap` always uses
the current version; :meth:`KekProvider.unwrap` reads the version from the
blob, so data keys wrapped under older versions keep working after
:meth:`KekProvider.rotate`. Wrapped blobs use the :mod:`piguard.crypto.aead`
format with ``key_id`` set to the provider kind (1 = file, 2 = pkcs11) and
``key_version`` set to the KEK version.

**Retirement is destruction.** :meth:`KekProvider.retire` marks the version
retired, has the change persisted, and then destroys the key material
(dropped from the keyring file, or ``C_DestroyObject`` in the token). Blobs
under a retired version raise :class:`~piguard.errors.KeyRetired` forever.
Callers must first rewrap every data key that still uses the version.

Implementations: :class:`piguard.crypto.file_kek.FileKek` and
:class:`piguard.crypto.pkcs11_kek.Pkcs11Kek`. Both pass the conformance suite in
``tests/crypto/test_kek_conformance.py``.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

from piguard.clock import Clock, SystemClock
from piguard.crypto.aead import _unpack
from piguard.errors import CryptoError, InvalidCiphertext, KeyRetired, UnknownKey

__all__ = ["KekProvider", "KekVersionInfo"]


@dataclass(frozen=True, slots=True)
class KekVersionInfo:
    """Metadata of one KEK version (never key material)."""

    version: int
    created_at: datetime
    retired: bool = False


class KekProvider(ABC):
    """A store of versioned KEKs that wraps and unwraps data keys.

    Subclasses implement the four key operations ``_new_key``, ``_drop_key``,
    ``_wrap_with`` and ``_unwrap_with``; version bookkeeping, the checks on
    blobs and the rotate/retire rules live here so every provider behaves the same.

    :param versions: the known versions (at least one, the current one not retired).
    :param current: the current version.
    :param clock: source of ``created_at`` for new versions.
    :raises CryptoError: the version list is inconsistent.
    """

    #: Provider kind, as written in the keyring file.
    kind: ClassVar[str]
    #: Provider kind as written in each blob's ``key_id`` field.
    kind_id: ClassVar[int]

    def __init__(self, versions: Iterable[KekVersionInfo], current: int, clock: Clock | None = None) -> None:
        self._infos: dict[int, KekVersionInfo] = {v.version: v for v in versions}
        if current not in self._infos or self._infos[current].retired:
            raise CryptoError("the current KEK version must exist and not be retired")
        self._current = current
        self._clock: Clock = clock or SystemClock()
        # Reentrant: the change hook (the keyring persisting itself) calls wrap().
        self._lock = threading.RLock()
        #: Called after every rotate/retire, under the provider lock; the keyring
        #: sets it to persist itself. If it raises, the change is rolled back.
        self.on_change: Callable[[], None] | None = None

    # -- provider-specific key operations ---------------------------------------------------

    @abstractmethod
    def _new_key(self, version: int) -> None:
        """Create and hold the key material of ``version``."""

    @abstractmethod
    def _drop_key(self, version: int) -> None:
        """Destroy the key material of ``version`` (idempotent)."""

    @abstractmethod
    def _wrap_with(self, version: int, dek: bytes, aad: bytes) -> bytes:
        """Wrap ``dek`` under ``version`` into the aead blob format."""

    @abstractmethod
    def _unwrap_with(self, version: int, blob: bytes, aad: bytes) -> bytes:
        """Unwrap ``blob`` (header already checked) under ``version``.

        :raises InvalidCiphertext: authentication failed.
        :raises KeyRetired: the key material is gone.
        """

    # -- public API --------------------------------------------------------------------------

    @property
    def current_version(self) -> int:
        """The version :meth:`wrap` uses."""
        return self._current

    def versions(self) -> list[KekVersionInfo]:
        """All versions ever created, oldest first, retired ones included."""
        with self._lock:
            return [self._infos[v] for v in sorted(self._infos)]

    def is_retired(self, version: int) -> bool:
        """Whether ``version`` has been retired. Unknown versions count as not retired."""
        info = self._infos.get(version)
        return info is not None and info.retired

    def wrap(self, dek: bytes, aad: bytes) -> bytes:
        """Encrypt a data key under the current KEK version, bound to ``aad``.

        :param dek: the data key.
        :param aad: its context, normally :func:`piguard.crypto.context.dek_aad`.
        :returns: a self-describing blob naming this provider kind and the KEK version.
        :raises KeyProviderError: the provider (e.g. the token) failed.
        """
        return self._wrap_with(self._current, dek, aad)

    def kek_version_of(self, blob: bytes) -> int:
        """The KEK version a wrapped blob names (not authenticated until unwrapped).

        :raises InvalidCiphertext: the blob is malformed or from another provider kind.
        """
        _, key_id, key_version, _ = _unpack(blob)
        if key_id != self.kind_id:
            raise InvalidCiphertext()
        return key_version

    def unwrap(self, blob: bytes, aad: bytes) -> bytes:
        """Decrypt a wrapped data key.

        :param blob: from :meth:`wrap` (any version of this provider).
        :param aad: the context given to :meth:`wrap`.
        :returns: the data key.
        :raises InvalidCiphertext: the blob is malformed, from another provider kind,
            changed, or ``aad`` differs.
        :raises UnknownKey: the blob names a KEK version this keyring never had.
        :raises KeyRetired: the blob names a retired KEK version.
        :raises KeyProviderError: the provider (e.g. the token) failed.
        """
        version = self.kek_version_of(blob)
        info = self._infos.get(version)
        if info is None:
            raise UnknownKey(f"KEK version {version} is not in this keyring")
        if info.retired:
            raise KeyRetired(f"KEK version {version} is retired")
        return self._unwrap_with(version, blob, aad)

    def rotate(self) -> int:
        """Create a new KEK version and make it current. Older versions still unwrap.

        :returns: the new current version.
        :raises KeyProviderError: the key could not be created or the change persisted.
        """
        with self._lock:
            previous = self._current
            new = max(self._infos) + 1
            self._new_key(new)
            self._infos[new] = KekVersionInfo(new, self._clock.now())
            self._current = new
            try:
                self._changed()
            except BaseException:
                # Never leave a current KEK that was not persisted: data keys
                # wrapped under it would be lost on restart.
                self._current = previous
                del self._infos[new]
                self._drop_key(new)
                raise
            return new

    def retire(self, version: int) -> None:
        """Retire ``version`` and destroy its key material. Irreversible; idempotent.

        :raises UnknownKey: no such version.
        :raises CryptoError: ``version`` is the current version.
        :raises KeyProviderError: the change could not be persisted.
        """
        with self._lock:
            info = self._infos.get(version)
            if info is None:
                raise UnknownKey(f"KEK version {version} is not in this keyring")
            if version == self._current:
                raise CryptoError("the current KEK version cannot be retired; rotate first")
            if info.retired:
                return
            self._infos[version] = replace(info, retired=True)
            try:
                self._changed()
            except BaseException:
                self._infos[version] = info
                raise
            # Destroy only after the retirement is on disk, so a failed save never
            # leaves a keyring that lists a live version whose key is gone.
            self._drop_key(version)

    def status(self) -> dict[str, Any]:
        """Kind, current version and version list; no key material."""
        return {
            "kind": self.kind,
            "current_version": self._current,
            "versions": [
                {"version": i.version, "created_at": i.created_at.isoformat(), "retired": i.retired}
                for i in self.versions()
            ],
        }

    def close(self) -> None:  # noqa: B027 - optional hook with a no-op default
        """Release provider resources (a token session). The provider is unusable afterwards."""

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
