"""Incidents: register, grading, reporting clocks, affected customers from the audit trail,
notices, containment and drills, as a capability on the gate (R-INC-1..7)."""

from piguard.incidents.capability import OPERATIONS, Incidents
from piguard.incidents.grading import Thresholds

__all__ = ["OPERATIONS", "Incidents", "Thresholds"]
