"""The ``email`` operator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.masking._text import MASK
from piguard.masking.basic import Redact
from piguard.masking.operator import Operator


class Email(Operator):
    """First character of the local part + ``***@`` + domain: ``z***@example.com``.

    The number of stars is fixed, so the local part's length does not show. A
    one-character local part is hidden entirely (``***@example.com``). A value
    that is not an address is redacted, since there is no domain to keep.
    """

    name: ClassVar[str] = "email"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        local, at, domain = value.rpartition("@")
        if not (at and local and _plausible_domain(domain)) or any(ch.isspace() for ch in local):
            return Redact.OUTPUT
        # A leading "*" is an already masked local part; keeping it would add a fourth star.
        head = local[0] if len(local) >= 2 and local[0] != MASK else ""
        return f"{head}***@{domain}"


def _plausible_domain(domain: str) -> bool:
    """A dotted name with no empty label and no whitespace; not a full RFC check."""
    labels = domain.split(".")
    return len(labels) >= 2 and all(labels) and not any(ch.isspace() for ch in domain)
