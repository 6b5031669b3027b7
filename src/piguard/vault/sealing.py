"""How a record's fields become ciphertexts and blind-index digests, and back.

Every field is sealed under the customer's data key (DEK) with associated data naming
tenant, record type, record id, field and catalog schema version, so a ciphertext moved
to another record, field or tenant does not open. Searchable fields also get a truncated
keyed digest (the blind index), sized per field so that a digest matches several
customers (CipherSweet's planner).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from piguard import validate
from piguard.catalog import Field
from piguard.crypto.aead import Sealer
from piguard.crypto.blind_index import BlindIndexer, plan_bits
from piguard.crypto.context import FieldAadBuilder
from piguard.errors import NotFound
from piguard.store import IndexRow, RecordRow
from piguard.vault import payload
from piguard.vault.context import VaultContext
from piguard.vault.values import Prepared

#: Key id written in field ciphertext headers: 0 = the customer's DEK.
_DEK_KEY_ID = 0
_DEK_KEY_VERSION = 1

#: Rough input-domain entropy per value type, in bits, for sizing blind indexes
#: (CipherSweet's planner). Catalog fields may override with ``index_domain_bits``.
_DOMAIN_BITS: dict[str, float] = {
    "resident_id": 34.0,
    "mobile": 30.0,
    "landline": 27.0,
    "phone": 30.0,
    "bank_card": 40.0,
    "email": 40.0,
    "passport": 30.0,
    "uscc": 40.0,
    "name": 22.0,
}


class RecordSealing:
    """Seals and opens record payloads and computes their index rows, for one vault."""

    def __init__(self, context: VaultContext, *, expected_customers: int = 1_000_000) -> None:
        self.context = context
        self.indexer = BlindIndexer(context.keyring.secret("index_root"), context.keyring.suite)
        self._expected = max(16, expected_customers)
        # Records are written under the catalog version the vault started with.
        self.schema_version = context.catalog.version
        self._bits: dict[tuple[str, str], int] = {}
        self._aad_builders: dict[tuple[str, int], FieldAadBuilder] = {}

    def _aad(self, record_type: str, schema_version: int) -> FieldAadBuilder:
        key = (record_type, schema_version)
        builder = self._aad_builders.get(key)
        if builder is None:
            builder = self._aad_builders[key] = FieldAadBuilder(
                self.context.tenant, record_type, schema_version
            )
        return builder

    def index_bits(self, record_type: str, field: Field) -> int:
        """The digest length of ``field``'s blind index, planned once per field."""
        key = (record_type, field.name)
        bits = self._bits.get(key)
        if bits is None:
            domain = field.index_domain_bits or _DOMAIN_BITS.get(field.type, 32.0)
            bits = plan_bits(self._expected, domain)
            self._bits[key] = bits
        return bits

    def digest(self, record_type: str, fdef: Field, value: str) -> bytes:
        """The blind-index digest of a normalised value of a searchable field, taken over its match
        key (:func:`piguard.validate.match_key`: a name however its dots, widths and case were typed)."""
        key = validate.match_key(fdef.type, value)
        return self.indexer.digest(
            self.context.tenant, record_type, fdef.name, key, self.index_bits(record_type, fdef)
        )

    def sealer_of(self, customer_id: str) -> Sealer:
        """The customer's DEK, unwrapped (cached).

        :raises NotFound: the customer is unknown or erased (no wrapped key).
        """
        ctx = self.context
        wrapped = ctx.keys.get(ctx.tenant, customer_id)
        if wrapped is None:
            raise NotFound("no such customer (unknown or erased)")
        return ctx.data_keys.sealer(ctx.tenant, customer_id, wrapped.wrapped)

    def seal_fields(
        self, sealer: Sealer, record_type: str, record_id: str, values: Mapping[str, str]
    ) -> bytes:
        """The payload of a record: every value sealed under ``sealer`` with its field's AAD."""
        aad = self._aad(record_type, self.schema_version)
        seal = sealer.seal
        cts = {
            name: seal(_DEK_KEY_ID, _DEK_KEY_VERSION, value.encode("utf-8"), aad(record_id, name))
            for name, value in values.items()
        }
        return payload.pack(cts)

    def index_rows(self, record_type: str, prep: Prepared) -> list[IndexRow]:
        """The blind-index rows of a record's searchable fields."""
        tenant = self.context.tenant
        rows: list[IndexRow] = []
        fields = self.context.catalog.record_types[record_type].fields
        for name, value in prep.values.items():
            fdef = fields.get(name)
            if fdef is not None and fdef.searchable:
                digest = self.digest(record_type, fdef, value)
                rows.append(IndexRow(tenant, record_type, name, digest, prep.customer_id, prep.record_id))
        return rows

    def row(self, record_type: str, prep: Prepared, blob: bytes, now: datetime) -> RecordRow:
        """The stored row of a new record (version 1, active)."""
        return RecordRow(
            tenant=self.context.tenant,
            customer_id=prep.customer_id,
            record_type=record_type,
            record_id=prep.record_id,
            schema_version=self.schema_version,
            status="active",
            payload=blob,
            created_at=now,
            updated_at=now,
            version=1,
        )

    def open(self, sealer: Sealer, row: RecordRow, names: Iterable[str]) -> dict[str, str]:
        """The named fields of ``row`` opened (fields absent from the payload are left out).

        :raises InvalidCiphertext: a ciphertext was tampered with or moved.
        """
        cts = payload.unpack(row.payload)
        aad = self._aad(row.record_type, row.schema_version)
        out: dict[str, str] = {}
        for name in names:
            ct = cts.get(name)
            if ct is None:
                continue
            out[name] = sealer.open(ct, aad(row.record_id, name)).decode("utf-8")
        return out

    def open_all(self, sealer: Sealer, row: RecordRow) -> dict[str, str]:
        """Every slot of ``row`` opened, companion slots included."""
        return self.open(sealer, row, payload.unpack(row.payload).keys())
