"""Partners, agreements, impact assessments and governed transfers, a capability on the gate
kernel (issue 15): the one way customer data leaves piguard for another organisation."""

from piguard.sharing.capability import OPERATIONS, Sharing
from piguard.sharing.model import Agreement, Assessment, ExtractResult, Partner, ShareResult

__all__ = ["OPERATIONS", "Agreement", "Assessment", "ExtractResult", "Partner", "ShareResult", "Sharing"]
