"""Operators whose output does not depend on the shape of the value.

``redact`` and ``never`` return a constant, so not even the length of the value
shows. ``clear`` is the identity, used only for roles allowed clear access.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking.operator import Operator


class Clear(Operator):
    """Show the value unchanged (roles with clear access only; R-USE-4)."""

    name: ClassVar[str] = "clear"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        return value


class Redact(Operator):
    """Replace the value by ``******``; the length is not revealed."""

    name: ClassVar[str] = "redact"
    OUTPUT: ClassVar[str] = "******"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        return self.OUTPUT


class Never(Operator):
    """C3 data (PIN, CVN2, password) is never displayed: always ``[hidden]`` (R-STO-3)."""

    name: ClassVar[str] = "never"
    OUTPUT: ClassVar[str] = "[hidden]"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        return self.OUTPUT
