"""Fill in what a catalog author may leave out, before the models validate it.

Runs on the raw mapping (as parsed from YAML) so that the frozen models never
hold "unset" values: every :class:`~piguard.catalog.models.Field` has a
``sensitive`` flag, a mask and its derived purposes from the moment it exists.
Anything of the wrong shape is left alone here; the models then reject it with
a precise path.

Defaults, in order of precedence:

* ``name`` of every entry: its key.
* ``classes`` / ``categories``: built-in settings, overridden key by key.
* field ``sensitive``: the category's ``sensitive_by_default``.
* field ``mask`` and ``mask_options``: the class's ``default_mask`` and
  ``default_mask_options`` (options only when the mask itself is defaulted).
* field ``retention``: the record type's ``retention``, else the class's
  ``default_retention``.
* field ``purposes``: every purpose one of whose selectors matches the field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from piguard.catalog.selectors import Selector, parse_selector
from piguard.catalog.vocabulary import (
    BUILTIN_CATEGORIES,
    BUILTIN_CLASSES,
    BUILTIN_PURPOSES,
    BUILTIN_ROLES,
    EVERY_RECORD_TYPE,
)

_NAMED_SECTIONS = ("classes", "categories", "retention_rules", "purposes", "record_types", "roles")


def _merge_builtins(data: dict[str, Any], section: str, builtins: Mapping[Any, Mapping[str, Any]]) -> None:
    given = data.get(section, {})
    if not isinstance(given, dict):
        return
    merged: dict[str, Any] = {name: dict(settings) for name, settings in builtins.items()}
    for name, settings in given.items():
        if isinstance(settings, dict) and name in merged:
            merged[name].update(settings)
        else:
            # Unknown names and odd shapes go through untouched for the model to reject.
            merged[name] = settings
    data[section] = merged


def _name_entries(data: dict[str, Any]) -> None:
    for section in _NAMED_SECTIONS:
        entries = data.get(section)
        if isinstance(entries, dict):
            for key, entry in entries.items():
                if isinstance(entry, dict):
                    entry.setdefault("name", key)


def _setting(section: Any, name: Any, key: str) -> Any:
    if not isinstance(section, dict) or not isinstance(name, str):
        return None
    entry = section.get(name)
    if isinstance(entry, dict):
        return entry.get(key)
    return getattr(entry, key, None)


def _fill_field(field: dict[str, Any], record_retention: Any, data: dict[str, Any]) -> None:
    classes, categories = data.get("classes"), data.get("categories")
    cls = field.get("class", field.get("cls"))
    if "sensitive" not in field:
        sensitive = _setting(categories, field.get("category"), "sensitive_by_default")
        if isinstance(sensitive, bool):
            field["sensitive"] = sensitive
    if "mask" not in field:
        mask = _setting(classes, cls, "default_mask")
        if mask is not None:
            field["mask"] = mask
            if "mask_options" not in field:
                options = _setting(classes, cls, "default_mask_options")
                field["mask_options"] = copy.deepcopy(options) if options is not None else {}
    if "retention" not in field:
        retention = (
            record_retention if record_retention is not None else _setting(classes, cls, "default_retention")
        )
        if retention is not None:
            field["retention"] = retention


def _purpose_selectors(data: dict[str, Any]) -> list[tuple[str, Selector]]:
    out: list[tuple[str, Selector]] = []
    purposes = data.get("purposes")
    if not isinstance(purposes, dict):
        return out
    for name, purpose in purposes.items():
        texts = purpose.get("fields") if isinstance(purpose, dict) else getattr(purpose, "fields", None)
        if not isinstance(texts, list | tuple):
            continue
        for text in texts:
            try:
                out.append((name, parse_selector(text)))
            except (ValueError, TypeError):
                continue  # The model reports the bad selector with its path.
    return out


def _derive_purposes(field: dict[str, Any], record_type: str, selectors: list[tuple[str, Selector]]) -> None:
    cls = field.get("class", field.get("cls"))
    category, sensitive, name = field.get("category"), field.get("sensitive"), field.get("name")
    if not (isinstance(cls, str) and isinstance(category, str) and isinstance(name, str)):
        return
    if not isinstance(sensitive, bool):
        return
    field["purposes"] = sorted(
        {purpose for purpose, sel in selectors if sel.matches(record_type, name, category, cls, sensitive)}
    )


def fill_defaults(raw: Any) -> Any:
    """Return a copy of the raw catalog mapping with every default filled in.

    :param raw: the parsed document; anything but a mapping is returned as is.
    :returns: a new mapping; ``raw`` is not modified.
    """
    if not isinstance(raw, dict):
        return raw
    data = copy.deepcopy(raw)
    _merge_builtins(data, "classes", BUILTIN_CLASSES)
    _merge_builtins(data, "categories", BUILTIN_CATEGORIES)
    roles = data.get("roles")
    if isinstance(roles, dict):
        for name, spec in BUILTIN_ROLES.items():
            # A catalog may narrow a built-in role by defining it; it is never missing.
            roles.setdefault(name, copy.deepcopy(dict(spec)))
    purposes = data.get("purposes")
    if isinstance(purposes, dict):
        record_types = data.get("record_types")
        every = [f"{rt}.*" for rt in record_types] if isinstance(record_types, dict) else []
        for name, spec in BUILTIN_PURPOSES.items():
            filled = copy.deepcopy(dict(spec))
            if filled.get("fields") == EVERY_RECORD_TYPE:
                filled["fields"] = every
            purposes.setdefault(name, filled)
    _name_entries(data)
    selectors = _purpose_selectors(data)
    record_types = data.get("record_types")
    if not isinstance(record_types, dict):
        return data
    for rt_name, record_type in record_types.items():
        if not isinstance(record_type, dict) or not isinstance(record_type.get("fields"), dict):
            continue
        for field_name, field in record_type["fields"].items():
            if isinstance(field, dict):
                field.setdefault("name", field_name)
                _fill_field(field, record_type.get("retention"), data)
                if "purposes" not in field:
                    _derive_purposes(field, rt_name, selectors)
    return data
