"""Load-time checks of the references between catalog sections.

A catalog that passes these is internally consistent: every name it uses
exists, every value type and mask is one piguard implements with options it
accepts, and no role can see authentication-grade (C3) data in clear or
sensitive data in clear without a second factor. Policy advice that does not
make the catalog unusable is :func:`piguard.catalog.lint`'s job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from piguard.catalog.models import Catalog, Field, Role
from piguard.catalog.selectors import parse_selector
from piguard.errors import CatalogError, Error


def _check_type(file: str, path: str, field: Field) -> None:
    # Imported here: the catalog must stay importable while piguard.validate is
    # being built, and only loading needs it.
    from piguard.validate import check_options, known_types

    if field.type not in known_types():
        known = ", ".join(sorted(known_types()))
        raise CatalogError(file, f"{path}.type", f"unknown value type {field.type!r}; known: {known}")
    try:
        check_options(field.type, field.type_options)
    except (Error, ValueError, TypeError) as exc:
        raise CatalogError(file, f"{path}.type_options", str(exc)) from None


def _check_mask(file: str, path: str, rule: str, options: Mapping[str, Any], options_key: str) -> None:
    from piguard.masking import check_params, known_rules

    if rule not in known_rules():
        known = ", ".join(sorted(known_rules()))
        raise CatalogError(file, path, f"unknown mask {rule!r}; known: {known}")
    try:
        check_params(rule, dict(options))
    except (Error, ValueError, TypeError) as exc:
        raise CatalogError(file, path.rsplit(".", 1)[0] + "." + options_key, str(exc)) from None


def _check_retention(file: str, path: str, catalog: Catalog, name: str | None) -> None:
    if name is not None and name not in catalog.retention_rules:
        raise CatalogError(file, path, f"unknown retention rule {name!r}")


def _check_fields(file: str, catalog: Catalog) -> None:
    for cls_name, policy in catalog.classes.items():
        path = f"classes.{cls_name}"
        _check_mask(
            file,
            f"{path}.default_mask",
            policy.default_mask,
            policy.default_mask_options,
            "default_mask_options",
        )
        _check_retention(file, f"{path}.default_retention", catalog, policy.default_retention)
    for rt_name, record_type in catalog.record_types.items():
        _check_retention(file, f"record_types.{rt_name}.retention", catalog, record_type.retention)
        for field_name, field in record_type.fields.items():
            path = f"record_types.{rt_name}.fields.{field_name}"
            _check_type(file, path, field)
            _check_mask(file, f"{path}.mask", field.mask, field.mask_options, "mask_options")
            _check_retention(file, f"{path}.retention", catalog, field.retention)


def _check_selector(file: str, path: str, catalog: Catalog, text: str) -> None:
    selector = parse_selector(text)
    if selector.kind in ("field", "record"):
        record_type = catalog.record_types.get(selector.record_type or "")
        if record_type is None:
            raise CatalogError(file, path, f"unknown record type {selector.record_type!r} in {text!r}")
        if selector.kind == "field" and selector.name not in record_type.fields:
            raise CatalogError(file, path, f"unknown field {text!r}")


def _check_purposes(file: str, catalog: Catalog) -> None:
    for name, purpose in catalog.purposes.items():
        for index, text in enumerate(purpose.fields):
            _check_selector(file, f"purposes.{name}.fields.{index}", catalog, text)


def _clear_fields(catalog: Catalog, role: Role) -> Iterator[tuple[str, Field, str]]:
    for rt_name, field in catalog.iter_fields():
        decision = role.level_for(field, rt_name)
        if decision.level == "clear":
            yield rt_name, field, decision.rule


def _check_roles(file: str, catalog: Catalog) -> None:
    for name, role in catalog.roles.items():
        path = f"roles.{name}"
        unknown_purposes = sorted(role.purposes - catalog.purposes.keys())
        if unknown_purposes:
            raise CatalogError(file, f"{path}.purposes", f"unknown purpose {unknown_purposes[0]!r}")
        unknown_roles = sorted(role.can_approve - catalog.roles.keys())
        if unknown_roles:
            raise CatalogError(file, f"{path}.can_approve", f"unknown role {unknown_roles[0]!r}")
        for index, rule in enumerate(role.access):
            _check_selector(file, f"{path}.access.{index}.selector", catalog, rule.selector)
            if rule.mask is not None:
                _check_mask(file, f"{path}.access.{index}.mask", rule.mask, rule.mask_options, "mask_options")
        for rt_name, field, rule_text in _clear_fields(catalog, role):
            where = rule_text.split(" ", 1)[0]
            if field.cls == "C3":
                raise CatalogError(
                    file,
                    where,
                    f"gives clear access to C3 field {rt_name}.{field.name}; "
                    "C3 data is never shown in clear (R-STO-3)",
                )
            if field.sensitive and not role.requires_totp:
                raise CatalogError(
                    file,
                    f"{path}.requires_totp",
                    f"must be true: the role sees sensitive field "
                    f"{rt_name}.{field.name} in clear through {where} (R-USE-2)",
                )


def check_references(catalog: Catalog, file: str = "<catalog>") -> None:
    """Check every cross-reference and the load-time access invariants of ``catalog``.

    :param file: the file name to put in errors.
    :raises CatalogError: naming the first problem's path inside the document:
        an unknown value type, mask, retention rule, purpose, role, record type
        or field; options a value type or mask refuses; a role with clear access
        to C3 data; a role with clear access to sensitive data without TOTP.
    """
    _check_fields(file, catalog)
    _check_purposes(file, catalog)
    _check_roles(file, catalog)
