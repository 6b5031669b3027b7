"""Data-subject rights: requests and complaints as tracked cases with a deadline clock (PIPL 44-50).

:class:`~piguard.rights.capability.Rights` is the capability mounted on the gate;
:mod:`piguard.rights.deadline` is the clock; :mod:`piguard.rights.model` the case.
"""

from piguard.rights.capability import OPERATIONS, Rights

__all__ = ["OPERATIONS", "Rights"]
