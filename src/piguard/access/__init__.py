"""Least-privilege access: principals, authentication, decisions, grants, quotas, training.

- :mod:`~piguard.access.decision` – static per-field decisions from the catalog (:class:`Policy`).
- :mod:`~piguard.access.control` – :class:`AccessControl`: the facade the edges and the gate use,
  over its parts:
  - :mod:`~piguard.access.authentication` – tokens, login with TOTP, lockout, step-up, logout;
  - :mod:`~piguard.access.principals` – users and API clients created, disabled, unlocked, frozen;
  - :mod:`~piguard.access.approvals` – grant decisions and who sees which grants;
  - :mod:`~piguard.access.directory` – read-only lookups: principals, ``whoami``, training;
  - :mod:`~piguard.access.context` – the settings, books and recording they share.
- :mod:`~piguard.access.grants` – just-in-time clear-access and export grants (R-USE-2, R-USE-3).
- :mod:`~piguard.access.quotas` – distinct customers per hour and result sizes (R-USE-3).
- :mod:`~piguard.access.training` – training and confidentiality records (R-TRN-1).
- :mod:`~piguard.access.scope` – row scopes (``active_stay``).
- :mod:`~piguard.access.events` – :class:`AccessEvent` and the recorder protocol.

**Invariant:** nothing here reads customer data; the gate (:mod:`piguard.service`) combines
these answers with the vault.
"""

from piguard.access.control import AccessControl, Login, role_needs_totp
from piguard.access.decision import ACTIONS, BOOTSTRAP_ROLE, Decision, Policy
from piguard.access.events import AccessEvent, AccessRecorder, MemoryRecorder
from piguard.access.grants import Grant, GrantBook
from piguard.access.quotas import QuotaMeter
from piguard.access.training import TrainingBook, TrainingStatus

__all__ = [
    "ACTIONS",
    "BOOTSTRAP_ROLE",
    "AccessControl",
    "AccessEvent",
    "AccessRecorder",
    "Decision",
    "Grant",
    "GrantBook",
    "Login",
    "MemoryRecorder",
    "Policy",
    "QuotaMeter",
    "TrainingBook",
    "TrainingStatus",
    "role_needs_totp",
]
