"""The probe step: an exact-match answer about a field the caller sees only masked is a read of it.

Every operation that answers whether a stated value equals a stored one (``search``, ``match``,
and a capability's :meth:`~piguard.gate.view.CustomerView.matches`) calls :meth:`ProbeStep.charge`
once it knows the answer and before it returns it. For a field the caller does not see in clear
the answer costs a probe of ``record_type.field`` (:class:`~piguard.access.probes.ProbeBudget`,
hit or miss); a spent budget refuses with :class:`~piguard.errors.QuotaExceeded` naming the field,
and the answer is never returned. The call's audit entry says whether it was a probe, whether it
missed, the misses on that field this hour and, past the thresholds, the flags the monitoring
rules ``masked_probing`` (alert) and ``masked_enumeration`` (freeze) act on. No value, ever.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from piguard.access.probes import ProbeBudget
from piguard.gate.operation import DetailKind

if TYPE_CHECKING:
    from piguard.gate.call import Call

#: Detail keys the step adds, with their kinds (operations that probe declare them).
PROBE_DETAIL: dict[str, DetailKind] = {
    "probe": "bool",
    "misses": "int",
    "probe_misses": "int",
    "flags": "flags",
}
#: The flag on an entry whose caller passed ``probe_alert_misses`` on the probed field.
PROBE_ALERT = "probe_alert"
#: The flag on an entry whose caller passed ``probe_freeze_misses``.
PROBE_FREEZE = "probe_freeze"


class ProbeStep:
    """Charges exact-match answers on masked fields to the caller's probe budget."""

    def __init__(self, budget: ProbeBudget) -> None:
        self.budget = budget

    def check(self, call: Call, record_type: str, field_name: str, *, clear: bool) -> None:
        """Refuse before any work if the caller's budget on the field is already spent.

        :raises QuotaExceeded: naming the field.
        """
        if not clear:
            self.budget.check(call.ctx.actor, f"{record_type}.{field_name}")

    def charge(self, call: Call, record_type: str, field_name: str, *, clear: bool, hit: bool) -> None:
        """Charge one answer (``hit``: it matched) about ``record_type.field_name``.

        :param clear: the caller sees the field in clear (then it is an ordinary lookup).
        :raises QuotaExceeded: the probe budget for the field is spent (the answer must not be given).
        """
        detail: dict[str, Any] = {"probe": not clear, "misses": 0 if hit else 1}
        if not clear:
            tally = self.budget.charge(call.ctx.actor, f"{record_type}.{field_name}", hit=hit)
            detail["probe_misses"] = tally.misses
            flags = [PROBE_ALERT] * tally.alert + [PROBE_FREEZE] * tally.freeze
            if flags:
                detail["flags"] = flags
        # A capability's own operation declares what it records; the step adds only that.
        call.note(**{k: v for k, v in detail.items() if k in call.op.detail})
