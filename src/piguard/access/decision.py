"""Per-field access decisions: clear, masked or denied, and the rule that decided.

Deny by default. A role of the catalog decides through ``Role.level_for``; the
bootstrap administrator (which stands in for real accounts until they exist) sees
every field except C3 data, which no one ever sees in clear (R-STO-3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from piguard.catalog import Catalog, Field
from piguard.errors import AccessDenied

Level = Literal["deny", "masked", "clear"]
BOOTSTRAP_ROLE = "bootstrap-admin"
ACTIONS = frozenset({"read", "write", "search", "list", "export", "erase", "approve", "administer", "audit"})


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one field: ``level``, the mask to apply when masked, and the granting rule."""

    level: Level
    mask: str
    mask_options: dict[str, Any] = field(default_factory=dict)
    rule: str = "default deny"


class Policy:
    """Answers "may this role do this action, for this purpose, on this field, and how shown?"."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def check_action(self, role: str, action: str, purpose: str | None) -> str:
        """Return the rule that allows ``action`` for ``role``; refuse otherwise.

        :raises AccessDenied: unknown role, action not granted, or purpose not allowed for the role.
        """
        if action not in ACTIONS:
            raise AccessDenied(f"unknown action '{action}'")
        if purpose is not None and purpose not in self.catalog.purposes:
            raise AccessDenied(f"unknown purpose '{purpose}'", "purpose")
        if role == BOOTSTRAP_ROLE:
            return "bootstrap administrator"
        spec = self.catalog.roles.get(role)
        if spec is None:
            raise AccessDenied(f"role '{role}' is not in the catalog", "default deny")
        if action not in spec.actions:
            raise AccessDenied(f"role '{role}' may not {action}", f"roles.{role}.actions")
        if purpose is not None and purpose not in spec.purposes:
            raise AccessDenied(f"role '{role}' may not act for purpose '{purpose}'", f"roles.{role}.purposes")
        return f"roles.{role}.actions"

    def decide(self, role: str, record_type: str, fdef: Field, purpose: str) -> Decision:
        """Decide how ``fdef`` is shown to ``role`` reading for ``purpose`` (R-USE-1, R-USE-4, R-USE-5)."""
        if purpose not in self.catalog.purposes_for(record_type, fdef.name):
            return Decision("deny", "redact", rule=f"purpose '{purpose}' does not cover this field")
        if fdef.cls == "C3":
            return Decision("masked", "never", rule="class C3 is never shown")
        if role == BOOTSTRAP_ROLE:
            return Decision("clear", "clear", rule="bootstrap administrator")
        spec = self.catalog.roles.get(role)
        if spec is None:
            return Decision("deny", "redact")
        level, mask, mask_options, rule = spec.level_for(fdef, record_type)
        return Decision(level, mask, dict(mask_options), rule)
