"""Read a catalog file: YAML -> checked :class:`~piguard.catalog.models.Catalog`.

Every failure is a :class:`~piguard.errors.CatalogError` naming the file, the
dotted path inside the document and, when known, the line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pydantic
import yaml
from pydantic_core import ErrorDetails

from piguard.catalog.models import Catalog
from piguard.catalog.references import check_references
from piguard.errors import CatalogError

_CATALOG_DIR = Path(__file__).resolve().parent.parent / "catalogs"
_PROFILE_NAME = re.compile(r"[a-z][a-z0-9_]*")


def default_catalog_path() -> Path:
    """Return the path of the shipped general catalog, ``catalogs/default.yaml``."""
    return _CATALOG_DIR / "default.yaml"


def available_profiles() -> list[str]:
    """Return the names of the shipped catalogs (``default`` and the industry profiles), sorted."""
    return sorted(path.stem for path in _CATALOG_DIR.glob("*.yaml"))


def profile_path(name: str) -> Path:
    """Return the path of a shipped catalog.

    :param name: e.g. ``"bank"``; see :func:`available_profiles`.
    :raises CatalogError: no shipped catalog has that name.
    """
    if not _PROFILE_NAME.fullmatch(name) or name not in available_profiles():
        available = ", ".join(available_profiles())
        raise CatalogError(name, "", f"no such catalog profile; available: {available}")
    return _CATALOG_DIR / f"{name}.yaml"


#: libyaml's parser when PyYAML was built with it (about ten times faster: every CLI command loads the
#: catalog), else the pure-Python one; both are safe loaders.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[valid-type,misc]
    """A safe loader that refuses duplicate keys, which PyYAML silently lets the last one win."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _line_map(
    node: yaml.Node | None, prefix: str = "", lines: dict[str, int] | None = None
) -> dict[str, int]:
    """Map each dotted path of the document to its 1-based line."""
    lines = {} if lines is None else lines
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            lines[path] = key_node.start_mark.line + 1
            _line_map(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = f"{prefix}.{index}" if prefix else str(index)
            lines[path] = item.start_mark.line + 1
            _line_map(item, path, lines)
    return lines


def _with_line(error: CatalogError, lines: dict[str, int]) -> CatalogError:
    path = error.path
    while path and path not in lines:
        path = path.rpartition(".")[0]
    if not path:
        return error
    return CatalogError(error.file, error.path, f"{error.reason} (line {lines[path]})")


def _parse(text: str, file: str) -> tuple[Any, dict[str, int]]:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader.
        lines = _line_map(yaml.compose(text, Loader=_SafeBase))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise CatalogError(file, "", f"invalid YAML: {where}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(file, "", f"invalid YAML: {exc}") from None
    return data, lines


def _reason(error: ErrorDetails) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key missing"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if loc and loc[-1] == "[key]":
        return f"bad name {value!r}: {message}"
    if kind == "literal_error" and isinstance(value, str) and len(value) <= 60:
        return f"{message}, got {value!r}"
    return message


def _from_pydantic(exc: pydantic.ValidationError, file: str) -> CatalogError:
    errors = exc.errors()
    first = errors[0]
    path = ".".join(str(part) for part in first["loc"] if part != "[key]")
    reason = _reason(first)
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return CatalogError(file, path, reason)


def _reject_derived(data: dict[str, Any], file: str) -> None:
    record_types = data.get("record_types")
    if not isinstance(record_types, dict):
        return
    for rt_name, record_type in record_types.items():
        fields = record_type.get("fields") if isinstance(record_type, dict) else None
        if not isinstance(fields, dict):
            continue
        for field_name, field in fields.items():
            if isinstance(field, dict) and "purposes" in field:
                raise CatalogError(
                    file,
                    f"record_types.{rt_name}.fields.{field_name}.purposes",
                    "is derived from the purposes section; list the field in a purpose's fields instead",
                )


def load_catalog_text(text: str, file: str = "<string>") -> Catalog:
    """Parse and check a catalog given as YAML text.

    :param text: the YAML document.
    :param file: the name to report in errors.
    :returns: the checked catalog, with derived fields (purposes, defaults) filled in.
    :raises CatalogError: bad YAML (with its line), a shape or vocabulary error
        (first one, with a count of the rest), or a broken reference; see
        :func:`~piguard.catalog.references.check_references`.
    """
    data, lines = _parse(text, file)
    if not isinstance(data, dict):
        raise CatalogError(
            file, "", "a catalog must be a YAML mapping (version, name, purposes, record_types …)"
        )
    try:
        _reject_derived(data, file)
        try:
            catalog = Catalog.model_validate(data)
        except pydantic.ValidationError as exc:
            raise _from_pydantic(exc, file) from None
        check_references(catalog, file)
    except CatalogError as error:
        raise _with_line(error, lines) from None
    return catalog


def load_catalog(path: str | Path) -> Catalog:
    """Read and check a catalog file.

    :raises CatalogError: the file cannot be read, or as :func:`load_catalog_text`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise CatalogError(str(path), "", f"cannot read: {reason}") from None
    return load_catalog_text(text, str(path))
