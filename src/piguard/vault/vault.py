"""The vault: customer records stored under field-level encryption.

**Invariant:** this is the only module that combines ``piguard.crypto`` and
``piguard.store``. It knows nothing of principals, roles or masks: it validates,
encrypts, stores, finds and decrypts. Policy (who may, for which purpose, what is
shown) is decided by the gate in ``piguard.service``, the vault's only caller.

Key hierarchy: KEK (keyring file or HSM) wraps one data key (DEK) per customer;
every field of every record the customer owns is sealed under that DEK with
associated data naming tenant, record type, record id, field and catalog schema
version. Erasing a customer destroys the wrapped DEK in the key store, which
lives apart from the data database (crypto-shredding).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from piguard import detect, validate
from piguard.catalog import Catalog, Field
from piguard.clock import Clock, SystemClock
from piguard.crypto.aead import Sealer, sealer_for
from piguard.crypto.blind_index import BlindIndexer, plan_bits
from piguard.crypto.context import FieldAadBuilder
from piguard.crypto.envelope import DataKeys
from piguard.crypto.keyring import Keyring
from piguard.errors import Conflict, NotFound, ValidationError
from piguard.store import Database, IndexRow, KeyStore, RecordRow, WrappedKeyRow
from piguard.vault import payload
from piguard.vault.ids import check_id, new_customer_id, new_record_id
from piguard.vault.model import ImportReport, Record, RecordRef, Rejection

CUSTOMER = "customer"
#: Companion slots of a free-text field in the payload: the unmasked original (only with
#: ``keep_original``) and the kinds of PI found in it. Not catalog fields; never indexed.
ORIGINAL_SUFFIX = "#original"
PI_TYPES_SUFFIX = "#pi"
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

#: A hook run inside the data transaction before it commits (the audit log writes here,
#: so a data change and its audit entry commit together or not at all).
TxHook = Callable[[Connection, Sequence[RecordRef]], None]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A validated row ready to encrypt: normalised values and its identity."""

    customer_id: str
    record_id: str
    values: dict[str, str]


class Vault:
    """Field-encrypted customer records over a data database and a separate key store."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        db: Database,
        keys: KeyStore,
        keyring: Keyring,
        tenant: str = "default",
        expected_customers: int = 1_000_000,
        bank_card_checksum: str = "reject",
        clock: Clock | None = None,
    ) -> None:
        self.catalog = catalog
        self.db = db
        self.keys = keys
        self.keyring = keyring
        self.tenant = tenant
        self.clock: Clock = clock or SystemClock()
        self._bank_card_checksum = bank_card_checksum
        self._data_keys = DataKeys(keyring)
        self._indexer = BlindIndexer(keyring.secret("index_root"), keyring.suite)
        self._expected = max(16, expected_customers)
        self._schema_version = catalog.version
        self._bits: dict[tuple[str, str], int] = {}
        self._aad_builders: dict[tuple[str, int], FieldAadBuilder] = {}
        self._normalizers: dict[tuple[str, str], Callable[[str], str]] = {}
        self._required: dict[str, tuple[str, ...]] = {
            name: tuple(n for n, f in rt.fields.items() if f.required)
            for name, rt in catalog.record_types.items()
        }
        self._allowed: dict[tuple[str, str], frozenset[str]] = {}

    # ------------------------------------------------------------------ helpers

    def record_type(self, name: str) -> Any:
        try:
            return self.catalog.record_types[name]
        except KeyError:
            raise ValidationError(f"unknown record type '{name}'", "record_type") from None

    def field(self, record_type: str, name: str) -> Field:
        fields = self.record_type(record_type).fields
        if name not in fields:
            raise ValidationError(f"unknown field for record type '{record_type}'", name)
        result: Field = fields[name]
        return result

    def _aad(self, record_type: str, schema_version: int) -> FieldAadBuilder:
        key = (record_type, schema_version)
        builder = self._aad_builders.get(key)
        if builder is None:
            builder = self._aad_builders[key] = FieldAadBuilder(self.tenant, record_type, schema_version)
        return builder

    def index_bits(self, record_type: str, field: Field) -> int:
        key = (record_type, field.name)
        bits = self._bits.get(key)
        if bits is None:
            domain = field.index_domain_bits or _DOMAIN_BITS.get(field.type, 32.0)
            bits = plan_bits(self._expected, domain)
            self._bits[key] = bits
        return bits

    def _normalizer(self, record_type: str, name: str) -> Callable[[str], str]:
        key = (record_type, name)
        bound = self._normalizers.get(key)
        if bound is None:
            fdef = self.field(record_type, name)
            options = dict(fdef.type_options)
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

    def _prepare(
        self,
        record_type: str,
        purpose: str,
        values: Mapping[str, object],
        *,
        customer_id: str | None,
        record_id: str | None,
    ) -> _Prepared:
        rt = self.record_type(record_type)
        if purpose not in self.catalog.purposes:
            raise ValidationError(f"unknown purpose '{purpose}'", "purpose")
        allowed = self._allowed.get((purpose, record_type))
        if allowed is None:
            allowed = self._allowed[(purpose, record_type)] = self.catalog.fields_for(purpose, record_type)
        fields = rt.fields
        clean: dict[str, str] = {}
        for name, raw in values.items():
            fdef = fields.get(name)
            if fdef is None:
                raise ValidationError(f"unknown field for record type '{record_type}'", name)
            if raw is None or raw == "":
                continue
            if name not in allowed:
                # R-COL-3 minimisation: what the purpose does not need is not collected.
                raise ValidationError(f"not needed for purpose '{purpose}'", name)
            value = self.normalize(record_type, name, raw)
            if fdef.free_text:
                clean.update(self._stored_values(fdef, value))
            else:
                clean[name] = value
        for name in self._required[record_type]:
            if name not in clean:
                raise ValidationError("required field is missing", name)
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
        return _Prepared(cid, rid, clean)

    @staticmethod
    def _stored_values(fdef: Field, value: str) -> dict[str, str]:
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

    def _seal_fields(
        self, sealer: Sealer, record_type: str, record_id: str, values: Mapping[str, str]
    ) -> bytes:
        aad = self._aad(record_type, self._schema_version)
        seal = sealer.seal
        cts = {
            name: seal(_DEK_KEY_ID, _DEK_KEY_VERSION, value.encode("utf-8"), aad(record_id, name))
            for name, value in values.items()
        }
        return payload.pack(cts)

    def _index_rows(self, record_type: str, prep: _Prepared) -> list[IndexRow]:
        rows: list[IndexRow] = []
        fields = self.record_type(record_type).fields
        for name, value in prep.values.items():
            fdef = fields.get(name)
            if fdef is not None and fdef.searchable:
                digest = self._indexer.digest(
                    self.tenant, record_type, name, value, self.index_bits(record_type, fdef)
                )
                rows.append(
                    IndexRow(self.tenant, record_type, name, digest, prep.customer_id, prep.record_id)
                )
        return rows

    def _sealer_of(self, customer_id: str) -> Sealer:
        wrapped = self.keys.get(self.tenant, customer_id)
        if wrapped is None:
            raise NotFound("no such customer (unknown or erased)")
        return self._data_keys.sealer(self.tenant, customer_id, wrapped.wrapped)

    def _row(self, record_type: str, prep: _Prepared, blob: bytes, now: datetime) -> RecordRow:
        return RecordRow(
            tenant=self.tenant,
            customer_id=prep.customer_id,
            record_type=record_type,
            record_id=prep.record_id,
            schema_version=self._schema_version,
            status="active",
            payload=blob,
            created_at=now,
            updated_at=now,
            version=1,
        )

    # ------------------------------------------------------------------ writes

    def create(
        self,
        record_type: str,
        values: Mapping[str, object],
        *,
        purpose: str,
        customer_id: str | None = None,
        record_id: str | None = None,
        hook: TxHook | None = None,
    ) -> RecordRef:
        """Validate, encrypt and store one record; a customer record also gets a fresh DEK.

        :raises ValidationError: for an unknown type or field, a bad value, or a field the purpose
            does not need.
        :raises NotFound: for an owned record whose customer does not exist.
        :raises Conflict: if the id is taken.
        """
        prep = self._prepare(record_type, purpose, values, customer_id=customer_id, record_id=record_id)
        return self._store([prep], record_type, hook=hook)[0]

    def _store(
        self, preps: Sequence[_Prepared], record_type: str, hook: TxHook | None = None
    ) -> list[RecordRef]:
        now = self.clock.now()
        rows: list[RecordRow] = []
        index_rows: list[IndexRow] = []
        new_keys: list[WrappedKeyRow] = []
        for prep in preps:
            if record_type == CUSTOMER:
                wrapped = self._data_keys.create(self.tenant, prep.customer_id)
                sealer = sealer_for(self.keyring.suite, wrapped.dek)
                new_keys.append(
                    WrappedKeyRow(self.tenant, prep.customer_id, wrapped.kek_version, wrapped.blob, now, None)
                )
            else:
                sealer = self._sealer_of(prep.customer_id)
            rows.append(
                self._row(
                    record_type,
                    prep,
                    self._seal_fields(sealer, record_type, prep.record_id, prep.values),
                    now,
                )
            )
            index_rows.extend(self._index_rows(record_type, prep))
        if new_keys:
            # The key store commits first: an orphan wrapped key (data insert failed) is harmless
            # and is removed below; data without its key would be unreadable garbage.
            self.keys.put_many(new_keys)
        refs = [RecordRef(p.customer_id, record_type, p.record_id) for p in preps]
        try:
            with self.db.transaction() as conn:
                self.db.insert_records(conn, rows, index_rows)
                if hook is not None:
                    hook(conn, refs)
        except BaseException:
            for key in new_keys:
                self.keys.destroy(key.tenant, key.customer_id)
            raise
        return refs

    def import_rows(
        self,
        record_type: str,
        rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
        *,
        purpose: str,
        batch_size: int = 2000,
        progress: Callable[[int], None] | None = None,
        hook: TxHook | None = None,
    ) -> ImportReport:
        """Import numbered rows; each row is stored whole or rejected whole.

        ``hook`` runs inside each batch's data transaction with the batch's records (the audit
        entries of an import commit with the rows they describe).

        ``rows`` yields ``(row_number, values)``; a reader that could not decode a row yields a
        ``ValidationError`` in its place and the row is reported as rejected.
        """
        report = ImportReport()
        batch: list[tuple[int, _Prepared]] = []

        def flush() -> None:
            if not batch:
                return
            try:
                refs = self._store([p for _, p in batch], record_type, hook=hook)
                report.accepted += len(refs)
                report.ids.extend(r.record_id for r in refs)
            except (Conflict, NotFound):
                # Isolate the offending rows: store one by one so the good rows still land.
                for number, prep in batch:
                    try:
                        ref = self._store([prep], record_type, hook=hook)[0]
                        report.accepted += 1
                        report.ids.append(ref.record_id)
                    except Conflict:
                        report.rejected.append(Rejection(number, "customer_id", "id already exists"))
                    except NotFound:
                        report.rejected.append(Rejection(number, "customer_id", "no such customer"))
            if progress is not None:
                progress(len(batch))
            batch.clear()

        for number, values in rows:
            if isinstance(values, ValidationError):
                report.rejected.append(Rejection(number, values.field, values.reason))
                if progress is not None:
                    progress(1)
                continue
            try:
                vals = dict(values)
                cid = vals.pop("customer_id", None)
                rid = vals.pop("record_id", None)
                prep = self._prepare(
                    record_type,
                    purpose,
                    vals,
                    customer_id=str(cid) if cid not in (None, "") else None,
                    record_id=str(rid) if rid not in (None, "") else None,
                )
            except ValidationError as exc:
                report.rejected.append(Rejection(number, exc.field, exc.reason))
                if progress is not None:
                    progress(1)
                continue
            batch.append((number, prep))
            if len(batch) >= batch_size:
                flush()
        flush()
        return report

    def update(
        self,
        record_type: str,
        record_id: str,
        values: Mapping[str, object],
        *,
        purpose: str,
        hook: TxHook | None = None,
    ) -> RecordRef:
        """Change some fields of a record (``None`` or ``""`` removes a field)."""
        allowed = self.catalog.fields_for(purpose, record_type)
        with self.db.transaction() as conn:
            row = self.db.get_record(conn, self.tenant, record_type, check_id(record_id, "record_id"))
            if row is None:
                raise NotFound(f"no such {record_type} record")
            sealer = self._sealer_of(row.customer_id)
            current = self._open_all(sealer, row)
            for name, raw in values.items():
                self.field(record_type, name)
                if name not in allowed:
                    raise ValidationError(f"not needed for purpose '{purpose}'", name)
                for slot in (name, name + ORIGINAL_SUFFIX, name + PI_TYPES_SUFFIX):
                    current.pop(slot, None)
                if raw is not None and raw != "":
                    fdef = self.field(record_type, name)
                    current.update(self._stored_values(fdef, self.normalize(record_type, name, raw)))
            for name, fdef in self.record_type(record_type).fields.items():
                if fdef.required and name not in current:
                    raise ValidationError("required field is missing", name)
            prep = _Prepared(row.customer_id, row.record_id, current)
            new_row = RecordRow(
                tenant=row.tenant,
                customer_id=row.customer_id,
                record_type=record_type,
                record_id=row.record_id,
                schema_version=self._schema_version,
                status=row.status,
                payload=self._seal_fields(sealer, record_type, row.record_id, current),
                created_at=row.created_at,
                updated_at=self.clock.now(),
                version=row.version + 1,
            )
            self.db.update_record(
                conn, new_row, self._index_rows(record_type, prep), expected_version=row.version
            )
            ref = RecordRef(row.customer_id, record_type, row.record_id)
            if hook is not None:
                hook(conn, [ref])
        return ref

    # ------------------------------------------------------------------ reads

    def _open(self, sealer: Sealer, row: RecordRow, names: Iterable[str]) -> dict[str, str]:
        cts = payload.unpack(row.payload)
        aad = self._aad(row.record_type, row.schema_version)
        out: dict[str, str] = {}
        for name in names:
            ct = cts.get(name)
            if ct is None:
                continue
            out[name] = sealer.open(ct, aad(row.record_id, name)).decode("utf-8")
        return out

    def _open_all(self, sealer: Sealer, row: RecordRow) -> dict[str, str]:
        return self._open(sealer, row, payload.unpack(row.payload).keys())

    def read(
        self,
        record_type: str,
        record_id: str,
        fields: Sequence[str] | None = None,
        *,
        originals: bool = False,
    ) -> Record:
        """Decrypt the requested fields (all catalog fields when ``fields`` is None).

        With ``originals``, free-text fields also return their companion slots
        (``name#original`` when kept, ``name#pi``: the kinds of PI masked on write).

        :raises NotFound: no such record, or its customer was erased.
        :raises InvalidCiphertext: if a ciphertext was tampered with or moved.
        """
        names = list(fields) if fields is not None else list(self.record_type(record_type).fields)
        for name in names:
            self.field(record_type, name)
        if originals:
            fdefs = self.record_type(record_type).fields
            names += [
                n + s for n in list(names) if fdefs[n].free_text for s in (ORIGINAL_SUFFIX, PI_TYPES_SUFFIX)
            ]
        with self.db.read() as conn:
            row = self.db.get_record(conn, self.tenant, record_type, check_id(record_id, "record_id"))
        if row is None:
            raise NotFound(f"no such {record_type} record")
        sealer = self._sealer_of(row.customer_id)
        return Record(
            RecordRef(row.customer_id, record_type, row.record_id), self._open(sealer, row, names), row.status
        )

    def customer_records(self, customer_id: str, record_type: str | None = None) -> list[RecordRef]:
        with self.db.read() as conn:
            rows = self.db.get_customer_records(
                conn, self.tenant, check_id(customer_id, "customer_id"), record_type
            )
        return [RecordRef(r.customer_id, r.record_type, r.record_id) for r in rows]

    def search(
        self, record_type: str, field_name: str, value: object, *, limit: int = 100
    ) -> list[RecordRef]:
        """Exact match through the blind index; false positives removed after decryption.

        :raises ValidationError: if the field is not searchable or the value is invalid for its type.
        """
        fdef = self.field(record_type, field_name)
        if not fdef.searchable:
            raise ValidationError("field is not searchable", field_name)
        wanted = self.normalize(record_type, field_name, value)
        digest = self._indexer.digest(
            self.tenant, record_type, field_name, wanted, self.index_bits(record_type, fdef)
        )
        with self.db.read() as conn:
            rows = self.db.records_by_index(conn, self.tenant, record_type, field_name, digest)
        # One key-store query for every candidate's wrapped key; an erased customer has none.
        keys = self.keys.get_many(self.tenant, {row.customer_id for row in rows}) if rows else {}
        matches: list[RecordRef] = []
        for row in rows:
            wrapped = keys.get(row.customer_id)
            if wrapped is None:
                continue
            sealer = self._data_keys.sealer(self.tenant, row.customer_id, wrapped.wrapped)
            got = self._open(sealer, row, [field_name]).get(field_name)
            if got is not None and got == wanted:
                matches.append(RecordRef(row.customer_id, record_type, row.record_id))
                if len(matches) >= limit:
                    break
        return matches

    def exists(self, customer_id: str) -> bool:
        return self.keys.get(self.tenant, customer_id) is not None

    # ------------------------------------------------------------------ erase and keys

    def erase(self, customer_id: str, *, hook: TxHook | None = None) -> int:
        """Crypto-shred a customer: delete records and index entries and destroy the wrapped DEK.

        Order matters. Inside the data transaction the records and index rows are deleted and
        the hook (the audit entry) is written; then, still before that transaction commits,
        the wrapped DEK is destroyed in the key store. So an audit failure erases nothing
        (fail closed), and once the key is gone every copy of the customer's ciphertexts,
        backups of the data database included, is unreadable. Only a failure of the final
        commit itself could leave a shredded customer whose rows are still present: they are
        unreadable, and erasing again removes them.

        :returns: the number of records deleted.
        :raises NotFound: if the customer is unknown or already erased.
        """
        check_id(customer_id, "customer_id")
        if self.keys.get(self.tenant, customer_id) is None:
            raise NotFound("no such customer (unknown or erased)")
        with self.db.transaction() as conn:
            count = self.db.delete_customer(conn, self.tenant, customer_id)
            if hook is not None:
                hook(conn, [RecordRef(customer_id, CUSTOMER, customer_id)])
            if not self.keys.destroy(self.tenant, customer_id):
                raise NotFound("no such customer (erased meanwhile)")
            self._data_keys.forget(self.tenant, customer_id)
        return count

    def rotate_kek(
        self, *, batch_size: int = 5000, progress: Callable[[int], None] | None = None
    ) -> dict[str, int]:
        """Add a KEK version and re-wrap every DEK under it, online.

        Field ciphertexts are untouched. Reads keep working throughout: a DEK not yet
        re-wrapped still opens under its old KEK version.
        """
        new_version = self.keyring.rotate_kek()
        rewrapped = 0
        for batch in self.keys.iter_batches(batch_size):
            updates = []
            for row in batch:
                if row.kek_version == new_version:
                    continue
                blob = self._data_keys.rewrap(row.tenant, row.customer_id, row.wrapped)
                updates.append((row.tenant, row.customer_id, row.kek_version, new_version, blob))
            if updates:
                rewrapped += self.keys.rewrap_many(updates)
            if progress is not None:
                progress(len(batch))
        return {"kek_version": new_version, "rewrapped": rewrapped}

    def retire_kek(self, version: int) -> None:
        """Retire an old KEK version once no DEK is wrapped under it.

        :raises Conflict: while DEKs still use it (rotate first).
        """
        remaining = self.keys.count_by_kek_version().get(version, 0)
        if remaining:
            raise Conflict(
                f"{remaining} data keys still use KEK version {version}; run 'piguard keys rotate' first"
            )
        self.keyring.retire_kek(version)

    def key_status(self) -> dict[str, Any]:
        status = dict(self.keyring.status())
        status["data_keys_by_kek_version"] = {
            str(k): v for k, v in sorted(self.keys.count_by_kek_version().items())
        }
        return status

    def iter_customer_ids(self, batch_size: int = 1000) -> Iterator[str]:
        for batch in self.keys.iter_batches(batch_size):
            for row in batch:
                yield row.customer_id
