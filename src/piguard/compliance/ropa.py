"""The record of processing activities (ROPA, R-AUD-4), built from the catalog and live counts.

Per purpose: its legal basis, the PI categories and fields it processes (with class, sensitivity,
masking and retention), the data subjects (customers in the vault; for consent-based purposes,
those with an active consent), recipients and cross-border transfers (from the sharing register,
when it is installed: until then the record says so), the security measures (cipher suite, key
custody, masking) and the roles responsible. Counts and catalog names only: no customer value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from piguard.catalog import Catalog

SCHEMA = "piguard.ropa/1"


def _retention(catalog: Catalog, rule_name: str | None) -> dict[str, Any] | None:
    if rule_name is None or rule_name not in catalog.retention_rules:
        return None
    rule = catalog.retention_rules[rule_name]
    return {
        "rule": rule.name,
        "days": rule.duration_days,
        "years": rule.duration_years,
        "anchor": rule.anchor,
        "legal_floor_years": rule.legal_floor_years,
        "basis": rule.basis,
    }


def build_ropa(
    catalog: Catalog,
    *,
    organisation: str,
    generated_at: datetime,
    persons: int,
    population: Mapping[str, Any] | None,
    sharing: Mapping[str, Any] | None,
    settings: Mapping[str, Any],
    officer: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The ROPA as one JSON-ready document."""
    by_purpose = dict((population or {}).get("by_purpose", {}))
    partners = list((sharing or {}).get("partners", []))
    activities = []
    for name, purpose in sorted(catalog.purposes.items()):
        fields = []
        for rt_name, rt in sorted(catalog.record_types.items()):
            chosen = catalog.fields_for(name, rt_name)
            for fname in sorted(chosen):
                f = rt.fields[fname]
                rule = f.retention or rt.retention or catalog.classes[f.cls].default_retention
                fields.append(
                    {
                        "field": f"{rt_name}.{fname}",
                        "label": {"zh": f.label.zh, "en": f.label.en},
                        "category": f.category,
                        "class": f.cls,
                        "sensitive": f.sensitive,
                        "mask": f.mask,
                        "retention": _retention(catalog, rule),
                    }
                )
        consent_based = purpose.legal_basis in (None, "consent")
        subjects: dict[str, Any] = {"customers": persons}
        if consent_based:
            subjects["with_consent"] = by_purpose.get(name) if population is not None else None
        recipients: Any = (
            [p for p in partners if name in p.get("purposes", [])] if sharing is not None else "not_available"
        )
        activities.append(
            {
                "purpose": name,
                "description": {"zh": purpose.description.zh, "en": purpose.description.en},
                "legal_basis": purpose.legal_basis or "consent",
                "separate_consent_for": sorted(purpose.separate_consent_for),
                "automated_decision": purpose.automated_decision,
                "marketing": purpose.marketing,
                "categories": sorted({str(f["category"]) for f in fields}),
                "fields": fields,
                "data_subjects": subjects,
                "recipients": recipients,
                "cross_border": (
                    [p for p in recipients if p.get("cross_border")]
                    if isinstance(recipients, list)
                    else "not_available"
                ),
                "responsible_roles": sorted(r for r, role in catalog.roles.items() if name in role.purposes),
            }
        )
    return {
        "schema": SCHEMA,
        "organisation": organisation,
        "generated_at": generated_at.isoformat(),
        "catalog": {"name": catalog.name, "version": catalog.version, "industry": catalog.industry},
        "responsible": {
            "officer": dict(officer) if officer else None,
        },
        "security_measures": {
            "encryption": settings.get("suite"),
            "key_custody": settings.get("keyring"),
            "keys_apart_from_data": settings.get("keys_apart"),
            "masking": "by default, per field (see each field's mask)",
            "audit": "hash-chained, signed checkpoints",
        },
        "recipients_source": "sharing register" if sharing is not None else "not installed",
        "activities": activities,
    }
