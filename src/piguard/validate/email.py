"""E-mail addresses: a syntax check, not a deliverability check.

Accepted: ``local@domain`` where the local part is a dot-atom (RFC 5322 atext,
plus non-ASCII letters as RFC 6532 allows) of at most 64 octets, and the domain
has at least two labels of letters, digits and inner hyphens, with a
non-numeric top-level label. Quoted local parts, comments and IP-literal
domains are refused: customers do not use them and they complicate masking.
The whole address is at most 254 octets (RFC 5321 path limit). The domain is
lowercased; the local part keeps its case (it is case-sensitive by the RFC).

Written by hand because the project carries no e-mail library and the rules
above are a few regexes.

>>> normalize("Zhang.San@Example.COM")
'Zhang.San@example.com'
"""

from __future__ import annotations

import re

from piguard.errors import ValidationError
from piguard.validate._clean import clean

__all__ = ["MAX_LENGTH", "is_valid", "normalize"]

#: RFC 5321: a forward path is at most 256 octets, including the angle brackets.
MAX_LENGTH = 254

# Non-ASCII is allowed from U+00A1 up; controls, surrogates and spaces were
# already refused by clean() and the whitespace check below.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u00a1-\U0010ffff]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?")
_SPACE = re.compile(r"\s")


def normalize(raw: str) -> str:
    """Return the address with its domain lowercased.

    :raises ValidationError: ``"too long"``, ``"contains whitespace"``,
        ``"must contain exactly one @"``, ``"invalid local part"`` or
        ``"invalid domain"``.
    """
    value = clean(raw, max_length=MAX_LENGTH)
    if len(value.encode("utf-8")) > MAX_LENGTH:
        raise ValidationError("too long")
    if _SPACE.search(value):
        raise ValidationError("contains whitespace")
    if value.count("@") != 1:
        raise ValidationError("must contain exactly one @")
    local, domain = value.split("@")
    if not local or len(local.encode("utf-8")) > 64 or not _LOCAL.fullmatch(local):
        raise ValidationError("invalid local part")
    domain = domain.lower()
    labels = domain.removesuffix(".").split(".")  # A trailing root dot is legal DNS.
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise ValidationError("invalid domain")
    return f"{local}@{'.'.join(labels)}"


def is_valid(raw: str) -> bool:
    """Return whether :func:`normalize` accepts ``raw``."""
    try:
        normalize(raw)
    except ValidationError:
        return False
    return True
