"""Principals that are not staff: system jobs and customers.

A scheduled job acts as ``system:<job>`` with the catalog's built-in ``system`` role; a
customer as ``customer:<customer id>`` with the built-in ``data_subject`` role, whose row scope
``own`` confines it to that customer. Both pass the same gate as staff: authorised against
their role, recorded under their own id.
"""

from __future__ import annotations

from piguard.catalog.vocabulary import DATA_SUBJECT_ROLE, SYSTEM_ROLE
from piguard.gate.context import RequestContext
from piguard.gate.guards import CUSTOMER_PRINCIPAL
from piguard.principal import Actor
from piguard.vault.ids import check_id


def system_actor(job: str, role: str = SYSTEM_ROLE) -> Actor:
    """The principal of scheduled job ``job`` (e.g. ``birthdays``), with a built-in system role."""
    return Actor(f"system:{check_id(job, 'job')}", role, kind="system", name=job)


def customer_actor(customer_id: str) -> Actor:
    """A customer acting on their own data (the privacy centre signs them in)."""
    return Actor(
        CUSTOMER_PRINCIPAL + check_id(customer_id, "customer_id"), DATA_SUBJECT_ROLE, kind="customer"
    )


def system_context(job: str, role: str = SYSTEM_ROLE, purpose: str = "") -> RequestContext:
    """The gate context of job ``job`` acting with ``role`` for ``purpose``."""
    return RequestContext(system_actor(job, role), purpose, client="job")


def customer_context(customer_id: str, purpose: str = "", *, client: str = "rights") -> RequestContext:
    """The gate context of a customer acting on their own data (a verified rights request, the
    privacy centre)."""
    return RequestContext(customer_actor(customer_id), purpose, client=client)
