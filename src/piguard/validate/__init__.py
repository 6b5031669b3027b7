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

__all__ = ["check_options", "known_types", "normalize", "normalizer"]
