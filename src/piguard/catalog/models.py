"""The typed catalog: frozen pydantic models, one per section of the YAML file.

Models check shapes and closed vocabularies. References *between* sections
(a purpose naming a field, a role naming a purpose, a field naming a value
type of :mod:`piguard.validate`) are checked by
:func:`piguard.catalog.references.check_references`, which knows the file name
and reports the exact path.

Kept as one module (a little over 400 lines) on purpose: it is the schema of the
catalog file, read top to bottom in the file's order, and :class:`Catalog` ties the
sections together; split up, the schema would be spread over modules that import
each other for their field types.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator, model_validator
from pydantic import Field as PField

from piguard.catalog._defaults import fill_defaults
from piguard.catalog.selectors import PURPOSE_KINDS, ROLE_KINDS, check_kind, parse_selector
from piguard.catalog.vocabulary import (
    SCHEMA_VERSION,
    Action,
    Anchor,
    CategoryName,
    ClassName,
    EndAction,
    LegalBasis,
    Level,
    RowScope,
    SeparateConsent,
    TransactionDate,
)

#: Names of record types, fields, purposes, roles and retention rules; they
#: appear in dotted selectors, so no dots, spaces or capitals.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Label(_Model):
    """A text in Chinese and English. A plain string sets both."""

    zh: str = PField(min_length=1)
    en: str = PField(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"zh": data, "en": data} if isinstance(data, str) else data


class ClassPolicy(_Model):
    """What a sensitivity class implies for every field in it (R-CLS-3)."""

    name: ClassName
    encrypt: bool = True
    default_mask: str
    default_mask_options: dict[str, Any] = PField(default_factory=dict)
    clear_requires_approval: bool
    clear_requires_step_up: bool
    export_allowed: bool
    default_retention: str | None = None

    @model_validator(mode="after")
    def _c3_is_encrypted(self) -> ClassPolicy:
        if self.name == "C3" and not self.encrypt:
            raise ValueError("C3 data is always encrypted; encrypt: false is refused (R-STO-3)")
        return self


class CategoryPolicy(_Model):
    """Settings of a PI category (R-CLS-1)."""

    name: CategoryName
    sensitive_by_default: bool
    label: Label | None = None


class RetentionRule(_Model):
    """How long data is kept, counted from an anchor event, and what happens at the end (R-STO-5).

    Give exactly one of ``duration_days`` and ``duration_years``. ``action`` is what the retention
    run does with data whose period has ended: ``destroy`` it (the default), ``anonymise`` it
    (counted into anonymous statistics, then destroyed) or queue it for a person's ``review``.
    """

    name: Identifier
    duration_days: int | None = PField(default=None, ge=0)
    duration_years: int | None = PField(default=None, ge=1)
    anchor: Anchor
    legal_floor_years: int | None = PField(default=None, ge=1)
    action: EndAction = "destroy"
    basis: str = ""

    @model_validator(mode="after")
    def _one_duration(self) -> RetentionRule:
        if (self.duration_days is None) == (self.duration_years is None):
            raise ValueError("give exactly one of duration_days and duration_years")
        return self

    @property
    def approx_days(self) -> int:
        """The duration in days, counting a year as 365.25 days rounded down; for comparisons."""
        if self.duration_days is not None:
            return self.duration_days
        years = self.duration_years or 0
        return years * 365 + years // 4

    def expires(self, anchor_date: date) -> date:
        """Return the first day on which data anchored at ``anchor_date`` may be destroyed.

        Years are calendar years; 29 February moves to 28 February.
        """
        if self.duration_days is not None:
            return anchor_date + timedelta(days=self.duration_days)
        year = anchor_date.year + (self.duration_years or 0)
        try:
            return anchor_date.replace(year=year)
        except ValueError:
            return anchor_date.replace(year=year, day=28)


class Purpose(_Model):
    """A purpose of processing, with its legal basis and the fields it needs (R-COL-1, R-COL-3).

    ``legal_basis`` may be missing at load time so that :func:`~piguard.catalog.lint`
    can report it (R-COL-1); the gate refuses writes under such a purpose.
    """

    name: Identifier
    legal_basis: LegalBasis | None = None
    description: Label
    fields: tuple[str, ...] = PField(min_length=1)
    separate_consent_for: frozenset[SeparateConsent] = frozenset()
    marketing: bool = False
    automated_decision: bool = False
    #: Uses only what other purposes collected (e.g. ``notification`` addresses a customer): no
    #: write may be made under it, and it is no basis to collect or to keep a field (lint,
    #: consent withdrawal).
    ancillary: bool = False
    #: A legal minimum retention for every field this purpose covers (AML 34: 10).
    retention_floor_years: int | None = PField(default=None, ge=1)

    @field_validator("fields")
    @classmethod
    def _selectors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            check_kind(text, PURPOSE_KINDS, "a purpose")
        return value


class Field(_Model):
    """One customer field and every rule attached to it.

    ``sensitive``, ``mask``, ``mask_options``, ``retention`` and ``purposes``
    are filled in from the category, class, record type and purposes when the
    author leaves them out. ``sensitive`` is the static flag: all PI of a
    person under 14 is sensitive too (R-CLS-1, R-MIN-1), which the consent
    layer applies per customer at runtime.
    """

    name: Identifier
    label: Label
    description: str = ""
    category: CategoryName
    cls: ClassName = PField(alias="class")
    sensitive: bool
    type: str
    type_options: dict[str, Any] = PField(default_factory=dict)
    mask: str
    mask_options: dict[str, Any] = PField(default_factory=dict)
    retention: str | None = None
    #: Derived from ``Catalog.purposes``; authors never write it.
    purposes: frozenset[str] = frozenset()
    searchable: bool = False
    required: bool = False
    #: Free text that may hold PI by accident; scanned by ``piguard.detect``.
    free_text: bool = False
    #: With ``free_text``: keep the unmasked original encrypted beside the masked note, so a
    #: role allowed to see every kind of PI found in it may read it; others get the masked note.
    keep_original: bool = False
    #: Entropy of the value domain in bits, to size the blind index.
    index_domain_bits: float | None = PField(default=None, gt=0)
    #: Other header texts an import file may give this field besides its name and labels (手机 for
    #: 手机号码): what people type in the spreadsheets they bring.
    aliases: tuple[Annotated[str, StringConstraints(min_length=1, max_length=64)], ...] = ()
    #: Date fields: whether a date after today (Beijing time) is accepted. ``refused`` for what
    #: has happened (birth, order, opening dates), ``allowed`` for what is planned (check-out,
    #: contract end, appointment). Unset on a date field it is ``refused``; it applies to date
    #: fields only. (The value kind's ``not_future`` option is the same rule, spelt the old way.)
    future: Literal["allowed", "refused"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _future_rule(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("type") != "date":
            return data
        options = dict(data.get("type_options") or {})
        legacy = options.pop("not_future", None)
        future = data.get("future")
        if isinstance(legacy, bool):
            spelt = "refused" if legacy else "allowed"
            if future is not None and future != spelt:
                raise ValueError(f"type_options.not_future: {legacy} contradicts future: {future}")
            future = spelt
        elif legacy is not None:
            options["not_future"] = legacy  # left for the type check to name
        return {**data, "type_options": options, "future": future or "refused"}

    @model_validator(mode="after")
    def _index_needs_search(self) -> Field:
        if self.future is not None and self.type != "date":
            raise ValueError("future applies to date fields only")
        if self.index_domain_bits is not None and not self.searchable:
            raise ValueError("index_domain_bits is only meaningful with searchable: true")
        if self.keep_original and not self.free_text:
            raise ValueError("keep_original is only meaningful with free_text: true")
        return self


class RecordType(_Model):
    """A kind of record a customer owns; the type named ``customer`` is the profile itself."""

    name: Identifier
    owner: str = "customer"
    description: str = ""
    #: Default retention rule for fields that name none.
    retention: str | None = None
    #: Where this record type's transaction date comes from (its creation or its last change), for
    #: rules anchored on ``transaction_completed``; none: it is no transaction and has no such date.
    transaction_date: TransactionDate | None = None
    fields: dict[Identifier, Field] = PField(min_length=1)
    #: Pairs of date fields ``[earlier, later]``: when a record gives both, ``later`` may not be
    #: before ``earlier`` (a check-out before the check-in is refused).
    date_order: list[tuple[Identifier, Identifier]] = PField(default_factory=list)

    @model_validator(mode="after")
    def _date_order_names_dates(self) -> RecordType:
        for earlier, later in self.date_order:
            for name in (earlier, later):
                if name not in self.fields or self.fields[name].type != "date":
                    raise ValueError(f"date_order names {name!r}, not a date field of this record type")
        return self

    @model_validator(mode="after")
    def _headers_name_one_field(self) -> RecordType:
        # An import header is matched by name, label or alias; each must pick exactly one field.
        owner: dict[str, str] = {}
        for name, fdef in self.fields.items():
            for text in {name, fdef.label.zh, fdef.label.en, *fdef.aliases}:
                key = "".join(text.split()).casefold()
                if owner.setdefault(key, name) != name:
                    raise ValueError(f"header '{text}' would name both '{owner[key]}' and '{name}'")
        return self

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if value != "customer":
            raise ValueError("every record type is owned by a customer; owner must be 'customer'")
        return value


class AccessRule(_Model):
    """One line of a role's access list: a selector and the level it grants."""

    selector: str
    level: Level
    #: A mask to use instead of the field's own, e.g. ``bank_card`` for customers.
    mask: str | None = None
    mask_options: dict[str, Any] = PField(default_factory=dict)

    @field_validator("selector")
    @classmethod
    def _selector(cls, value: str) -> str:
        check_kind(value, ROLE_KINDS, "a role")
        return value

    @model_validator(mode="after")
    def _mask_needs_masked(self) -> AccessRule:
        if (self.mask is not None or self.mask_options) and self.level != "masked":
            raise ValueError("mask and mask_options apply only to level: masked")
        return self


class Quotas(_Model):
    """Volume limits of a role (R-USE-3). ``None`` means no limit of that kind."""

    customers_per_hour: int | None = PField(default=None, ge=1)
    max_results: int | None = PField(default=None, ge=1)
    max_export_rows: int | None = PField(default=None, ge=1)
    #: Exact searches and match checks per hour on one field the role does not see in clear,
    #: hits and misses alike (issue 11, item 2: an exact-match oracle on a masked field is a read
    #: of that field). Never unlimited: a role that forgets it still gets the default.
    probes_per_hour: int = PField(default=60, ge=1)
    #: Misses on one such field within the hour that raise the ``masked_probing`` alert ...
    probe_alert_misses: int = PField(default=10, ge=1)
    #: ... and that freeze the principal (``masked_enumeration``), refusing every further probe.
    probe_freeze_misses: int = PField(default=30, ge=1)

    @model_validator(mode="after")
    def _alert_before_freeze(self) -> Quotas:
        if self.probe_alert_misses > self.probe_freeze_misses:
            raise ValueError("probe_alert_misses must not exceed probe_freeze_misses")
        return self


class FieldAccess(NamedTuple):
    """The outcome of :meth:`Role.level_for`.

    :param level: ``deny``, ``masked`` or ``clear``.
    :param mask: the :mod:`piguard.masking` rule to apply: ``clear`` when in
        clear, ``redact`` when denied (never applied, but safe if it were).
    :param mask_options: the rule's parameters.
    :param rule: the rule that decided, for the audit trail.
    """

    level: Level
    mask: str
    mask_options: dict[str, Any]
    rule: str


_RESTRICTIVENESS: dict[Level, int] = {"clear": 0, "masked": 1, "deny": 2}


class Role(_Model):
    """A staff role: what it may do, for which purposes, and how it sees each field (R-USE-1)."""

    name: Identifier
    description: str = ""
    actions: frozenset[Action] = frozenset()
    purposes: frozenset[str] = frozenset()
    access: tuple[AccessRule, ...] = ()
    quotas: Quotas = Quotas()
    requires_totp: bool = False
    can_approve: frozenset[str] = frozenset()
    scope: RowScope | None = None

    def level_for(self, field: Field, record_type: str) -> FieldAccess:
        """Decide how this role sees ``field`` of ``record_type``.

        Deny by default. A matching ``deny`` rule always wins, however broad.
        Otherwise the most specific matching rule wins (field > record type >
        category > class = sensitive > ``*``); between equally specific rules
        the more restrictive one wins, and between identical ones the first.

        :returns: the level, the mask and its options to apply, and the rule that decided.

        >>> role = Role(name="cs", access=[{"selector": "category:contact", "level": "masked"}])
        >>> f = Field(name="mobile", label="手机", category="contact", cls="C2", sensitive=False,
        ...           type="mobile", mask="mobile")
        >>> role.level_for(f, "customer").level
        'masked'
        """
        best: tuple[int, int, int] | None = None
        for index, rule in enumerate(self.access):
            selector = parse_selector(rule.selector)
            if not selector.matches(record_type, field.name, field.category, field.cls, field.sensitive):
                continue
            if rule.level == "deny":
                return FieldAccess("deny", "redact", {}, self._rule_text(index))
            key = (selector.specificity, _RESTRICTIVENESS[rule.level], -index)
            if best is None or key > best:
                best = key
        if best is None:
            return FieldAccess("deny", "redact", {}, f"roles.{self.name}: default deny")
        index = -best[2]
        rule = self.access[index]
        if rule.level == "clear":
            return FieldAccess("clear", "clear", {}, self._rule_text(index))
        if rule.mask is not None:
            return FieldAccess("masked", rule.mask, dict(rule.mask_options), self._rule_text(index))
        return FieldAccess("masked", field.mask, dict(field.mask_options), self._rule_text(index))

    def _rule_text(self, index: int) -> str:
        rule = self.access[index]
        return f"roles.{self.name}.access.{index} ({rule.selector}: {rule.level})"


class Catalog(_Model):
    """The whole catalog of one installation.

    Build it with :func:`piguard.catalog.load_catalog`, which also checks the
    references between sections; ``Catalog.model_validate`` alone does not.
    """

    version: int
    name: str = PField(min_length=1)
    description: str = ""
    industry: str = "general"
    tenant: Identifier = "default"
    classes: dict[ClassName, ClassPolicy]
    categories: dict[CategoryName, CategoryPolicy]
    retention_rules: dict[Identifier, RetentionRule] = PField(default_factory=dict)
    purposes: dict[Identifier, Purpose]
    record_types: dict[Identifier, RecordType]
    roles: dict[Identifier, Role] = PField(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        return fill_defaults(data)

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(
                f"unsupported catalog schema version {value}; this piguard reads {SCHEMA_VERSION}"
            )
        return value

    @field_validator("record_types")
    @classmethod
    def _has_customer(cls, value: dict[str, RecordType]) -> dict[str, RecordType]:
        if "customer" not in value:
            raise ValueError("a record type named 'customer' (the customer profile) is required")
        return value

    @model_validator(mode="after")
    def _names_match_keys(self) -> Catalog:
        sections: dict[str, Mapping[Any, Any]] = {
            "classes": self.classes,
            "categories": self.categories,
            "retention_rules": self.retention_rules,
            "purposes": self.purposes,
            "record_types": self.record_types,
            "roles": self.roles,
        }
        for section, entries in sections.items():
            for key, entry in entries.items():
                if entry.name != key:
                    raise ValueError(f"{section}.{key}: name {entry.name!r} differs from its key")
        for rt_name, record_type in self.record_types.items():
            for key, field in record_type.fields.items():
                if field.name != key:
                    raise ValueError(
                        f"record_types.{rt_name}.fields.{key}: name {field.name!r} differs from its key"
                    )
        return self

    def field(self, record_type: str, name: str) -> Field:
        """Return a field.

        :raises KeyError: no such record type or field.
        """
        try:
            return self.record_types[record_type].fields[name]
        except KeyError:
            raise KeyError(f"no field {record_type}.{name} in catalog {self.name!r}") from None

    def iter_fields(self) -> list[tuple[str, Field]]:
        """Return every ``(record_type, field)`` pair, in catalog order."""
        return [(rt, field) for rt, record in self.record_types.items() for field in record.fields.values()]

    def purposes_for(self, record_type: str, field: str) -> frozenset[str]:
        """Return the purposes that may process ``record_type.field`` (R-COL-3, R-USE-5).

        :raises KeyError: no such record type or field.
        """
        return self.field(record_type, field).purposes

    def fields_for(self, purpose: str, record_type: str) -> frozenset[str]:
        """Return the names of the fields of ``record_type`` that ``purpose`` covers.

        :raises KeyError: no such purpose or record type.
        """
        if purpose not in self.purposes:
            raise KeyError(f"no purpose {purpose!r} in catalog {self.name!r}")
        if record_type not in self.record_types:
            raise KeyError(f"no record type {record_type!r} in catalog {self.name!r}")
        fields = self.record_types[record_type].fields.values()
        return frozenset(field.name for field in fields if purpose in field.purposes)

    def retention_for(self, field: Field) -> RetentionRule | None:
        """Return the retention rule of ``field``, or ``None`` if it has none."""
        return self.retention_rules.get(field.retention) if field.retention else None
