"""The gate's SDK: the one module a capability package imports from piguard's core.

Like HashiCorp Vault's ``sdk/`` (backends compile against it, never against the core), this
is the whole surface a capability (consent, rights, retention, sharing, incidents,
compliance) builds on:

- :class:`Operation` to declare what it does, as data;
- :class:`Call` (what a handler receives: the context, ``call.view`` of the one customer,
  ``call.transaction()`` for its own tables, in which its audit entry commits, and
  ``call.note(...)`` for declared detail) and :class:`CustomerView`;
- :class:`Kernel`, the handle :meth:`Capability.bind` receives, whose ``run`` executes an
  operation through the pipeline;
- the plain data the gate speaks (:class:`RequestContext`, :class:`FieldView`,
  :class:`RecordRef`, :class:`Actor`), id helpers, the column type and error translation
  a capability's own tables use, a :class:`SecretBox` for the small secrets a capability keeps
  (sealed, bound to their row), :class:`SigningKey` / :class:`VerifyKey` for the records it signs
  (destruction records, with the audit key), :class:`Erasure` (what one erasure destroyed),
  :func:`system_context` for the jobs it runs, and
  :func:`mask_free_text` (the detector's masking of free text a capability stores where it cannot
  be erased, as notes are masked).

``tests/test_architecture.py`` fails if a capability package imports anything of piguard's
core except this module (and the leaves: catalog, errors, clock, calendar, validate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection

from piguard.crypto.secretbox import SecretBox
from piguard.crypto.signature import SigningKey, VerifyKey
from piguard.detect import mask_free_text
from piguard.gate.context import FieldView, RequestContext
from piguard.gate.operation import DetailKind, Operation, Subject
from piguard.principal import Actor
from piguard.store import Database as Storage
from piguard.store._engine import translate as translate_storage_error
from piguard.store.tables import UTCDateTime
from piguard.vault.ids import check_id, new_customer_id
from piguard.vault.model import RecordRef
from piguard.vault.vault import TxHook

if TYPE_CHECKING:
    from piguard.gate.call import Call
    from piguard.gate.kernel import Capability, Erasure
    from piguard.gate.kernel import Gate as Kernel
    from piguard.gate.principals import customer_context, system_context
    from piguard.gate.view import CustomerView



class Messenger(Protocol):
    """The outbox as another capability sees it: queue a message to a customer inside one's own
    transaction (capabilities never import each other; the installation hands this in)."""

    def has_channel(self, channel: str) -> bool: ...

    def enqueue(
        self,
        conn: Connection,
        customer_id: str,
        template: str,
        params: Mapping[str, str],
        *,
        channel: str,
        locale: str = "zh",
        reference: str | None = None,
    ) -> str: ...

    def status(self, reference: str) -> str | None:
        """The state of the newest message queued with ``reference`` (``pending``, ``sent``,
        ``failed``), or None: whether a notice the law requires has actually gone out."""
        ...


# The kernel's own types load on first use: the consent layer's leaf modules import this SDK
# (ids, column types) while the kernel imports the consent-aware row scope, and an eager import
# here would close that loop.
_LAZY = {
    "Call": ("piguard.gate.call", "Call"),
    "Capability": ("piguard.gate.kernel", "Capability"),
    "system_context": ("piguard.gate.principals", "system_context"),
    "customer_context": ("piguard.gate.principals", "customer_context"),
    "Kernel": ("piguard.gate.kernel", "Gate"),
    "Erasure": ("piguard.gate.kernel", "Erasure"),
    "CustomerView": ("piguard.gate.view", "CustomerView"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(name)
    import importlib

    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(module), attribute)


__all__ = [
    "Actor",
    "Call",
    "Capability",
    "CustomerView",
    "DetailKind",
    "Erasure",
    "FieldView",
    "Kernel",
    "Messenger",
    "Operation",
    "RecordRef",
    "RequestContext",
    "SecretBox",
    "SigningKey",
    "Storage",
    "Subject",
    "TxHook",
    "UTCDateTime",
    "VerifyKey",
    "check_id",
    "customer_context",
    "mask_free_text",
    "new_customer_id",
    "system_context",
    "translate_storage_error",
]
