"""``pseudonymise``: a keyed HMAC-SHA256 of the value, with a key per recipient.

The same value gives the same pseudonym for one partner (its extracts join with themselves) and a
different one for any other partner (two partners cannot join their extracts). The key is derived
from the keyring's secret for the partner (never stored in the data database, R-STO-4); the
capability supplies it at run time, so no agreement can name a key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from piguard.sharing.operators.operator import Desensitiser

#: Hex digits of the HMAC kept: 128 bits, no collision among any realistic customer count.
LENGTH = 32


class Pseudonymise(Desensitiser):
    """``p:`` + the first 128 bits of HMAC-SHA256(recipient key, field, value), in hex."""

    name = "pseudonymise"
    params = frozenset({"key", "field"})
    runtime_params = frozenset({"key", "field"})

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        key: bytes = params["key"]
        message = str(params["field"]).encode() + b"\x00" + value.encode()
        return "p:" + hmac.new(key, message, hashlib.sha256).hexdigest()[:LENGTH]
