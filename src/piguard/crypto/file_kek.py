"""KEKs held in process memory, persisted (encrypted) in the keyring file.

Wrapping is the suite's own AEAD (AES-256-GCM or SM4-GCM) with a prepared
:class:`~piguard.crypto.aead.Sealer` per KEK version, which keeps wrap and
unwrap at about a microsecond.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar

from piguard.clock import Clock, SystemClock
from piguard.crypto.aead import Sealer, Suite
from piguard.crypto.kek import KekProvider, KekVersionInfo
from piguard.errors import CryptoError, KeyRetired

__all__ = ["FileKek"]


class FileKek(KekProvider):
    """A :class:`KekProvider` whose keys the keyring stores encrypted under the master key.

    :param suite: the installation's suite; KEKs are ``suite.key_size`` bytes.
    :param keys: raw key of every non-retired version.
    :param versions: metadata of every version.
    :param current: the current version.
    :param clock: source of creation times.
    :param random: source of new key bytes (tests inject a deterministic one).
    :raises CryptoError: a live version has no key, or a key has the wrong size.
    """

    kind: ClassVar[str] = "file"
    kind_id: ClassVar[int] = 1

    def __init__(
        self,
        suite: Suite,
        keys: Mapping[int, bytes],
        versions: Iterable[KekVersionInfo],
        current: int,
        *,
        clock: Clock | None = None,
        random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        super().__init__(versions, current, clock)
        self.suite = suite
        self._random = random
        self._keys: dict[int, bytes] = {}
        self._sealers: dict[int, Sealer] = {}
        for info in self.versions():
            if not info.retired:
                if info.version not in keys:
                    raise CryptoError(f"KEK version {info.version} has no key material")
                self._hold(info.version, keys[info.version])

    @classmethod
    def generate(
        cls,
        suite: Suite,
        *,
        clock: Clock | None = None,
        random: Callable[[int], bytes] = os.urandom,
    ) -> FileKek:
        """A new provider with one fresh KEK, version 1."""
        now = (clock or SystemClock()).now()
        versions = [KekVersionInfo(1, now)]
        return cls(suite, {1: random(suite.key_size)}, versions, 1, clock=clock, random=random)

    def export_keys(self) -> dict[int, bytes]:
        """Raw key of every live version, for the keyring to encrypt and save. Handle with care."""
        return dict(self._keys)

    def _hold(self, version: int, key: bytes) -> None:
        self._sealers[version] = Sealer(self.suite, key)
        self._keys[version] = bytes(key)

    def _new_key(self, version: int) -> None:
        self._hold(version, self._random(self.suite.key_size))

    def _drop_key(self, version: int) -> None:
        # Python cannot reliably wipe bytes objects; dropping every reference is
        # the best available, and the key is also removed from the keyring file.
        self._sealers.pop(version, None)
        self._keys.pop(version, None)

    def _wrap_with(self, version: int, dek: bytes, aad: bytes) -> bytes:
        return self._sealers[version].seal(self.kind_id, version, dek, aad)

    def _unwrap_with(self, version: int, blob: bytes, aad: bytes) -> bytes:
        sealer = self._sealers.get(version)
        if sealer is None:
            # Retired concurrently with this call.
            raise KeyRetired(f"KEK version {version} is retired")
        return sealer.open(blob, aad)
