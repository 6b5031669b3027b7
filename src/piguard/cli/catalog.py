"""``piguard catalog fields|purposes|roles``: what a catalog declares, read from the file only.

These commands read the catalog (the home's ``catalog.yaml``, a shipped ``--profile`` or any
``--file``), never the databases or the keyring: they print rules, no customer data. Labels are
the catalog's own zh/en labels. ``catalog check`` (the lint) lives in :mod:`piguard.cli.main`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from piguard.access.visibility import reach
from piguard.catalog import Catalog, load_catalog, profile_path
from piguard.catalog.vocabulary import BUILTIN_ROLES
from piguard.cli.options import HomeOpt, JsonOpt
from piguard.cli.output import emit, new_table, print_table, reporting
from piguard.config import home_from

__all__ = ["field_rows", "load", "purpose_rows", "register", "role_rows"]

#: Reaches that end in clear (at once, after a step-up, after a grant).
CLEAR_KINDS = ("clear", "step_up", "grant")

FileOpt = Annotated[Path | None, typer.Option("--file", help="A catalog YAML file (default: the home's).")]
ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", help="A shipped profile: default, bank, hotel, ecommerce, call_centre."),
]
LangOpt = Annotated[str, typer.Option("--lang", help="Label language for the table: zh or en.")]


def load(file: Path | None, profile: str | None, home: Path | None) -> Catalog:
    """The catalog of ``--file``, else of ``--profile``, else of the home."""
    if file is not None:
        return load_catalog(file)
    if profile is not None:
        return load_catalog(profile_path(profile))
    return load_catalog(home_from(home) / "catalog.yaml")


def _label(labels: dict[str, str], lang: str) -> str:
    return labels["en" if lang == "en" else "zh"]


def field_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """One row per field: type, class, sensitivity, mask, retention and the purposes that use it."""
    rows = []
    for rt_name, rt in catalog.record_types.items():
        for name, f in rt.fields.items():
            retention = catalog.retention_for(f)
            rows.append(
                {
                    "record_type": rt_name,
                    "field": name,
                    "label": {"zh": f.label.zh, "en": f.label.en},
                    "type": f.type,
                    "class": f.cls,
                    "category": f.category,
                    "sensitive": f.sensitive,
                    "mask": f.mask,
                    "searchable": f.searchable,
                    "required": f.required,
                    "retention": retention.name if retention is not None else None,
                    "purposes": sorted(f.purposes),
                }
            )
    return rows


def purpose_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """One row per purpose: legal basis, retention (the floor and its fields' rules), the fields."""
    rows = []
    for name, p in catalog.purposes.items():
        fields = sorted(f"{rt}.{f}" for rt in catalog.record_types for f in catalog.fields_for(name, rt))
        retention = sorted(
            {
                rule.name
                for key in fields
                if (rule := catalog.retention_for(catalog.field(*key.split(".", 1)))) is not None
            }
        )
        rows.append(
            {
                "purpose": name,
                "label": {"zh": p.description.zh, "en": p.description.en},
                "legal_basis": p.legal_basis,
                "marketing": p.marketing,
                "ancillary": p.ancillary,
                "retention_floor_years": p.retention_floor_years,
                "retention": retention,
                "fields": fields,
            }
        )
    return rows


def role_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """One row per role: actions, purposes, scope, whom it may approve, each field's level (clear,
    masked, deny), what clear access needs (``step_up`` or ``grant``) and whom to ask.

    Built-in roles (jobs, the customer themself) are listed without levels: nobody logs in as them.
    """
    reaches = {r.role: r for r in reach(catalog)}
    rows = []
    for name, spec in catalog.roles.items():
        found = reaches.get(name)
        fields = found.fields if found is not None else []
        rows.append(
            {
                "role": name,
                "description": spec.description,
                "builtin": name in BUILTIN_ROLES,
                "actions": sorted(spec.actions),
                "purposes": sorted(spec.purposes),
                "scope": spec.scope,
                "requires_totp": spec.requires_totp,
                "can_approve": sorted(spec.can_approve),
                "levels": {f.field: "clear" if f.kind in CLEAR_KINDS else f.kind for f in fields},
                "clear_needs": {f.field: f.kind for f in fields if f.kind in ("step_up", "grant")},
                "ask": {f.field: list(f.ask) for f in fields if f.ask},
            }
        )
    return rows


def register(app: typer.Typer) -> None:
    """Add ``fields``, ``purposes`` and ``roles`` to the ``catalog`` command group ``app``."""

    @app.command("fields")
    def fields(
        file: FileOpt = None,
        profile: ProfileOpt = None,
        lang: LangOpt = "zh",
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Every field: label, type, class, mask, retention and the purposes that use it."""
        with reporting(as_json):
            rows = field_rows(load(file, profile, home))

            def human() -> None:
                table = new_table("field", "label", "type", "class", "mask", "purposes")
                for r in rows:
                    table.add_row(
                        f"{r['record_type']}.{r['field']}",
                        _label(r["label"], lang),
                        r["type"],
                        r["class"] + (" sensitive" if r["sensitive"] else ""),
                        r["mask"],
                        ", ".join(r["purposes"]),
                    )
                print_table(table)

            emit({"fields": rows}, as_json, human)

    @app.command("purposes")
    def purposes(
        file: FileOpt = None,
        profile: ProfileOpt = None,
        lang: LangOpt = "zh",
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Every purpose: its label, legal basis, retention and how many fields it uses."""
        with reporting(as_json):
            rows = purpose_rows(load(file, profile, home))

            def human() -> None:
                table = new_table("purpose", "label", "legal basis", "retention", "fields")
                for r in rows:
                    floor = r["retention_floor_years"]
                    retention = ", ".join(r["retention"]) + (f" (floor {floor} years)" if floor else "")
                    table.add_row(
                        r["purpose"],
                        _label(r["label"], lang),
                        r["legal_basis"] or "",
                        retention,
                        str(len(r["fields"])),
                    )
                print_table(table)

            emit({"purposes": rows}, as_json, human)

    @app.command("roles")
    def roles(
        file: FileOpt = None,
        profile: ProfileOpt = None,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Every role: actions, purposes, and which fields it sees in clear, masked or not at all."""
        with reporting(as_json):
            rows = role_rows(load(file, profile, home))

            def human() -> None:
                table = new_table("role", "actions", "purposes", "clear", "masked")
                for r in rows:
                    if r["builtin"]:
                        continue
                    by_level = {
                        level: ", ".join(k for k, v in r["levels"].items() if v == level)
                        for level in ("clear", "masked")
                    }
                    table.add_row(
                        r["role"],
                        ", ".join(r["actions"]),
                        ", ".join(r["purposes"]),
                        by_level["clear"] or "-",
                        by_level["masked"] or "-",
                    )
                print_table(table)

            emit({"roles": rows}, as_json, human)
