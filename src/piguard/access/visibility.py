"""What each role of a catalog sees, what it can ask to unmask, and from whom (the masking model).

Derived from the catalog alone, by the same :class:`~piguard.access.decision.Policy` the gate
uses, so the tables in ``docs/masking.md`` (written by ``scripts/masking-doc``) cannot drift from
the rules: a test regenerates them. Run time narrows further (training, row scope, minors,
consent), never widens.

For each field a role reaches over its purposes:

* ``clear``: shown in clear, nothing to ask;
* ``step_up``: clear after a fresh step-up (TOTP again within 10 minutes; class C2's rule);
* ``grant``: clear after a step-up and a time-boxed grant approved by another person of a role that
  ``can_approve`` this one (sensitive fields, classes that require approval);
* ``masked``: masked, and no grant can change it (a grant never widens a role); the roles that do
  see it in clear are the people to ask;
* ``deny``: not shown at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from piguard.access.decision import Policy
from piguard.catalog import Catalog
from piguard.catalog.vocabulary import BUILTIN_ROLES, LEVELS

__all__ = ["KINDS", "FieldReach", "RoleReach", "reach"]

#: The kinds of reach, strongest first: the catalog's levels, with clear split by what it needs.
KINDS: tuple[str, ...] = tuple(
    kind
    for level in reversed(LEVELS)
    for kind in (("clear", "step_up", "grant") if level == "clear" else (level,))
)


@dataclass(frozen=True, slots=True)
class FieldReach:
    """How one role reaches one field: ``kind`` (see :data:`KINDS`), the mask shown when masked,
    and the roles to ask: approvers for ``grant``, roles seeing it in clear for ``masked``."""

    field: str
    kind: str
    mask: str = ""
    ask: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RoleReach:
    """One role's reach over every field of the catalog."""

    role: str
    description: str
    purposes: tuple[str, ...]
    approvers: tuple[str, ...]
    fields: list[FieldReach] = field(default_factory=list)

    def of(self, kind: str) -> list[FieldReach]:
        return [f for f in self.fields if f.kind == kind]


def reach(catalog: Catalog) -> list[RoleReach]:
    """Every staff role's reach (the built-in system roles are left out: nobody logs in as them)."""
    policy = Policy(catalog)
    out = []
    for name, spec in catalog.roles.items():
        if name in BUILTIN_ROLES:
            continue
        approvers = tuple(
            r
            for r, other in catalog.roles.items()
            if "approve" in other.actions and name in other.can_approve
        )
        role = RoleReach(name, spec.description, tuple(sorted(spec.purposes)), approvers)
        for rt_name, rt in catalog.record_types.items():
            for fname, fdef in rt.fields.items():
                qualified = f"{rt_name}.{fname}"
                decision = policy.strongest(name, rt_name, fdef)
                if decision.level == "deny":
                    role.fields.append(FieldReach(qualified, "deny"))
                elif decision.level == "masked":
                    ask = tuple(r for r in policy.clear_roles(rt_name, fdef) if r != name)
                    role.fields.append(FieldReach(qualified, "masked", decision.mask, ask))
                else:
                    cls = catalog.classes[fdef.cls]
                    if cls.clear_requires_approval or fdef.sensitive:
                        role.fields.append(FieldReach(qualified, "grant", ask=approvers))
                    elif cls.clear_requires_step_up:
                        role.fields.append(FieldReach(qualified, "step_up"))
                    else:
                        role.fields.append(FieldReach(qualified, "clear"))
        out.append(role)
    return out
