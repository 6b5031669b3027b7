"""What the compliance checks read of the rest of the installation, handed in by the installation.

Capabilities never import each other (``tests/test_architecture.py``), so each reading is a
callable wired in ``installation.py`` to the other capability's public API. Those that take the
caller's :class:`RequestContext` run that capability's own gate operation (``audit_verify``,
``retention_plan``, ``rights_list``, ``notice_list``...): a compliance run is audited step by
step under the names of what it read, and a caller who may not read something gets a failed
check naming the refusal, never a pass.

A reading left ``None`` means its capability is not installed: the checks that need it report
``not_available``. ``sharing`` and ``sharing_records`` are the sharing register's (partners and
the provisions' count for the checks; agreements, assessments and the transfer log for the
evidence bundle), wired by the installation from the sharing capability; their shapes are
documented on :class:`Sources`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from piguard.gate.sdk import RequestContext

Reading = Callable[[RequestContext], Any]


@dataclass(frozen=True)
class Sources:
    """The readings (see the module docstring); every one optional.

    :param audit_verify: verify the audit chain: ``{"ok": bool, "entries": int, "findings": [kind]}``.
    :param audit_retention_days: how long audit entries are kept (the setting).
    :param retention_plan: the lifecycle's plan as of today (``Lifecycle.plan``).
    :param overdue_requests: open rights requests past their due date, as case dicts.
    :param request_stats: rights cases counted by type and status, and their days to close.
    :param notices: published notices with their texts (``Notice.as_dict(texts=True)``).
    :param training: staff training records (``AccessControl.list_training``).
    :param staff: staff principals (id, role, status), no customer data.
    :param population: counts over every customer, from the consent ledger: ``{"under_14",
        "minors" (under 18), "without_guardian" (under 14 with a consent not given by a guardian),
        "by_purpose": {purpose: customers with an active consent for it}}``.
    :param destructions: destruction records' metadata (``Lifecycle.destructions``).
    :param alerts: monitoring alerts (kind, severity, time) for the report's pictures.
    :param sharing: the sharing register as the checks and the ROPA read it: ``{"partners": [{"id",
        "name", "active", "agreement_current": bool, "assessment_on_file": bool, "cross_border": bool,
        "mechanism": str | None, "purposes": [str]}], "provisions": int}`` (a count, not the log).
    :param sharing_records: the register's records for the evidence bundle: ``{"agreements": [...],
        "assessments": [...], "transfers": [...]}`` (metadata: ids, partners, purposes, field names,
        counts, dates, hashes; never a customer).
    :param incidents: the incident register's evidence (``Incidents.evidence``): per incident its
        status, grade, persons and minors, PI types' count, the register items filled (names only),
        reports sent, clocks' states and notices by kind; the plan's version, the newest drill, the
        clock profile.
    :param settings: installation facts: ``organisation``, ``suite``, ``keyring``,
        ``keys_apart`` (the key store is apart from the data), ``localisation``.
    """

    audit_verify: Reading | None = None
    audit_retention_days: int | None = None
    retention_plan: Reading | None = None
    overdue_requests: Reading | None = None
    request_stats: Reading | None = None
    notices: Reading | None = None
    training: Reading | None = None
    staff: Reading | None = None
    population: Reading | None = None
    destructions: Reading | None = None
    alerts: Reading | None = None
    sharing: Reading | None = None
    sharing_records: Reading | None = None
    incidents: Reading | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    def memoised(self) -> Sources:
        """A copy whose readings each run once and then answer from memory: one compliance
        operation reads each capability once, however many checks look (the next operation
        reads afresh)."""
        values: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            values[name] = _once(value) if callable(value) else value
        return Sources(**values)


def _once(reading: Reading) -> Reading:
    memo: dict[str, Any] = {}

    def read(ctx: RequestContext) -> Any:
        if "value" not in memo:
            memo["value"] = reading(ctx)
        return memo["value"]

    return read
