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
  be erased, as notes are masked);
- :class:`TrailReader`, the audit trail as a capability reads it back (the incident capability's
  affected-customer scope): the entries of one window that touched customers, after the chain
  over that window is verified, as :class:`TrailTouch` and :class:`TrailWindow` (keyed customer
  references only). The installation hands the audit log in; capabilities never import
  ``piguard.audit``.

``tests/test_architecture.py`` fails if a capability package imports anything of piguard's
core except this module (and the leaves: catalog, errors, clock, calendar, validate).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
    """The outbox as another capability sees it: queue a message to a customer (or, rarely, to an
    organisation's address) inside one's own transaction (capabilities never import each other;
    the installation hands this in)."""

    def has_channel(self, channel: str) -> bool: ...

    def address_problem(self, channel: str, address: str) -> str | None:
        """Why ``address`` cannot be an organisation's address on ``channel``, or None."""
        ...

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
        to_field: str | None = None,
    ) -> str: ...

    def guardian_channels(self) -> list[str]:
        """Configured channels that reach a child's guardian at the guardian's own address (a
        ``guardian_*`` contact field of the catalog), best first; empty when none does."""
        ...

    def enqueue_to(
        self,
        conn: Connection,
        address: str,
        template: str,
        params: Mapping[str, str],
        *,
        channel: str,
        locale: str = "zh",
        reference: str | None = None,
    ) -> str:
        """Queue a message to an organisation's address (a partner's contact), not a customer."""
        ...

    def status(self, reference: str) -> str | None:
        """The state of the newest message queued with ``reference`` (``pending``, ``sent``,
        ``failed``), or None: whether a notice the law requires has actually gone out."""
        ...


@dataclass(frozen=True, slots=True)
class TrailTouch:
    """One allowed audit entry about a customer: who, through which client, which operation, the
    customer's keyed reference (never the id), the record type, the fields and the level of each
    (``clear``/``masked`` as decided, when the entry recorded levels)."""

    seq: int
    time: str
    actor_id: str
    client: str
    action: str
    customer_ref: str
    record_type: str
    fields: tuple[str, ...]
    levels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class TrailWindow:
    """The part of the chain a read-back covered and what its verification found: ``verified`` is
    false when any link, hash or MAC in the window (or its signed checkpoints) failed;
    ``findings`` names the first bad entry of each kind."""

    first_seq: int | None
    last_seq: int | None
    entries: int
    verified: bool
    findings: list[dict[str, Any]] = field(default_factory=list)


class TrailReader(Protocol):
    """The audit trail as a capability reads it (the installation hands in the audit log)."""

    def customer_ref(self, customer_id: str) -> str: ...

    def alert(self, alert_id: str) -> Mapping[str, Any] | None:
        """A monitoring alert's evidence (rule, severity, principal, time, the entries it rests on
        by sequence number), or ``None``: no such alert."""
        ...

    def touches(
        self,
        *,
        actors: Collection[str] = (),
        clients: Collection[str] = (),
        actions: Collection[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[TrailTouch], TrailWindow]:
        """Verify the chain over the window ``[since, until)``, then return its allowed entries
        about a customer by any of ``actors`` / ``clients`` under any of ``actions`` (operation
        names); an empty collection matches all."""
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
    "TrailReader",
    "TrailTouch",
    "TrailWindow",
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
