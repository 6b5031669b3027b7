"""Keyed hashing: correlate values without revealing them (Vault's audit hash)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking._params import key_param
from piguard.masking.operator import Operator


class Hash(Operator):
    """``hmac-sha256:`` + the first 16 hex digits of HMAC-SHA256(key, value).

    The key is a run-time parameter: it comes from the keyring, never from a
    catalog. Without the key the short digest cannot be brute-forced over the
    small space of phone numbers or IDs, which a plain hash could.
    """

    name: ClassVar[str] = "hash"
    KEY: ClassVar[str] = "key"
    PREFIX: ClassVar[str] = "hmac-sha256:"
    #: 128 bits; shorter keys make offline guessing of the key itself plausible.
    MIN_KEY_BYTES: ClassVar[int] = 16
    HEX_DIGITS: ClassVar[int] = 16
    params: ClassVar[frozenset[str]] = frozenset({KEY})
    runtime_params: ClassVar[frozenset[str]] = frozenset({KEY})

    def check_values(self, params: Mapping[str, Any]) -> None:
        if self.KEY in params:
            key_param(params, self.name, self.KEY, min_length=self.MIN_KEY_BYTES)

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        key = key_param(params, self.name, self.KEY, min_length=self.MIN_KEY_BYTES)
        # surrogatepass: a lone surrogate must hash, not raise an error that quotes it.
        data = value.encode("utf-8", "surrogatepass")
        digest = hmac.new(key, data, hashlib.sha256).hexdigest()
        return self.PREFIX + digest[: self.HEX_DIGITS]
