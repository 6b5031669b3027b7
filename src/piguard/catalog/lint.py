"""PIPL lint: policy findings on a loaded catalog, each tied to a requirement ID.

:func:`lint` never raises on a catalog that loaded; it reports. ``error``
findings are rules the law or the requirements make mandatory (the CLI exits
non-zero on them); ``warning`` findings are advice.

========================================  =========  =======
check                                     rule       level
========================================  =========  =======
sensitive-without-separate-consent        R-COL-4    error
marketing-uses-sensitive                  R-COL-4    error
marketing-without-consent                 R-COL-9    warning
no-legal-basis                            R-COL-1    error
field-without-purpose                     R-COL-3    error
pipl-sensitive-category                   R-CLS-1    error
sensitive-not-encrypted                   R-STO-1    error
biometric-not-template                    R-STO-2    warning
biometric-beside-identity                 R-STO-2    warning
c3-exposed                                R-STO-3    error
retention-missing                         R-STO-5    error
retention-below-floor                     R-STO-5    error
retention-anchor-undated                  R-STO-5    error
clear-sensitive-without-totp              R-USE-2    error
approver-without-approvees                R-USE-2    warning
export-without-quota                      R-USE-3    error
administrator-sees-clear                  R-USE-1    warning
clear-everything                          R-USE-1    warning
mask-reveals-value                        R-USE-1    error
========================================  =========  =======
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from piguard import masking
from piguard.catalog.models import Catalog, Field
from piguard.catalog.selectors import parse_selector
from piguard.catalog.vocabulary import (
    BIOMETRIC_TEMPLATE_TYPES,
    C3_MASKS,
    DATA_SUBJECT_ROLE,
    PIPL_SENSITIVE_CATEGORIES,
)
from piguard.errors import ValidationError

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint finding.

    :param severity: ``error`` or ``warning``.
    :param path: dotted path inside the catalog.
    :param rule_id: the requirement it enforces, e.g. ``R-COL-4``.
    :param message: what is wrong and how to fix it.
    :param check: the check's short name (see the table in this module).
    """

    severity: Severity
    path: str
    rule_id: str
    message: str
    check: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message} [{self.rule_id} {self.check}]"


_Check = Callable[[Catalog], Iterator[Finding]]


def _field_path(record_type: str, field: Field) -> str:
    return f"record_types.{record_type}.fields.{field.name}"


def _covered(catalog: Catalog, purpose: str) -> list[tuple[str, Field]]:
    return [(rt, f) for rt, f in catalog.iter_fields() if purpose in f.purposes]


def _sensitive_consent(catalog: Catalog) -> Iterator[Finding]:
    for name, purpose in catalog.purposes.items():
        if purpose.legal_basis != "consent" or purpose.marketing:
            continue  # Marketing purposes have their own check below.
        if "sensitive" in purpose.separate_consent_for:
            continue
        sensitive = [f"{rt}.{f.name}" for rt, f in _covered(catalog, name) if f.sensitive]
        if sensitive:
            yield Finding(
                "error",
                f"purposes.{name}.separate_consent_for",
                "R-COL-4",
                f"purpose rests on consent and covers sensitive fields {', '.join(sensitive)}; "
                "add 'sensitive' to separate_consent_for (PIPL 29)",
                "sensitive-without-separate-consent",
            )


def _marketing_sensitive(catalog: Catalog) -> Iterator[Finding]:
    for name, purpose in catalog.purposes.items():
        if not purpose.marketing or "sensitive" in purpose.separate_consent_for:
            continue
        sensitive = [f"{rt}.{f.name}" for rt, f in _covered(catalog, name) if f.sensitive]
        if sensitive:
            yield Finding(
                "error",
                f"purposes.{name}.fields",
                "R-COL-4",
                f"marketing purpose uses sensitive fields {', '.join(sensitive)} without separate consent; "
                "drop them or add 'sensitive' to separate_consent_for",
                "marketing-uses-sensitive",
            )


def _marketing_basis(catalog: Catalog) -> Iterator[Finding]:
    for name, purpose in catalog.purposes.items():
        if purpose.marketing and purpose.legal_basis not in (None, "consent"):
            yield Finding(
                "warning",
                f"purposes.{name}.legal_basis",
                "R-COL-9",
                f"marketing rests on {purpose.legal_basis!r}; marketing is normally consent-based "
                "with an easy opt-out (PIPL 24)",
                "marketing-without-consent",
            )


def _legal_basis(catalog: Catalog) -> Iterator[Finding]:
    for name, purpose in catalog.purposes.items():
        if purpose.legal_basis is None:
            yield Finding(
                "error",
                f"purposes.{name}",
                "R-COL-1",
                "purpose has no legal_basis; no PI may be written under it (PIPL 13)",
                "no-legal-basis",
            )


def _uncovered(catalog: Catalog) -> Iterator[Finding]:
    ancillary = {name for name, p in catalog.purposes.items() if p.ancillary}
    for rt, field in catalog.iter_fields():
        if not field.purposes - ancillary:
            yield Finding(
                "error",
                _field_path(rt, field),
                "R-COL-3",
                "no purpose covers this field, so it may not be collected (minimisation); "
                "add it to a purpose or remove it",
                "field-without-purpose",
            )


def _pipl_sensitive(catalog: Catalog) -> Iterator[Finding]:
    for name, category in catalog.categories.items():
        if name in PIPL_SENSITIVE_CATEGORIES and not category.sensitive_by_default:
            yield Finding(
                "error",
                f"categories.{name}.sensitive_by_default",
                "R-CLS-1",
                f"category {name!r} is sensitive PI under PIPL 28; it cannot default to non-sensitive",
                "pipl-sensitive-category",
            )
    for rt, field in catalog.iter_fields():
        if field.category in PIPL_SENSITIVE_CATEGORIES and not field.sensitive:
            yield Finding(
                "error",
                f"{_field_path(rt, field)}.sensitive",
                "R-CLS-1",
                f"a {field.category!r} field is sensitive PI under PIPL 28; remove sensitive: false",
                "pipl-sensitive-category",
            )


def _encryption(catalog: Catalog) -> Iterator[Finding]:
    for name, policy in catalog.classes.items():
        if not policy.encrypt and name != "C1":
            yield Finding(
                "error",
                f"classes.{name}.encrypt",
                "R-STO-1",
                f"{name} data must be encrypted at rest",
                "sensitive-not-encrypted",
            )
    for rt, field in catalog.iter_fields():
        if field.sensitive and field.cls == "C1" and not catalog.classes["C1"].encrypt:
            yield Finding(
                "error",
                _field_path(rt, field),
                "R-STO-1",
                "sensitive field in class C1, which is not encrypted; move it to C2 or C3",
                "sensitive-not-encrypted",
            )


def _biometrics(catalog: Catalog) -> Iterator[Finding]:
    for rt, field in catalog.iter_fields():
        if field.category != "biometric":
            continue
        if field.type not in BIOMETRIC_TEMPLATE_TYPES:
            yield Finding(
                "warning",
                f"{_field_path(rt, field)}.type",
                "R-STO-2",
                f"biometric field has type {field.type!r}; keep a template or digest, never the raw sample",
                "biometric-not-template",
            )
        siblings = catalog.record_types[rt].fields.values()
        if any(other.category == "identity" for other in siblings):
            yield Finding(
                "warning",
                _field_path(rt, field),
                "R-STO-2",
                f"biometric field lives in record type {rt!r} beside identity fields; store it apart",
                "biometric-beside-identity",
            )


def _c3(catalog: Catalog) -> Iterator[Finding]:
    c3 = [(rt, f) for rt, f in catalog.iter_fields() if f.cls == "C3"]
    for rt, field in c3:
        if field.mask not in C3_MASKS:
            yield Finding(
                "error",
                f"{_field_path(rt, field)}.mask",
                "R-STO-3",
                f"C3 field masked with {field.mask!r}; use 'never' or 'redact'",
                "c3-exposed",
            )
    for role in catalog.roles.values():
        for rt, field in c3:
            decision = role.level_for(field, rt)
            if decision.level == "deny" or decision.mask in C3_MASKS:
                continue
            shown = "in clear" if decision.level == "clear" else f"with mask {decision.mask!r}"
            yield Finding(
                "error",
                decision.rule.split(" ", 1)[0],
                "R-STO-3",
                f"role {role.name!r} sees C3 field {rt}.{field.name} {shown}; C3 is never shown",
                "c3-exposed",
            )


def _retention_missing(catalog: Catalog) -> Iterator[Finding]:
    for rt, field in catalog.iter_fields():
        if field.retention is None:
            yield Finding(
                "error",
                _field_path(rt, field),
                "R-STO-5",
                "no retention rule: set retention on the field, its record type or its class",
                "retention-missing",
            )


def _retention_floor(catalog: Catalog) -> Iterator[Finding]:
    for name, own in catalog.retention_rules.items():
        if own.legal_floor_years is not None and own.approx_days < own.legal_floor_years * 365:
            yield Finding(
                "error",
                f"retention_rules.{name}",
                "R-STO-5",
                f"keeps data for less than its own legal floor of {own.legal_floor_years} years",
                "retention-below-floor",
            )
    for name, purpose in catalog.purposes.items():
        floor = purpose.retention_floor_years
        if floor is None:
            continue
        for rt, field in _covered(catalog, name):
            rule = catalog.retention_for(field)
            if rule is not None and rule.approx_days < floor * 365:
                yield Finding(
                    "error",
                    f"{_field_path(rt, field)}.retention",
                    "R-STO-5",
                    f"retention {rule.name!r} is shorter than the {floor}-year floor of purpose {name!r}",
                    "retention-below-floor",
                )


def _retention_anchor(catalog: Catalog) -> Iterator[Finding]:
    """A rule counted from a date the record type never has cannot be executed: a transaction date
    on a record type that is no transaction, or a purpose's fulfilment for a field no purpose of
    its own collects (only ancillary ones use it)."""
    for rt, field in catalog.iter_fields():
        rule = catalog.retention_for(field)
        if rule is None:
            continue
        if rule.anchor == "transaction_completed" and catalog.record_types[rt].transaction_date is None:
            yield Finding(
                "error",
                f"{_field_path(rt, field)}.retention",
                "R-STO-5",
                f"retention {rule.name!r} counts from the transaction's completion, but record type "
                f"{rt!r} has no transaction date: set its transaction_date, or anchor the rule on "
                "last_activity or relationship_end",
                "retention-anchor-undated",
            )
        elif rule.anchor == "purpose_fulfilled" and not any(
            not catalog.purposes[p].ancillary for p in field.purposes if p in catalog.purposes
        ):
            yield Finding(
                "error",
                f"{_field_path(rt, field)}.retention",
                "R-STO-5",
                f"retention {rule.name!r} counts from the fulfilment of the purposes that collected "
                f"the field, but no purpose collects {rt}.{field.name}",
                "retention-anchor-undated",
            )


def _totp(catalog: Catalog) -> Iterator[Finding]:
    for name, role in catalog.roles.items():
        if role.requires_totp:
            continue
        for rt, field in catalog.iter_fields():
            if (field.sensitive or field.cls == "C3") and role.level_for(field, rt).level == "clear":
                yield Finding(
                    "error",
                    f"roles.{name}.requires_totp",
                    "R-USE-2",
                    f"role sees sensitive field {rt}.{field.name} in clear; require TOTP",
                    "clear-sensitive-without-totp",
                )
                break


def _approvers(catalog: Catalog) -> Iterator[Finding]:
    for name, role in catalog.roles.items():
        if ("approve" in role.actions) != bool(role.can_approve):
            yield Finding(
                "warning",
                f"roles.{name}.can_approve",
                "R-USE-2",
                "a role with the approve action needs can_approve, and can_approve needs the approve action",
                "approver-without-approvees",
            )


def _export_quota(catalog: Catalog) -> Iterator[Finding]:
    for name, role in catalog.roles.items():
        if "export" in role.actions and role.quotas.max_export_rows is None:
            yield Finding(
                "error",
                f"roles.{name}.quotas",
                "R-USE-3",
                "role may export but has no max_export_rows quota",
                "export-without-quota",
            )


def _administrators(catalog: Catalog) -> Iterator[Finding]:
    for name, role in catalog.roles.items():
        if "administer" not in role.actions:
            continue
        fields = catalog.iter_fields()
        clear = [f"{rt}.{f.name}" for rt, f in fields if role.level_for(f, rt).level == "clear"]
        if clear:
            yield Finding(
                "warning",
                f"roles.{name}.access",
                "R-USE-1",
                f"an administering role sees customer fields in clear ({', '.join(clear[:5])}); "
                "keep administration and data access apart",
                "administrator-sees-clear",
            )


def _clear_everything(catalog: Catalog) -> Iterator[Finding]:
    for name, role in catalog.roles.items():
        if name == DATA_SUBJECT_ROLE:
            continue  # a customer's own copy is everything of theirs (PIPL 45); staff get least privilege
        for index, rule in enumerate(role.access):
            if parse_selector(rule.selector).kind == "any" and rule.level == "clear":
                yield Finding(
                    "warning",
                    f"roles.{name}.access.{index}",
                    "R-USE-1",
                    "'*: clear' defeats least privilege; grant fields or categories",
                    "clear-everything",
                )


#: Dates a date-like field's mask is tried with: a mask that shows them unchanged hides nothing.
_DATE_SAMPLES = ("2024-05-17", "2024-05-17T09:30:00+08:00")


def _reveals(field: Field, rule: str, params: Mapping[str, Any]) -> bool:
    """Whether masking ``field`` with ``rule`` still tells the value.

    An enum has few values: a mask reveals one when its output is unique among the values'
    outputs (``keep`` keeps the length, so ``****`` is gold and ``******`` silver). A date is
    revealed when the mask returns it unchanged. ``clear`` reveals everything.

    :raises ValidationError: a rule that needs run-time parameters (``hash``).
    """
    if rule in masking.IDENTITY:
        return True
    if field.type == "enum":
        values = [str(v) for v in field.type_options.get("values", ())]
        outs = [masking.apply_mask(rule, v, **params) for v in values]
        if len(values) == 1:
            return outs[0] == values[0]
        return any(outs.count(o) == 1 for o in outs)
    if "date" in field.type:
        return any(masking.apply_mask(rule, d, **params) == d for d in _DATE_SAMPLES)
    return False


def _mask_reveals(catalog: Catalog) -> Iterator[Finding]:
    # A "masked" level whose mask still tells the value (``clear``; ``keep`` on an enum, whose
    # lengths differ) is a masked badge over the clear value. The gate redacts values a mask
    # would return unchanged, but the catalog must say what it means.
    for role in catalog.roles.values():
        for rt, field in catalog.iter_fields():
            access = role.level_for(field, rt)
            if access.level != "masked" or field.cls == "C3":
                continue
            try:
                shows = _reveals(field, access.mask, access.mask_options)
            except ValidationError:  # a rule needing run-time parameters (hash): not judged here
                continue
            if shows:
                yield Finding(
                    "error",
                    access.rule.split(" ", 1)[0],
                    "R-USE-1",
                    f"role {role.name!r} sees {rt}.{field.name} 'masked' with mask {access.mask!r}, "
                    "which still tells the value; use a mask that hides it (redact, date ...) "
                    "or say level: clear",
                    "mask-reveals-value",
                )


CHECKS: tuple[_Check, ...] = (
    _sensitive_consent,
    _marketing_sensitive,
    _marketing_basis,
    _legal_basis,
    _uncovered,
    _pipl_sensitive,
    _encryption,
    _biometrics,
    _c3,
    _retention_missing,
    _retention_floor,
    _retention_anchor,
    _totp,
    _approvers,
    _export_quota,
    _administrators,
    _clear_everything,
    _mask_reveals,
)


def lint(catalog: Catalog) -> list[Finding]:
    """Run every check on ``catalog``.

    :returns: the findings, errors first, each group in catalog order.
    """
    findings = [finding for check in CHECKS for finding in check(catalog)]
    return sorted(findings, key=lambda f: f.severity != "error")
