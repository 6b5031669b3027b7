"""Compliance evidence, a capability on the gate kernel: governance records (the PI officer,
versioned policies, compliance audits and their schedule), live checks tied to requirement IDs,
the record of processing activities, and the signed compliance report and evidence bundle."""

from piguard.compliance.capability import FORMATS, OPERATIONS, Compliance
from piguard.compliance.signing import verify
from piguard.compliance.sources import Sources

__all__ = ["FORMATS", "OPERATIONS", "Compliance", "Sources", "verify"]
