"""Per-field access decisions: clear, masked or denied, and the rule that decided.

Deny by default; an explicit deny wins (``Role.level_for``). These are the *static*
decisions, from the catalog alone; the gate (:mod:`piguard.gate.decide`) then narrows them
with what only run time knows: training, step-up, grants, minors, row scope.

The bootstrap administrator (the credential ``piguard init`` prints) exists to set
accounts up: it may administer and load data but reads no customer field at all. C3 data
is never shown in clear to anyone (R-STO-3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from piguard import masking
from piguard.catalog import Catalog, Field
from piguard.catalog import vocabulary as _vocabulary
from piguard.catalog.vocabulary import BUILTIN_ROLES, Action, Level
from piguard.errors import AccessDenied

__all__ = ["ACTIONS", "BOOTSTRAP_ROLE", "BOOTSTRAP_SETUP_ACTIONS", "Decision", "Level", "Policy"]

BOOTSTRAP_ROLE = "bootstrap-admin"
#: The catalog's actions (:data:`piguard.catalog.vocabulary.ACTIONS`), as a set to test against.
ACTIONS: frozenset[Action] = frozenset(_vocabulary.ACTIONS)
#: What the bootstrap credential may do once staff accounts exist: set up, never look.
BOOTSTRAP_SETUP_ACTIONS: frozenset[Action] = frozenset({"administer", "write"})


#: Levels from weakest to strongest.
_RANK: dict[str, int] = {"deny": 0, "masked": 1, "clear": 2}


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one field: ``level``, the mask to apply when masked, and the granting rule."""

    level: Level
    mask: str
    mask_options: dict[str, Any] = field(default_factory=dict)
    rule: str = "default deny"


class Policy:
    """Answers "may this role do this action, for this purpose, on this field, and how shown?".

    :param catalog: the installation's catalog.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # The catalog is frozen, so decisions can be memoised for the life of the policy.
        self._cache: dict[tuple[str, str, str, str], Decision] = {}

    def check_action(self, role: str, action: str, purpose: str | None) -> str:
        """Return the rule that allows ``action`` for ``role``; refuse otherwise (R-USE-1, R-USE-5).

        :raises AccessDenied: unknown action or purpose, unknown role, action not granted, or
            purpose not allowed for the role.
        """
        if action not in ACTIONS:
            raise AccessDenied(f"unknown action '{action}'", key="unknown_action", params={"action": action})
        if purpose is not None and purpose not in self.catalog.purposes:
            raise AccessDenied(
                f"unknown purpose '{purpose}'", "purpose", key="unknown_purpose", params={"purpose": purpose}
            )
        if role == BOOTSTRAP_ROLE:
            if action not in BOOTSTRAP_SETUP_ACTIONS:
                raise AccessDenied(
                    f"the bootstrap credential may only set up (administer, load data), not {action}: "
                    "create a staff user with 'piguard users add' and log in",
                    "bootstrap administrator",
                )
            return "bootstrap administrator"
        spec = self.catalog.roles.get(role)
        if spec is None:
            raise AccessDenied(
                f"role '{role}' is not in the catalog",
                "default deny",
                key="unknown_role",
                params={"role": role},
            )
        if action not in spec.actions:
            raise AccessDenied(
                f"role '{role}' may not {action}",
                f"roles.{role}.actions",
                key="role_action",
                params={"role": role, "action": action},
            )
        if purpose is not None and purpose not in spec.purposes:
            raise AccessDenied(
                f"role '{role}' may not act for purpose '{purpose}'",
                f"roles.{role}.purposes",
                key="role_purpose",
                params={"role": role, "purpose": purpose},
            )
        return f"roles.{role}.actions"

    def decide(self, role: str, record_type: str, fdef: Field, purpose: str) -> Decision:
        """Decide how ``fdef`` is shown to ``role`` reading for ``purpose`` (R-USE-1, R-USE-4, R-USE-5).

        Order: the purpose must cover the field; the role's rules decide (deny by default, an
        explicit deny wins); C3 is then masked with ``never`` whatever the role says.
        """
        key = (role, record_type, fdef.name, purpose)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._decide(role, record_type, fdef, purpose)
        return cached

    def _decide(self, role: str, record_type: str, fdef: Field, purpose: str) -> Decision:
        if purpose not in fdef.purposes:
            return Decision("deny", "redact", rule=f"purpose '{purpose}' does not cover this field")
        if role == BOOTSTRAP_ROLE:
            return Decision("deny", "redact", rule="bootstrap administrator reads no customer field")
        spec = self.catalog.roles.get(role)
        if spec is None:
            return Decision("deny", "redact", rule="default deny")
        access = spec.level_for(fdef, record_type)
        if access.level == "deny":
            return Decision("deny", "redact", rule=access.rule)
        if fdef.cls == "C3":
            # R-STO-3: the loader already refuses roles that see C3 in clear; this is the backstop.
            return Decision("masked", "never", rule=f"{access.rule}; class C3 is never shown")
        if access.level == "clear":
            return Decision("clear", "clear", rule=access.rule)
        if access.mask in masking.IDENTITY:
            # "masked" with a mask that shows the value (a C1 field's ``clear``) would be a
            # masked badge over the clear value: hide it for real (the catalog lint flags it).
            why = f"{access.rule}; mask {access.mask!r} shows the value"
            return Decision("masked", masking.FALLBACK, {}, why)
        return Decision("masked", access.mask, dict(access.mask_options), access.rule)

    def strongest(self, role: str, record_type: str, fdef: Field) -> Decision:
        """The best ``role`` gets for ``fdef`` over all its purposes (clear, else masked, else deny):
        what listings of a role's reach show (``piguard catalog roles``, docs/masking.md)."""
        spec = self.catalog.roles.get(role)
        best = Decision("deny", "redact", rule="default deny")
        for purpose in sorted(spec.purposes & set(fdef.purposes)) if spec is not None else ():
            decision = self.decide(role, record_type, fdef, purpose)
            if _RANK[decision.level] > _RANK[best.level]:
                best = decision
        return best

    # ------------------------------------------------------------------ what a grant can reach

    def clear_roles(self, record_type: str, fdef: Field) -> list[str]:
        """Roles that may see ``fdef`` in clear for at least one of their purposes (possibly only
        with step-up and a grant): whom to ask when a role can never unmask it."""
        out = []
        for name, spec in self.catalog.roles.items():
            if name in BUILTIN_ROLES:
                continue  # jobs and the customer themself are nobody to ask
            if any(
                self.decide(name, record_type, fdef, purpose).level == "clear"
                for purpose in sorted(spec.purposes & set(fdef.purposes))
            ):
                out.append(name)
        return out

    def never_clear(self, role: str, record_type: str, fdef: Field, purpose: str) -> str | None:
        """Why no grant can show ``fdef`` to ``role`` in clear for ``purpose``, or None if one can.

        A grant never widens a role: it only lifts the step-up and approval conditions on what the
        catalog already lets the role see in clear. A field the role sees at most masked (or not at
        all) stays so, however many approvals there are; the reason says who can see it.
        """
        decision = self.decide(role, record_type, fdef, purpose)
        if decision.level == "clear":
            return None
        shown = "not at all" if decision.level == "deny" else "at most masked"
        others = [r for r in self.clear_roles(record_type, fdef) if r != role]
        ask = (
            f"roles that see it in clear: {', '.join(others)}"
            if others
            else "no role sees it in clear (the catalog would have to change)"
        )
        return (
            f"role '{role}' sees {record_type}.{fdef.name} {shown} for purpose '{purpose}' "
            f"({decision.rule}): a grant cannot unmask it; {ask}"
        )
