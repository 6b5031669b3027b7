"""Record values on their way in: validated, normalised, minimised, free text masked.

:class:`RecordValues` turns what a caller gives into what the vault seals: every value
checked against its catalog field and normalised, fields the purpose does not need refused
(R-COL-3), required fields demanded, free-text notes masked with their originals kept only
where the catalog says so (issue 7), and the record's identity settled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from piguard import detect, validate
from piguard.catalog import Field
from piguard.errors import ValidationError
from piguard.vault.context import VaultContext
from piguard.vault.ids import check_id, new_customer_id, new_record_id

CUSTOMER = "customer"
#: What a field name looks like (the catalog's identifiers); anything else a caller names as a
#: field is not echoed in errors, since it may be a value in the wrong place.
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _named(name: str) -> str | None:
    return name if _FIELD_NAME.fullmatch(name) else None
#: Companion slots of a free-text field in the payload: the unmasked original (only with
#: ``keep_original``) and the kinds of PI found in it. Not catalog fields; never indexed.
ORIGINAL_SUFFIX = "#original"
PI_TYPES_SUFFIX = "#pi"


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated row ready to encrypt: normalised values and its identity."""

    customer_id: str
    record_id: str
    values: dict[str, str]


class RecordValues:
    """The catalog's rules for values, with per-field normalisers and per-purpose field sets cached."""

    def __init__(self, context: VaultContext, *, bank_card_checksum: str = "reject") -> None:
        self.context = context
        self._bank_card_checksum = bank_card_checksum
        catalog = context.catalog
        self._normalizers: dict[tuple[str, str], Callable[[str], str]] = {}
        self._required: dict[str, tuple[str, ...]] = {
            name: tuple(n for n, f in rt.fields.items() if f.required)
            for name, rt in catalog.record_types.items()
        }
        self._allowed: dict[tuple[str, str], frozenset[str]] = {}

    def record_type(self, name: str) -> Any:
        try:
            return self.context.catalog.record_types[name]
        except KeyError:
            raise ValidationError(
                f"unknown record type '{name}'" if _named(name) else "unknown record type", "record_type"
            ) from None

    def field(self, record_type: str, name: str) -> Field:
        fields = self.record_type(record_type).fields
        if name not in fields:
            raise ValidationError(f"unknown field for record type '{record_type}'", _named(name))
        result: Field = fields[name]
        return result

    def _normalizer(self, record_type: str, name: str) -> Callable[[str], str]:
        key = (record_type, name)
        bound = self._normalizers.get(key)
        if bound is None:
            fdef = self.field(record_type, name)
            options = dict(fdef.type_options)
            if fdef.future is not None:
                # The field's own rule (catalog ``future``), not the value kind's default.
                options["not_future"] = fdef.future == "refused"
            if fdef.type == "bank_card":
                options.setdefault("on_bad_checksum", self._bank_card_checksum)
            bound = self._normalizers[key] = validate.normalizer(fdef.type, **options)
        return bound

    def normalize(self, record_type: str, name: str, raw: object) -> str:
        """Validate and normalise one value for ``record_type.name``.

        :raises ValidationError: naming the field, never quoting the value.
        """
        bound = self._normalizer(record_type, name)
        if isinstance(raw, str):
            text = raw
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            text = repr(raw) if isinstance(raw, float) else str(raw)
        else:
            raise ValidationError("must be a string", name)
        try:
            return bound(text)
        except ValidationError as exc:
            raise exc.for_field(name) from None

    def prepare(
        self,
        record_type: str,
        purpose: str,
        values: Mapping[str, object],
        *,
        customer_id: str | None,
        record_id: str | None,
    ) -> Prepared:
        """A new record's values checked and normalised, and its ids (given or fresh).

        :raises ValidationError: naming the field or id that is wrong.
        """
        rt = self.record_type(record_type)
        catalog = self.context.catalog
        if purpose not in catalog.purposes:
            raise ValidationError(f"unknown purpose '{purpose}'", "purpose")
        if catalog.purposes[purpose].ancillary:
            raise ValidationError(f"purpose '{purpose}' only uses what other purposes collected", "purpose")
        allowed = self._allowed.get((purpose, record_type))
        if allowed is None:
            allowed = self._allowed[(purpose, record_type)] = catalog.fields_for(purpose, record_type)
        fields = rt.fields
        clean: dict[str, str] = {}
        for name, raw in values.items():
            fdef = fields.get(name)
            if fdef is None:
                raise ValidationError(f"unknown field for record type '{record_type}'", _named(name))
            if raw is None or raw == "":
                continue
            if name not in allowed:
                # R-COL-3 minimisation: what the purpose does not need is not collected.
                raise ValidationError(f"not needed for purpose '{purpose}'", name)
            value = self.normalize(record_type, name, raw)
            if fdef.free_text:
                clean.update(self.stored_values(fdef, value))
            else:
                clean[name] = value
        for name in self._required[record_type]:
            if name not in clean:
                raise ValidationError("required field is missing", name)
        for earlier, later in rt.date_order:
            # Normalised dates are ISO (YYYY-MM-DD): string order is date order.
            if earlier in clean and later in clean and clean[later] < clean[earlier]:
                raise ValidationError(f"must not be before {earlier}", later)
        if not clean:
            raise ValidationError("no field values given", None)
        if record_type == CUSTOMER:
            cid = check_id(customer_id, "customer_id") if customer_id else new_customer_id()
            rid = cid
        else:
            if not customer_id:
                raise ValidationError("owned records need the owner's customer_id", "customer_id")
            cid = check_id(customer_id, "customer_id")
            rid = check_id(record_id, "record_id") if record_id else new_record_id(record_type)
        return Prepared(cid, rid, clean)

    @staticmethod
    def stored_values(fdef: Field, value: str) -> dict[str, str]:
        """What is stored for one field: free text is masked on write (issue 7).

        PI found in a note is masked in the stored note; with ``keep_original`` the original
        is kept too, sealed under the customer's key in a companion slot, with the kinds of
        PI found, so the gate can show it only to roles that may see all of them.
        """
        if not fdef.free_text:
            return {fdef.name: value}
        result = detect.mask_text(value)
        if not result.replacements:
            return {fdef.name: value}
        out = {fdef.name: result.text}
        out[fdef.name + PI_TYPES_SUFFIX] = ",".join(sorted({r.type for r in result.replacements}))
        if fdef.keep_original:
            out[fdef.name + ORIGINAL_SUFFIX] = value
        return out
