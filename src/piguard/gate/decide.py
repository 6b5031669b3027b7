"""Per-field decisions: the catalog's, narrowed by training, step-up, grants and minors.

The kernel asks :class:`Decider` for every field a call touches; capabilities never decide
for themselves. Order (R-USE-1, R-USE-2, R-TRN-1): the role's catalog rule for the purpose
(deny by default, explicit deny wins, C3 never clear); then lapsed training narrows clear to
masked and sensitive to denied; then clear access to sensitive, C3, step-up-class and minors'
fields needs a fresh step-up and, where the class or sensitivity asks, an approved grant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from piguard import masking
from piguard.access.control import AccessControl
from piguard.access.decision import BOOTSTRAP_ROLE, Decision, Policy
from piguard.access.grants import Grant
from piguard.catalog import Catalog, Field
from piguard.catalog.vocabulary import GUARDIAN_FIELD_PREFIX, NOTIFICATION_PURPOSE, NOTIFIER_ROLE
from piguard.gate.context import RequestContext
from piguard.principal import Actor
from piguard.vault.model import RecordRef

#: Kinds of PI the detector finds in notes -> catalog value types that hold the same kind.
#: A role sees a note's original only if it sees fields of all these types in clear.
NOTE_PI_TYPES: dict[str, frozenset[str]] = {
    "person": frozenset({"name"}),
    "mobile": frozenset({"mobile", "phone"}),
    "landline": frozenset({"landline", "phone"}),
    "resident_id": frozenset({"resident_id"}),
    "bank_card": frozenset({"bank_card"}),
    "email": frozenset({"email"}),
    "passport": frozenset({"passport"}),
    "address": frozenset({"address"}),
    "uscc": frozenset({"uscc"}),
    "birth_date": frozenset({"date"}),
}


def is_bootstrap(actor: Actor) -> bool:
    return actor.role == BOOTSTRAP_ROLE


def masked(fdef: Field, rule: str) -> Decision:
    """A masked decision for ``fdef``; a field whose own mask shows the value (``clear``) is
    redacted instead: the point is to hide it."""
    mask = fdef.mask if fdef.mask not in masking.IDENTITY else masking.FALLBACK
    options = dict(fdef.mask_options) if mask == fdef.mask else {}
    return Decision("masked", mask, options, rule)


def show(decision: Decision, value: str | None) -> str | None:
    """The value as ``decision`` lets it out: a masked value never equals the clear one
    (:func:`piguard.masking.hide`), so the level reported beside it is true."""
    if value is None or decision.level == "deny":
        return None
    if decision.level == "clear":
        return value
    return masking.hide(decision.mask, value, **decision.mask_options)


class Decider:
    """Decides fields for one installation.

    :param is_minor: the one "under 14" rule (the consent layer's recorded age band, R-MIN-1).
    """

    def __init__(
        self, catalog: Catalog, policy: Policy, access: AccessControl, is_minor: Callable[[str], bool]
    ) -> None:
        self.catalog = catalog
        self.policy = policy
        self.access = access
        self.is_minor = is_minor

    @staticmethod
    def _guardians_own(ctx: RequestContext, name: str, fdef: Field) -> bool:
        """Is this the guardian's own contact on a child's record, read by the outbox's sender to
        address a message to the guardian? PIPL 28 makes the *child's* data sensitive; the
        guardian's mobile or email is how PIPL 31 has a child reached through the guardian (a
        sign-in or step-up code in the privacy centre, R-MIN-1), read by no person and never
        shown. The child's own contacts still need an approved grant (an incident's release)."""
        return (
            ctx.actor.kind == "system"
            and ctx.actor.role == NOTIFIER_ROLE
            and ctx.purpose == NOTIFICATION_PURPOSE
            and name.startswith(GUARDIAN_FIELD_PREFIX)
            and fdef.category == "contact"
            and not fdef.sensitive
        )

    def training_reason(self, actor: Actor) -> str | None:
        """Why ``actor`` may not see clear or sensitive data (R-TRN-1), or None if it may."""
        if actor.kind != "staff" or is_bootstrap(actor):
            return None
        status = self.access.training.status(actor.id)
        return None if status.ok else status.reason

    def static(self, ctx: RequestContext, record_type: str, fdef: Field) -> Decision:
        """The catalog's decision alone (no run-time narrowing): what a role can ever get."""
        return self.policy.decide(ctx.actor.role, record_type, fdef, ctx.purpose)

    def clear_for_any(self, ctx: RequestContext, record_type: str, fdef: Field) -> bool:
        """Does ``ctx`` see ``fdef`` in clear whichever customer it is about (a search's question,
        before any match is known)? Only if the catalog says clear and nothing at run time could
        narrow it: training in order, and no step-up or per-customer grant needed (a field that
        needs a grant is clear for some customers at most, so searching it is a probe)."""
        actor = ctx.actor
        if self.static(ctx, record_type, fdef).level != "clear":
            return False
        if actor.kind == "customer":
            return True
        if self.training_reason(actor) is not None:
            return False
        cls = self.catalog.classes[fdef.cls]
        if cls.clear_requires_approval or fdef.sensitive:
            return False
        needs_step_up = cls.clear_requires_step_up and actor.kind != "system"
        return not needs_step_up or self.access.stepped_up(actor)

    def decide(self, ctx: RequestContext, ref: RecordRef, fdefs: Mapping[str, Field]) -> dict[str, Decision]:
        """Decide every field of ``fdefs`` for ``ctx`` reading ``ref`` (see the module docstring)."""
        actor = ctx.actor
        static = {n: self.static(ctx, ref.record_type, f) for n, f in fdefs.items()}
        if is_bootstrap(actor):
            return static
        if actor.kind == "customer":
            # A customer reading their own data (row scope ``own`` confines them to it): step-up,
            # approvals and training protect customers from staff, not from themselves (PIPL 45).
            # The catalog's decision stands, C3 masked included.
            return static
        training_reason = self.training_reason(actor)
        minor: bool | None = None
        grants: list[Grant] | None = None
        out: dict[str, Decision] = {}
        for name, decision in static.items():
            fdef = fdefs[name]
            if decision.level == "deny":
                out[name] = decision
                continue
            if minor is None and (decision.level == "clear" or training_reason is not None):
                minor = self.is_minor(ref.customer_id)
            sensitive = fdef.sensitive or (bool(minor) and not self._guardians_own(ctx, name, fdef))
            if training_reason is not None:
                if sensitive:
                    out[name] = Decision("deny", "redact", rule=training_reason)
                elif decision.level == "clear" or decision.mask in masking.IDENTITY:
                    out[name] = masked(fdef, training_reason)
                else:
                    out[name] = decision
                continue
            if decision.level == "masked":
                out[name] = decision
                continue
            cls = self.catalog.classes[fdef.cls]
            why = (
                "minor's data"
                if minor and not fdef.sensitive
                else "sensitive"
                if fdef.sensitive
                else fdef.cls
            )
            # Step-up is a person's second factor at the keyboard; a system principal (a job of this
            # installation, e.g. the outbox addressing a message) has no session to step up, and its
            # role is the catalog's built-in one. Approvals below still apply to it.
            needs_step_up = (cls.clear_requires_step_up or sensitive) and actor.kind != "system"
            if needs_step_up and not self.access.stepped_up(actor):
                out[name] = masked(fdef, f"clear ({why}) needs step-up: a fresh TOTP code (R-USE-2)")
                continue
            if cls.clear_requires_approval or sensitive:
                if grants is None:
                    grants = self.access.grants.active_clear(actor.id, ref.customer_id, ctx.purpose)
                grant = next((g for g in grants if g.covers(ref.record_type, name)), None)
                if grant is None:
                    out[name] = masked(
                        fdef, f"clear ({why}) needs an approved grant for this customer and purpose (R-USE-2)"
                    )
                    continue
                decision = replace(decision, rule=f"{decision.rule}; grant {grant.id}")
            out[name] = decision
        return out

    def note_original(self, ctx: RequestContext, ref: RecordRef, found: str | None) -> str | None:
        """May ``ctx`` see a note as written, PI included? Only if it may see every kind of PI found
        in it in clear on the customer's own profile; then returns the rule, else None (the note
        stays masked as stored)."""
        if not found:
            return None
        customer = self.catalog.record_types.get("customer")
        if customer is None:
            return None
        owner = RecordRef(ref.customer_id, "customer", ref.customer_id)
        for kind in found.split(","):
            value_types = NOTE_PI_TYPES.get(kind)
            fields = {n: f for n, f in customer.fields.items() if value_types and f.type in value_types}
            if not fields:
                return None
            # Seeing this kind of PI in clear in at least one profile field (the customer's own
            # name, say, not necessarily a guardian's) is what allows it in the note.
            decided = self.decide(ctx, owner, fields)
            if not any(d.level == "clear" for d in decided.values()):
                return None
        return f"original shown: role sees {found.replace(',', ', ')} in clear"
