"""Validation and normalization of personal-information values (R-VAL-1).

One module per kind (:mod:`.resident_id`, :mod:`.mobile`, :mod:`.landline`,
:mod:`.bank_card`, :mod:`.email`, :mod:`.uscc`, :mod:`.passport`,
:mod:`.scalars`), reached by name through :func:`normalize`.

**Invariant:** every kind returns a canonical string or raises
:class:`piguard.errors.ValidationError` whose reason never contains the value.
Every kind rejects NUL, lone surrogates and control characters, and strips
surrounding whitespace; number kinds fold full-width digits to ASCII.

**Boundary:** a leaf; imports only :mod:`piguard.errors`, stdnum and phonenumbers.

>>> normalize("mobile", "+86 138 0013 8000")
'13800138000'
>>> normalize("resident_id", "11010519491231002x")
'11010519491231002X'
"""

from __future__ import annotations

from piguard.validate._registry import check_options, known_types, normalize, normalizer
from piguard.validate.scalars import name_match_key

__all__ = ["check_options", "known_types", "match_key", "normalize", "normalizer"]


def match_key(type_name: str, value: str) -> str:
    """The form of a *normalised* value that exact search compares (blind index and the check
    after decryption): names fold middle dots, full-width forms and case
    (:func:`~piguard.validate.scalars.name_match_key`); every other kind's normal form already is
    its key. Changing this changes the index: existing homes run ``piguard reindex``.
    """
    return name_match_key(value) if type_name == "name" else value
