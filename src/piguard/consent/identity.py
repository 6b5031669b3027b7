"""Guardian identity references: a keyed digest of the guardian's ID number, never the number.

The digest is an HMAC-SHA-256 under an installation key (derive it from the keyring's
``index_root`` with :func:`identity_key_from`), so the ledger can tell that two
consents came from the same guardian and a verifier holding the ID card can confirm
a match, while the ledger alone reveals nothing: a plain hash of an 18-digit ID
number with a known structure could be reversed by enumeration.
"""

from __future__ import annotations

import hashlib
import hmac

from piguard import validate
from piguard.consent.model import GUARDIAN_RELATIONS, Guardian
from piguard.errors import ConfigError, ValidationError

_LABEL = b"piguard/consent/guardian-identity/v1"
PREFIX = "gid1:"


def identity_key_from(index_root: bytes) -> bytes:
    """Derive the guardian-reference key from the installation's index root key."""
    return hmac.new(index_root, _LABEL, hashlib.sha256).digest()


def guardian_ref(key: bytes | None, id_type: str, id_number: str) -> str:
    """The reference stored for a guardian's identity document.

    :param id_type: a value type of :mod:`piguard.validate` (``resident_id``, ``passport``).
    :raises ValidationError: the number is invalid for its type (reason only, no value).
    :raises ConfigError: no identity key was configured.
    """
    if key is None:
        raise ConfigError("no guardian identity key configured: pass identity_key to ConsentLedger")
    normalized = validate.normalize(id_type, id_number)
    mac = hmac.new(key, f"{id_type}\x00{normalized}".encode(), hashlib.sha256).hexdigest()
    return PREFIX + mac[:40]


def guardian(key: bytes | None, relationship: str, id_number: str, id_type: str = "resident_id") -> Guardian:
    """A guardian from the guardian's ID number: the relationship checked, the number turned
    into a reference under ``key`` (:func:`guardian_ref`) and not kept.

    :raises ValidationError: unknown relationship or invalid ID number, naming the field.
    :raises ConfigError: no identity key was configured.
    """
    if relationship not in GUARDIAN_RELATIONS:
        raise ValidationError(f"must be one of {', '.join(GUARDIAN_RELATIONS)}", "guardian_relationship")
    try:
        ref = guardian_ref(key, id_type, id_number)
    except ValidationError as exc:
        raise exc.for_field("guardian_id_number") from None
    return Guardian(relationship, ref)
