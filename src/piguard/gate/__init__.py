"""The gate: the only way in to customer data (see :mod:`piguard.gate.kernel`).

- :mod:`~piguard.gate.kernel`: ``Gate.run`` - authorise, resolve, guard, handle, record;
- :mod:`~piguard.gate.operation`: operations declared as data and their registry;
- :mod:`~piguard.gate.guards`: row scope, consent, quota (and capability-contributed guards);
- :mod:`~piguard.gate.decide`: per-field decisions;
- :mod:`~piguard.gate.records`: the vault's own operations;
- :mod:`~piguard.gate.view`: the customer view a capability's handler gets;
- :mod:`~piguard.gate.sdk`: the only module capability packages import.
"""

from piguard.gate.call import AuditUnrecorded, Call
from piguard.gate.context import FieldView, RequestContext
from piguard.gate.kernel import Gate
from piguard.gate.operation import Operation, Registry

__all__ = ["AuditUnrecorded", "Call", "FieldView", "Gate", "Operation", "Registry", "RequestContext"]
