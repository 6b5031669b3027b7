"""``mask``: the field leaves masked by a masking rule (the field's own catalog rule by default)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from piguard import masking
from piguard.errors import ValidationError
from piguard.sharing.operators.operator import Desensitiser


class Mask(Desensitiser):
    """Mask with ``rule`` (a masking rule; run-time ``default_rule`` is the field's catalog mask)."""

    name = "mask"
    RULE: ClassVar[str] = "rule"
    params = frozenset({RULE, "default_rule"})
    runtime_params = frozenset({"default_rule"})

    def check_values(self, params: Mapping[str, Any]) -> None:
        rule = params.get(self.RULE)
        if rule is not None and rule not in masking.known_rules():
            raise ValidationError(f"rule 'mask': unknown masking rule {rule!r}", "fields")

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        rule = str(params.get(self.RULE) or params["default_rule"] or masking.FALLBACK)
        return masking.hide(rule, value)
