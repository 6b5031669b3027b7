"""``suppress``: the field is named in the agreement but leaves empty."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from piguard.sharing.operators.operator import Desensitiser


class Suppress(Desensitiser):
    name = "suppress"
    needs_value = False

    def operate(self, value: str, params: Mapping[str, Any]) -> None:
        return None
