"""Per-customer data keys (DEKs), wrapped under the keyring's KEK.

Each customer gets their own random DEK; field values are sealed with it and
only its wrapped form is stored (in the key store, apart from the data).
Erasing a customer means deleting the wrapped DEK (crypto-shredding) and
calling :meth:`DataKeys.forget` so no copy survives in this process's cache.

Unwrapped DEKs and their :class:`~piguard.crypto.aead.Sealer` are kept in a
bounded LRU cache, keyed by (tenant, customer id, SHA-256 of the wrapped blob),
because building a sealer costs about as much as using it and reads are the
hot path.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from piguard.crypto.aead import Sealer
from piguard.crypto.context import dek_aad
from piguard.crypto.keyring import Keyring
from piguard.errors import CryptoError, KeyRetired

__all__ = ["DataKeys", "WrappedDek"]

_CacheKey = tuple[str, str, bytes]


@dataclass(frozen=True, slots=True)
class WrappedDek:
    """A new data key: ``dek`` to use now, ``blob`` to store, and the KEK version of ``blob``."""

    dek: bytes
    blob: bytes
    kek_version: int

    def __repr__(self) -> str:
        return f"WrappedDek(dek=<hidden>, blob=<{len(self.blob)} bytes>, kek_version={self.kek_version})"


@dataclass(frozen=True, slots=True)
class _Entry:
    dek: bytes
    sealer: Sealer
    kek_version: int


class DataKeys:
    """Creates, unwraps and caches customer data keys.

    :param keyring: the opened keyring; its KEK wraps the DEKs and its suite sets
        their size (``keyring.suite.key_size`` bytes).
    :param cache_size: most unwrapped DEKs kept in memory (0 disables the cache).
    :param random: source of DEK bytes (tests inject a deterministic one).
    """

    def __init__(
        self,
        keyring: Keyring,
        *,
        cache_size: int = 10_000,
        random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        if cache_size < 0:
            raise CryptoError("cache_size must be >= 0")
        self.kek = keyring.kek
        self.suite = keyring.suite
        self._random = random
        self._max = cache_size
        self._cache: OrderedDict[_CacheKey, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, tenant: str, customer_id: str) -> WrappedDek:
        """Generate a DEK for a customer and wrap it under the current KEK.

        :raises KeyProviderError: the KEK provider failed.
        """
        dek = self._random(self.suite.key_size)
        if len(dek) != self.suite.key_size:
            raise CryptoError("random source returned the wrong number of bytes")
        blob = self.kek.wrap(dek, dek_aad(tenant, customer_id))
        self._remember((tenant, customer_id, _digest(blob)), dek, self.kek.current_version)
        return WrappedDek(dek, blob, self.kek.current_version)

    def unwrap(self, tenant: str, customer_id: str, blob: bytes) -> bytes:
        """The DEK inside ``blob``, from the cache when possible.

        :raises InvalidCiphertext: ``blob`` is damaged or belongs to another customer.
        :raises KeyRetired: ``blob`` is under a retired KEK version.
        :raises UnknownKey: ``blob`` names a KEK version the keyring never had.
        """
        return self._entry(tenant, customer_id, blob).dek

    def sealer(self, tenant: str, customer_id: str, blob: bytes) -> Sealer:
        """The :class:`Sealer` of the DEK inside ``blob``; the hot path for reads and writes.

        :raises InvalidCiphertext: see :meth:`unwrap`.
        :raises KeyRetired: see :meth:`unwrap`.
        :raises UnknownKey: see :meth:`unwrap`.
        """
        return self._entry(tenant, customer_id, blob).sealer

    def rewrap(self, tenant: str, customer_id: str, blob: bytes) -> bytes:
        """Wrap the same DEK under the current KEK version (after a rotation).

        :returns: the new blob (``blob`` itself if already current).
        :raises InvalidCiphertext: see :meth:`unwrap`.
        :raises KeyRetired: see :meth:`unwrap`.
        """
        if self.kek.kek_version_of(blob) == self.kek.current_version:
            return blob
        # Straight through the KEK, not the cache: a rotation touches every customer once, and
        # caching each DEK (with a sealer) cost more than the unwrap and wrap themselves.
        aad = dek_aad(tenant, customer_id)
        return self.kek.wrap(self.kek.unwrap(blob, aad), aad)

    def forget(self, tenant: str, customer_id: str) -> None:
        """Drop every cached DEK of a customer (call when erasing them)."""
        with self._lock:
            for key in [k for k in self._cache if k[0] == tenant and k[1] == customer_id]:
                del self._cache[key]

    def clear(self) -> None:
        """Drop every cached DEK (e.g. when sealing the vault)."""
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)

    def _entry(self, tenant: str, customer_id: str, blob: bytes) -> _Entry:
        key = (tenant, customer_id, _digest(blob))
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None:
                self._cache.move_to_end(key)
        if entry is not None:
            # A cached DEK must not outlive its KEK's retirement.
            if self.kek.is_retired(entry.kek_version):
                raise KeyRetired(f"KEK version {entry.kek_version} is retired")
            return entry
        dek = self.kek.unwrap(blob, dek_aad(tenant, customer_id))
        return self._remember(key, dek, self.kek.kek_version_of(blob))

    def _remember(self, key: _CacheKey, dek: bytes, kek_version: int) -> _Entry:
        entry = _Entry(dek, Sealer(self.suite, dek), kek_version)
        if self._max == 0:
            return entry
        with self._lock:
            self._cache[key] = entry
            self._cache.move_to_end(key)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return entry


def _digest(blob: bytes) -> bytes:
    return hashlib.sha256(blob).digest()
