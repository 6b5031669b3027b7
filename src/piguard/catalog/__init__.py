"""The catalog: one YAML file that declares every customer field and rule.

Fields carry a category, a sensitivity class, a value type, a mask, a retention
rule and the purposes that may use them; purposes carry a legal basis; roles
carry actions, quotas and field access rules. Everything else in piguard looks
its rules up here (R-CLS-3) and never hard-codes them per field.

**Invariant:** a :class:`Catalog` returned by :func:`load_catalog` has every
reference resolved (fields, purposes, roles, retention rules, value types of
:mod:`piguard.validate`, masks of :mod:`piguard.masking`) and no role that can
see C3 data in clear.

**Boundary:** imports :mod:`piguard.errors`, pydantic and PyYAML; loading
calls :mod:`piguard.validate` and :mod:`piguard.masking` to check names.

>>> catalog = load_catalog(default_catalog_path())
>>> sorted(catalog.purposes_for("customer", "mobile"))[:3]
['aml_kyc', 'customer_support', 'marketing']
"""

from __future__ import annotations

from piguard.catalog.lint import Finding, lint
from piguard.catalog.loader import (
    available_profiles,
    default_catalog_path,
    load_catalog,
    load_catalog_text,
    profile_path,
)
from piguard.catalog.models import (
    AccessRule,
    Catalog,
    CategoryPolicy,
    ClassPolicy,
    Field,
    FieldAccess,
    Label,
    Purpose,
    Quotas,
    RecordType,
    RetentionRule,
    Role,
)
from piguard.catalog.references import check_references
from piguard.catalog.selectors import Selector, parse_selector

__all__ = [
    "AccessRule",
    "Catalog",
    "CategoryPolicy",
    "ClassPolicy",
    "Field",
    "FieldAccess",
    "Finding",
    "Label",
    "Purpose",
    "Quotas",
    "RecordType",
    "RetentionRule",
    "Role",
    "Selector",
    "available_profiles",
    "check_references",
    "default_catalog_path",
    "lint",
    "load_catalog",
    "load_catalog_text",
    "parse_selector",
    "profile_path",
]
