"""The vault: customer records stored under field-level encryption.

**Invariant:** this package is the only one that combines ``piguard.crypto`` and
``piguard.store``. It knows nothing of principals, roles or masks: it validates,
encrypts, stores, finds and decrypts. Policy (who may, for which purpose, what is
shown) is decided by the gate in ``piguard.gate``, the vault's only caller.

Key hierarchy: KEK (keyring file or HSM) wraps one data key (DEK) per customer;
every field of every record the customer owns is sealed under that DEK with
associated data naming tenant, record type, record id, field and catalog schema
version. Erasing a customer destroys the wrapped DEK in the key store, which
lives apart from the data database (crypto-shredding).

:class:`Vault` is a facade over parts sharing one :class:`~piguard.vault.context.VaultContext`:
:attr:`Vault.values` (validation, minimisation, free-text masking: :mod:`piguard.vault.values`),
:attr:`Vault.sealing` (ciphertexts and blind indexes: :mod:`piguard.vault.sealing`) and
:attr:`Vault.customer_keys` (erasure and KEK rotation: :mod:`piguard.vault.keys`); batch
import is :mod:`piguard.vault.importing`. What stays here is the storing and reading of records.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from piguard import validate
from piguard.catalog import Catalog, Field
from piguard.clock import Clock, SystemClock
from piguard.crypto.aead import sealer_for
from piguard.crypto.keyring import Keyring
from piguard.errors import Conflict, Error, NotFound, ValidationError
from piguard.facade import Forward
from piguard.store import Database, IndexRow, KeyStore, RecordRow, WrappedKeyRow
from piguard.vault import bulk, payload
from piguard.vault.context import VaultContext
from piguard.vault.ids import check_id
from piguard.vault.importing import import_rows
from piguard.vault.keys import CustomerKeys
from piguard.vault.model import ImportReport, Record, RecordRef, TxHook
from piguard.vault.sealing import RecordSealing
from piguard.vault.tables import import_checkpoints
from piguard.vault.values import CUSTOMER, ORIGINAL_SUFFIX, PI_TYPES_SUFFIX, Prepared, RecordValues

# Re-exported: the gate and the tests import these from here.
__all__ = ["CUSTOMER", "ORIGINAL_SUFFIX", "PI_TYPES_SUFFIX", "TxHook", "Vault"]


class Vault:
    """Field-encrypted customer records over a data database and a separate key store."""

    # Settings live on the shared context; reading or assigning them here reaches every part.
    catalog = Forward[Catalog]("context")
    db = Forward[Database]("context")
    keys = Forward[KeyStore]("context")
    keyring = Forward[Keyring]("context")
    tenant = Forward[str]("context")
    clock = Forward[Clock]("context")

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
        self.context = VaultContext(
            catalog=catalog, db=db, keys=keys, keyring=keyring, tenant=tenant, clock=clock or SystemClock()
        )
        self._data_keys = self.context.data_keys
        self.values = RecordValues(self.context, bank_card_checksum=bank_card_checksum)
        self.sealing = RecordSealing(self.context, expected_customers=expected_customers)
        self.customer_keys = CustomerKeys(self.context)

    # ------------------------------------------------------------------ values

    def record_type(self, name: str) -> Any:
        return self.values.record_type(name)

    def field(self, record_type: str, name: str) -> Field:
        return self.values.field(record_type, name)

    def index_bits(self, record_type: str, field: Field) -> int:
        return self.sealing.index_bits(record_type, field)

    def normalize(self, record_type: str, name: str, raw: object) -> str:
        """Validate and normalise one value for ``record_type.name``.

        :raises ValidationError: naming the field, never quoting the value.
        """
        return self.values.normalize(record_type, name, raw)

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
        prep = self.values.prepare(record_type, purpose, values, customer_id=customer_id, record_id=record_id)
        return self._store([prep], record_type, hook=hook)[0]

    def _store(
        self, preps: Sequence[Prepared], record_type: str, hook: TxHook | None = None
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
                sealer = self.sealing.sealer_of(prep.customer_id)
            rows.append(
                self.sealing.row(
                    record_type,
                    prep,
                    self.sealing.seal_fields(sealer, record_type, prep.record_id, prep.values),
                    now,
                )
            )
            index_rows.extend(self.sealing.index_rows(record_type, prep))
        refs = [RecordRef(p.customer_id, record_type, p.record_id) for p in preps]
        self._write(refs, rows, index_rows, new_keys, hook)
        return refs

    def _write(
        self,
        refs: Sequence[RecordRef],
        rows: Sequence[RecordRow],
        index_rows: Sequence[IndexRow],
        new_keys: Sequence[WrappedKeyRow],
        hook: TxHook | None,
    ) -> None:
        """Store sealed rows: their new keys first, then records, index rows and the hook's
        entries in one data transaction (the key rows are removed again if that fails)."""
        if new_keys:
            # The key store commits first: an orphan wrapped key (data insert failed) is harmless
            # and is removed below; data without its key would be unreadable garbage.
            self.keys.put_many(new_keys)
        try:
            with self.db.transaction() as conn:
                self.db.insert_records(conn, rows, index_rows)
                if hook is not None:
                    hook(conn, refs)
        except BaseException:
            for key in new_keys:
                self.keys.destroy(key.tenant, key.customer_id, ledger=False)
            raise

    def import_rows(
        self,
        record_type: str,
        rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
        *,
        purpose: str,
        batch_size: int = 2000,
        progress: Callable[[int], None] | None = None,
        hook: TxHook | None = None,
        dry_run: bool = False,
        workers: int | None = None,
        checkpoint: str | None = None,
    ) -> ImportReport:
        """Import numbered rows; each row is stored whole or rejected whole.

        Customers (more than :data:`piguard.vault.bulk.MIN_PARALLEL_ROWS` of them, with a KEK held
        in memory) are sealed by ``workers`` forked processes (default
        :func:`piguard.vault.bulk.workers_wanted`) and stored by this one: see :mod:`piguard.vault.bulk`.

        With ``dry_run`` every row is checked as it would be (values, ids taken, owners
        missing, ids repeated in the file) and the report says what would happen; nothing is
        stored, no key is made, ``hook`` never runs, and ``ids`` stays empty.

        ``hook`` runs inside each batch's data transaction with the batch's records (the audit
        entries of an import commit with the rows they describe).

        ``rows`` yields ``(row_number, values)``; a reader that could not decode a row yields a
        ``ValidationError`` in its place and the row is reported as rejected.

        With ``checkpoint`` (:meth:`import_key`) each batch also records, in its own transaction,
        the number of its last row (:meth:`rows_done`): a caller resuming a stopped import skips
        the rows up to it.
        """
        mark = None if checkpoint is None or dry_run else self._marker(checkpoint, record_type)

        def prepare(values: Mapping[str, object], customer_id: str | None, record_id: str | None) -> Prepared:
            return self.values.prepare(
                record_type, purpose, values, customer_id=customer_id, record_id=record_id
            )

        def store(preps: Sequence[Prepared], hook: TxHook | None) -> list[RecordRef]:
            return self._store(preps, record_type, hook=hook)

        seen: set[str] = set()

        def check(preps: Sequence[Prepared], hook: TxHook | None) -> list[RecordRef]:
            # What _store would refuse, found by reading: the dry run's stand-in for it.
            for prep in preps:
                taken = prep.record_id in seen
                if not taken:
                    with self.db.read() as conn:
                        taken = self.db.get_record(conn, self.tenant, record_type, prep.record_id) is not None
                if taken:
                    raise Conflict("id already exists")
                if record_type != CUSTOMER and not self.exists(prep.customer_id):
                    raise NotFound("no such customer")
            seen.update(p.record_id for p in preps)
            return [RecordRef(p.customer_id, record_type, p.record_id) for p in preps]

        stream = iter(rows)
        workers = bulk.workers_wanted() if workers is None else workers
        if not dry_run and record_type == CUSTOMER and workers > 1 and bulk.parallel_kek(self.keyring):
            head = list(itertools.islice(stream, bulk.MIN_PARALLEL_ROWS))
            stream = itertools.chain(head, stream)
            if len(head) == bulk.MIN_PARALLEL_ROWS:
                # Enough rows to be worth a pool: sealed on every core, stored here.
                report = ImportReport()
                pool = bulk.Pool(self.keyring, workers, self)
                try:
                    bulk.import_customers(
                        self,
                        purpose,
                        stream,
                        pool,
                        batch_size=bulk.BATCH_ROWS,
                        progress=progress,
                        hook=hook,
                        report=report,
                        mark=mark,
                    )
                finally:
                    pool.close()
                report.rejected.sort(key=lambda r: r.row)
                return report
        report = import_rows(
            prepare,
            check if dry_run else store,
            stream,
            batch_size=batch_size,
            progress=progress,
            hook=hook,
            mark=mark,
        )
        if dry_run:
            report.ids.clear()
        return report

    def import_key(self, source: bytes, record_type: str, purpose: str) -> str:
        """The name of an import in ``import_checkpoints``: a keyed digest of its source's bytes,
        record type and purpose (the file's content is PI: never stored, not even hashed plainly)."""
        digest = hashlib.sha256(source).hexdigest()
        key = self.sealing.indexer.digest(
            self.tenant, "import_checkpoint", record_type, f"{purpose}|{digest}", 128
        )
        return key.hex()

    def rows_done(self, checkpoint: str) -> int:
        """The last row number of ``checkpoint``'s last committed batch (0: none yet)."""
        with self.db.read() as conn:
            found = conn.execute(
                select(import_checkpoints.c.rows_done).where(
                    import_checkpoints.c.tenant == self.tenant, import_checkpoints.c.import_key == checkpoint
                )
            ).scalar()
        return int(found or 0)

    def _marker(self, checkpoint: str, record_type: str) -> Callable[[TxHook | None, int], TxHook]:
        table = import_checkpoints
        where = (table.c.tenant == self.tenant, table.c.import_key == checkpoint)

        def mark(hook: TxHook | None, last: int) -> TxHook:
            def both(conn: Connection, refs: Sequence[RecordRef]) -> None:
                if hook is not None:
                    hook(conn, refs)
                conn.execute(delete(table).where(*where))
                conn.execute(
                    insert(table).values(
                        tenant=self.tenant,
                        import_key=checkpoint,
                        record_type=record_type,
                        rows_done=last,
                        updated_at=self.clock.now(),
                    )
                )

            return both

        return mark

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
        return self._rewrite(
            record_type, record_id, values, self.catalog.fields_for(purpose, record_type), purpose, hook
        )

    def erase_partly(
        self,
        customer_id: str,
        *,
        drop: Collection[str] = (),
        strip: Mapping[str, Collection[str]] | None = None,
        drop_records: Collection[str] = (),
        strip_records: Mapping[str, Collection[str]] | None = None,
        hook: TxHook | None = None,
    ) -> dict[str, int]:
        """Erase what no legal floor keeps, in one transaction: delete every record of the record
        types in ``drop`` and the records whose ids are in ``drop_records``; remove
        ``strip[record_type]``'s fields from the records of that type and ``strip_records[record_id]``'s
        from that record (retention decides record by record, a deletion request type by type).
        The customer and their key stay for what is kept (PIPL 47(2)); a later full erasure
        crypto-shreds the rest. Removing data is no processing for a purpose, so no purpose's field
        list applies, and a required field may go too.

        :returns: ``{"deleted": records deleted, "stripped": records changed}``.
        """
        counts = {"deleted": 0, "stripped": 0}
        detail = {
            "drop": sorted(drop),
            "strip": {k: sorted(v) for k, v in (strip or {}).items()},
            "drop_records": sorted(drop_records),
            "strip_records": {k: sorted(v) for k, v in (strip_records or {}).items()},
        }
        with self.db.transaction() as conn:
            rows = self.db.get_customer_records(conn, self.tenant, check_id(customer_id, "customer_id"), None)
            # Entered before the commit: a restore replays it (it can only erase more, never revive).
            self.keys.enter_erasure(self.tenant, customer_id, detail)
            touched: list[RecordRef] = []
            by_type, by_record = strip or {}, strip_records or {}
            for row in rows:
                ref = RecordRef(row.customer_id, row.record_type, row.record_id)
                if row.record_type in drop or row.record_id in drop_records:
                    counts["deleted"] += self.db.delete_record(
                        conn, self.tenant, row.record_type, row.record_id
                    )
                    touched.append(ref)
                elif by_type.get(row.record_type) or by_record.get(row.record_id):
                    names = set(by_type.get(row.record_type) or ()) | set(by_record.get(row.record_id) or ())
                    self._rewrite_in(conn, row.record_type, row.record_id, dict.fromkeys(names), names, None)
                    counts["stripped"] += 1
                    touched.append(ref)
            if hook is not None:
                hook(conn, touched or [RecordRef(customer_id, CUSTOMER, customer_id)])
        return counts

    def _rewrite(
        self,
        record_type: str,
        record_id: str,
        values: Mapping[str, object],
        allowed: Collection[str],
        purpose: str | None,
        hook: TxHook | None,
    ) -> RecordRef:
        with self.db.transaction() as conn:
            ref = self._rewrite_in(conn, record_type, record_id, values, allowed, purpose)
            if hook is not None:
                hook(conn, [ref])
        return ref

    def _rewrite_in(
        self,
        conn: Connection,
        record_type: str,
        record_id: str,
        values: Mapping[str, object],
        allowed: Collection[str],
        purpose: str | None,
    ) -> RecordRef:
        # ``purpose`` None: an erasure, where a required field may go too.
        row = self.db.get_record(conn, self.tenant, record_type, check_id(record_id, "record_id"))
        if row is None:
            raise NotFound(f"no such {record_type} record")
        sealer = self.sealing.sealer_of(row.customer_id)
        current = self.sealing.open_all(sealer, row)
        for name, raw in values.items():
            self.field(record_type, name)
            if name not in allowed:
                raise ValidationError(f"not needed for purpose '{purpose}'", name)
            for slot in (name, name + ORIGINAL_SUFFIX, name + PI_TYPES_SUFFIX):
                current.pop(slot, None)
            if raw is not None and raw != "":
                fdef = self.field(record_type, name)
                current.update(self.values.stored_values(fdef, self.normalize(record_type, name, raw)))
        for name, fdef in self.record_type(record_type).fields.items():
            if purpose is not None and fdef.required and name not in current:
                raise ValidationError("required field is missing", name)
        prep = Prepared(row.customer_id, row.record_id, current)
        new_row = RecordRow(
            tenant=row.tenant,
            customer_id=row.customer_id,
            record_type=record_type,
            record_id=row.record_id,
            schema_version=self.sealing.schema_version,
            status=row.status,
            payload=self.sealing.seal_fields(sealer, record_type, row.record_id, current),
            created_at=row.created_at,
            updated_at=self.clock.now(),
            version=row.version + 1,
        )
        self.db.update_record(
            conn, new_row, self.sealing.index_rows(record_type, prep), expected_version=row.version
        )
        return RecordRef(row.customer_id, record_type, row.record_id)

    # ------------------------------------------------------------------ reads

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
        sealer = self.sealing.sealer_of(row.customer_id)
        return Record(
            RecordRef(row.customer_id, record_type, row.record_id),
            self.sealing.open(sealer, row, names),
            row.status,
        )

    def customer_records(self, customer_id: str, record_type: str | None = None) -> list[RecordRef]:
        with self.db.read() as conn:
            rows = self.db.get_customer_records(
                conn, self.tenant, check_id(customer_id, "customer_id"), record_type
            )
        return [RecordRef(r.customer_id, r.record_type, r.record_id) for r in rows]

    def record_times(self, customer_id: str) -> list[tuple[RecordRef, datetime, datetime, frozenset[str]]]:
        """The customer's records with when each was created and last changed and which fields
        they hold (the payload's slot names, nothing decrypted: what retention counts from)."""
        with self.db.read() as conn:
            rows = self.db.get_customer_records(conn, self.tenant, check_id(customer_id, "customer_id"))
        return [
            (
                RecordRef(r.customer_id, r.record_type, r.record_id),
                r.created_at,
                r.updated_at,
                frozenset(name for name in payload.unpack(r.payload) if "#" not in name),
            )
            for r in rows
        ]

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
        digest = self.sealing.digest(record_type, fdef, wanted)
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
            got = self.sealing.open(sealer, row, [field_name]).get(field_name)
            # Compared by match key, as indexed: the stored name keeps the dots the customer typed.
            if got is not None and validate.match_key(fdef.type, got) == validate.match_key(
                fdef.type, wanted
            ):
                matches.append(RecordRef(row.customer_id, record_type, row.record_id))
                if len(matches) >= limit:
                    break
        return matches

    # ------------------------------------------------------------------ the blind index

    def reindex(
        self, *, batch_size: int = 500, progress: Callable[[int], None] | None = None
    ) -> dict[str, int]:
        """Rebuild the blind index of every record with searchable fields from its sealed values
        (after the match key changed, e.g. names now fold middle dots, widths and case).

        Idempotent: a record whose index rows are already right is left alone; each batch commits
        on its own, so an interrupted run is finished by running it again. Values are opened in
        memory only; nothing but digests is written.

        :returns: ``records`` looked at and ``reindexed`` (records whose rows changed).
        """
        looked = changed = 0
        for record_type, spec in self.catalog.record_types.items():
            names = [n for n, f in spec.fields.items() if f.searchable]
            if not names:
                continue
            for batch in self.db.record_batches(self.tenant, record_type, batch_size):
                keys = self.keys.get_many(self.tenant, {row.customer_id for row in batch})
                with self.db.transaction() as conn:
                    for row in batch:
                        wrapped = keys.get(row.customer_id)
                        if wrapped is None:
                            continue  # erased meanwhile: its rows went with it
                        sealer = self._data_keys.sealer(self.tenant, row.customer_id, wrapped.wrapped)
                        values = self.sealing.open(sealer, row, names)
                        fields = spec.fields
                        rows = [
                            IndexRow(
                                self.tenant,
                                record_type,
                                n,
                                self.sealing.digest(record_type, fields[n], v),
                                row.customer_id,
                                row.record_id,
                            )
                            for n, v in values.items()
                        ]
                        if self.db.replace_index_rows(conn, row, rows):
                            changed += 1
                looked += len(batch)
                if progress is not None:
                    progress(len(batch))
        return {"records": looked, "reindexed": changed}

    def searchable_records(self) -> int:
        """How many records have searchable fields (the length of a :meth:`reindex` run)."""
        with self.db.read() as conn:
            return sum(
                self.db.count_records(conn, self.tenant, rt)
                for rt, spec in self.catalog.record_types.items()
                if any(f.searchable for f in spec.fields.values())
            )

    # ------------------------------------------------------------------ erase and keys

    def exists(self, customer_id: str) -> bool:
        return self.customer_keys.exists(customer_id)

    def erase(self, customer_id: str, *, hook: TxHook | None = None) -> int:
        """Crypto-shred a customer: delete records and index entries and destroy the wrapped DEK
        (see :meth:`piguard.vault.keys.CustomerKeys.erase` for why the order is safe).

        :returns: the number of records deleted.
        :raises NotFound: if the customer is unknown or already erased.
        """
        return self.customer_keys.erase(customer_id, hook=hook)

    def replay_erasure(self, entry: Mapping[str, Any], *, hook: TxHook | None = None) -> tuple[bool, int]:
        """Apply one entry of another key store's erasure ledger here (a restored backup catching
        up with erasures made after it was taken). Idempotent: what is gone already is skipped.

        A ``customer`` entry destroys the key and deletes every record and index row, also when
        the key is already gone but rows remain (a backup whose data copy was taken before the
        erasure and its key store copy after). A ``partial`` entry drops and strips as it did.

        :returns: whether anything was left to erase, and how many records were deleted or changed.
        """
        customer_id = check_id(str(entry["customer_id"]), "customer_id")
        if entry["kind"] == "customer":
            if self.customer_keys.exists(customer_id):
                return True, self.erase(customer_id, hook=hook)
            if not self.customer_records(customer_id):
                return False, 0
            with self.db.transaction() as conn:
                count = self.db.delete_customer(conn, self.tenant, customer_id)
                if hook is not None:
                    hook(conn, [RecordRef(customer_id, CUSTOMER, customer_id)])
            return True, count
        detail = entry["detail"]
        present = {ref.record_id: ref.record_type for ref in self.customer_records(customer_id)}
        drop = set(detail.get("drop") or ())
        drop_records = {r for r in detail.get("drop_records") or () if r in present}
        strip = {t: f for t, f in (detail.get("strip") or {}).items() if t in present.values()}
        strip_records = {r: f for r, f in (detail.get("strip_records") or {}).items() if r in present}
        if not (drop & set(present.values()) or drop_records or strip or strip_records):
            return False, 0
        counts = self.erase_partly(
            customer_id,
            drop=drop,
            strip=strip,
            drop_records=drop_records,
            strip_records=strip_records,
            hook=hook,
        )
        return True, counts["deleted"] + counts["stripped"]

    def check_readable(self, limit: int) -> dict[str, int]:
        """Open every field of the records of up to ``limit`` customers and discard the values:
        the proof a restored copy's keys open its data (counts only, nothing returned)."""
        checked = failed = 0
        for number, customer_id in enumerate(self.iter_customer_ids()):
            if number >= limit:
                break
            for ref in self.customer_records(customer_id):
                try:
                    self.read(ref.record_type, ref.record_id)
                    checked += 1
                except Error:
                    failed += 1
        return {"records": checked, "failed": failed}

    def rotate_kek(
        self,
        *,
        batch_size: int = 5000,
        progress: Callable[[int], None] | None = None,
        resume: bool = False,
    ) -> dict[str, int]:
        """Add a KEK version and re-wrap every DEK under it, online (field ciphertexts untouched);
        ``resume`` finishes a stopped rotation instead (see :meth:`CustomerKeys.rotate_kek`)."""
        return self.customer_keys.rotate_kek(batch_size=batch_size, progress=progress, resume=resume)

    def retire_kek(self, version: int) -> None:
        """Retire an old KEK version once no DEK is wrapped under it.

        :raises Conflict: while DEKs still use it (rotate first).
        """
        self.customer_keys.retire_kek(version)

    def key_status(self) -> dict[str, Any]:
        return self.customer_keys.key_status()

    def iter_customer_ids(self, batch_size: int = 1000) -> Iterator[str]:
        return self.customer_keys.iter_customer_ids(batch_size)
