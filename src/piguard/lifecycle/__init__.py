"""The customer data life cycle, a capability on the gate kernel: legal holds today (R-DST-2);
retention that executes, destruction records and backups are to come (issue 14)."""

from piguard.lifecycle.capability import OPERATIONS, Lifecycle
from piguard.lifecycle.model import Hold

__all__ = ["OPERATIONS", "Hold", "Lifecycle"]
