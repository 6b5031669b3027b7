"""The tamper-evident audit trail (R-AUD-1, R-AUD-2), its monitoring rules and sinks.

- :class:`AuditLog` — the gate's recorder (:class:`~piguard.service.AccessRecorder`):
  hash-chained entries in the data database, committed with the data they describe
  (fail closed), signed checkpoints, verification, queries, export, archive and prune; a
  facade over :mod:`~piguard.audit.writer`, :mod:`~piguard.audit.monitor`,
  :mod:`~piguard.audit.reader` and :mod:`~piguard.audit.retention`, which share one
  :class:`~piguard.audit.context.TrailContext`.
- :func:`verify_file` — check an exported segment with only the public key.
- :mod:`piguard.audit.rules` — monitoring rules raising alerts (and freezing principals).
- :mod:`piguard.audit.sinks` — JSON Lines and RFC 5424 syslog copies for a SIEM.

**Invariant:** no customer value reaches the trail, its exports or its sinks: customer,
record and session ids are keyed references; ``detail`` is scrubbed against an allow-list.
"""

from __future__ import annotations

from typing import Any

from piguard.audit.alerts import Alert
from piguard.audit.entry import AuditEntry
from piguard.audit.export import verify_file
from piguard.audit.log import MIN_RETENTION_DAYS, AuditLog
from piguard.audit.rules import (
    AlertDraft,
    DisabledPrincipal,
    ExportSpike,
    FailedLogins,
    MassAccess,
    OffHours,
    Rule,
    SensitiveSubject,
    default_rules,
)
from piguard.audit.sinks import JsonLinesSink, Sink, SyslogSink
from piguard.audit.verify import Finding, VerifyReport


def audit_of(inst: Any) -> AuditLog:
    """The installation's audit log: ``inst.audit`` once the installation carries one,
    else one built from its database and keyring (freezing through ``inst.access``).
    A log built here belongs to the caller, who closes it."""
    existing = getattr(inst, "audit", None)
    if isinstance(existing, AuditLog):
        return existing
    freeze = getattr(getattr(inst, "access", None), "freeze_principal", None)
    return AuditLog(inst.db, inst.keyring, tenant=inst.settings.tenant, on_freeze=freeze)


__all__ = [
    "MIN_RETENTION_DAYS",
    "Alert",
    "AlertDraft",
    "AuditEntry",
    "AuditLog",
    "DisabledPrincipal",
    "ExportSpike",
    "FailedLogins",
    "Finding",
    "JsonLinesSink",
    "MassAccess",
    "OffHours",
    "Rule",
    "SensitiveSubject",
    "Sink",
    "SyslogSink",
    "VerifyReport",
    "audit_of",
    "default_rules",
    "verify_file",
]
