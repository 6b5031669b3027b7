"""Bulk paths in worker processes: imports sealed on every core, one writer feeding the database.

An import of customers is CPU work per row (validation, a data key generated and wrapped, every
field sealed, the blind-index digests) followed by a few bulk statements per batch. The CPU
work is done by forked worker processes, a chunk of a batch each; the importing process stays
the only writer: it stores each sealed batch (keys, records, index rows, audit entries) in
batch order while the workers seal the next one.

**Invariant:** a worker touches no database and keeps nothing. It receives numbered rows,
returns sealed rows or rejections, and exits with the pool. Nothing of a batch is written
before every row of it is sealed, so a worker dying mid-batch leaves nothing half-written: the
batch is then sealed again in the importing process (and the pool started afresh for the next
batches), and each row is still stored whole or rejected whole.

Workers are forked, so they inherit the opened keyring instead of receiving key material over a
pipe. A KEK held by an HSM (a PKCS#11 session) must not cross a fork: the pool is used only with
a KEK held in memory (:func:`parallel_kek`), and every other installation seals in-process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from piguard.crypto.aead import sealer_for
from piguard.crypto.envelope import DataKeys
from piguard.crypto.file_kek import FileKek
from piguard.crypto.keyring import Keyring
from piguard.errors import Conflict, ValidationError
from piguard.orphans import exit_with_parent
from piguard.store import IndexRow, RecordRow, WrappedKeyRow
from piguard.vault.model import ImportReport, RecordRef, Rejection, TxHook
from piguard.vault.values import CUSTOMER, Prepared

if TYPE_CHECKING:
    from piguard.vault.vault import Vault

#: Rows under this many are sealed in-process: a pool costs a fork per worker.
MIN_PARALLEL_ROWS = 4000
#: Rows per batch of a parallel import: one data transaction (and one audit append) each.
BATCH_ROWS = 2000

#: One row handed to a worker: its number in the file, its values, its given ids.
RawRow = tuple[int, dict[str, object], str | None, str | None]


@dataclass(frozen=True, slots=True)
class Sealed:
    """One customer row ready to store: its identity, record row, index rows and wrapped key."""

    number: int
    prep: Prepared
    row: RecordRow
    index_rows: list[IndexRow]
    key: WrappedKeyRow


#: A worker's answer for one row.
Outcome = Sealed | Rejection

# The vault of the importing process, inherited by forked workers (set just before the fork).
_VAULT: Vault | None = None
_KEYRING: Keyring | None = None
_DATA_KEYS: DataKeys | None = None


def parallel_kek(keyring: Keyring) -> bool:
    """Whether the keyring's KEK may be used in forked workers (held in process memory, not an HSM)."""
    return isinstance(keyring.kek, FileKek)


def workers_wanted() -> int:
    """How many worker processes a bulk path starts: ``PIGUARD_BULK_WORKERS``, else one per core."""
    raw = os.environ.get("PIGUARD_BULK_WORKERS", "")
    if raw.strip().isdigit():
        return max(0, int(raw))
    return os.cpu_count() or 1


def seal_customers(
    vault: Vault, data_keys: DataKeys, purpose: str, rows: Sequence[RawRow], now: datetime
) -> list[Outcome]:
    """Validate and seal customer rows (in a worker, or in-process as the fallback).

    Per row only what the row needs: the normaliser per field, one random data key wrapped, one
    AEAD call per field with its prebuilt associated data, one HMAC per searchable field.
    """
    values = vault.values
    sealing = vault.sealing
    tenant = vault.tenant
    suite = vault.keyring.suite
    out: list[Outcome] = []
    for number, vals, cid, rid in rows:
        try:
            prep = values.prepare(CUSTOMER, purpose, vals, customer_id=cid, record_id=rid)
        except ValidationError as exc:
            out.append(Rejection(number, exc.field, exc.reason))
            continue
        wrapped = data_keys.create(tenant, prep.customer_id)
        sealer = sealer_for(suite, wrapped.dek)
        blob = sealing.seal_fields(sealer, CUSTOMER, prep.record_id, prep.values)
        out.append(
            Sealed(
                number,
                prep,
                sealing.row(CUSTOMER, prep, blob, now),
                sealing.index_rows(CUSTOMER, prep),
                WrappedKeyRow(tenant, prep.customer_id, wrapped.kek_version, wrapped.blob, now, None),
            )
        )
    return out


def _worker_init() -> None:
    global _DATA_KEYS
    assert _KEYRING is not None
    exit_with_parent()  # a killed import must not leave workers holding the keyring
    # A cache and lock of the worker's own: the parent's lock may have been held at the fork.
    _DATA_KEYS = DataKeys(_KEYRING, cache_size=0)


def _seal_chunk(purpose: str, rows: list[RawRow], now: datetime) -> list[Outcome]:
    assert _VAULT is not None and _DATA_KEYS is not None
    return seal_customers(_VAULT, _DATA_KEYS, purpose, rows, now)


def _rewrap_chunk(
    rows: list[tuple[str, str, int, bytes]], new_version: int
) -> list[tuple[str, str, int, int, bytes]]:
    assert _DATA_KEYS is not None
    rewrap = _DATA_KEYS.rewrap
    return [(t, c, old, new_version, rewrap(t, c, blob)) for t, c, old, blob in rows]


class Pool:
    """Forked workers for one bulk run; restarted after a worker dies.

    :param keyring: the keyring the workers inherit (its KEK as of the pool's first use).
    :param workers: how many processes.
    :param vault: the vault the workers inherit, for imports.
    """

    def __init__(self, keyring: Keyring, workers: int, vault: Vault | None = None) -> None:
        self.keyring = keyring
        self.vault = vault
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            global _VAULT, _KEYRING
            _VAULT, _KEYRING = self.vault, self.keyring
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_init
            )
        return self._executor

    def seal(self, purpose: str, rows: list[RawRow], now: datetime) -> list[Future[list[Outcome]]]:
        """Submit ``rows`` in one chunk per worker."""
        step = max(1, -(-len(rows) // self.workers))
        ex = self.executor()
        return [ex.submit(_seal_chunk, purpose, rows[i : i + step], now) for i in range(0, len(rows), step)]

    def rewrap(
        self, rows: list[tuple[str, str, int, bytes]], new_version: int
    ) -> list[Future[list[tuple[str, str, int, int, bytes]]]]:
        step = max(1, -(-len(rows) // self.workers))
        ex = self.executor()
        return [ex.submit(_rewrap_chunk, rows[i : i + step], new_version) for i in range(0, len(rows), step)]

    def broken(self) -> None:
        """Forget a pool whose worker died (the next batch starts a new one)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        global _VAULT, _KEYRING
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        _VAULT = _KEYRING = None


def import_customers(
    vault: Vault,
    purpose: str,
    rows: Iterator[tuple[int, Mapping[str, object] | ValidationError]],
    pool: Pool,
    *,
    batch_size: int,
    progress: Callable[[int], None] | None,
    hook: TxHook | None,
    report: ImportReport,
    mark: Callable[[TxHook | None, int], TxHook | None] | None = None,
) -> None:
    """Import customer rows through ``pool``: sealed by the workers, stored here in batch order.

    Two batches are in flight: while the workers seal one, this process stores the one before.
    """
    inflight: deque[tuple[list[RawRow], datetime, list[Future[list[Outcome]]]]] = deque()

    def outcomes(batch: list[RawRow], now: datetime, futures: list[Future[list[Outcome]]]) -> list[Outcome]:
        try:
            return [o for f in futures for o in f.result()]
        except BrokenProcessPool:
            # A worker died: nothing of this batch was stored; seal it here, restart the pool.
            pool.broken()
            return seal_customers(vault, vault.context.data_keys, purpose, batch, now)

    def drain() -> None:
        batch, now, futures = inflight.popleft()
        sealed: list[Sealed] = []
        for outcome in outcomes(batch, now, futures):
            if isinstance(outcome, Rejection):
                report.rejected.append(outcome)
            else:
                sealed.append(outcome)
        store_sealed(vault, sealed, hook, report, mark)
        if progress is not None:
            progress(len(batch))

    def submit(batch: list[RawRow]) -> None:
        now = vault.clock.now()
        try:
            futures = pool.seal(purpose, batch, now)
        except BrokenProcessPool:
            pool.broken()
            futures = pool.seal(purpose, batch, now)
        inflight.append((batch, now, futures))
        if len(inflight) > 2:
            drain()

    batch: list[RawRow] = []
    for number, values in rows:
        if isinstance(values, ValidationError):
            report.rejected.append(Rejection(number, values.field, values.reason))
            if progress is not None:
                progress(1)
            continue
        vals = dict(values)
        cid = vals.pop("customer_id", None)
        rid = vals.pop("record_id", None)
        batch.append(
            (
                number,
                vals,
                str(cid) if cid not in (None, "") else None,
                str(rid) if rid not in (None, "") else None,
            )
        )
        if len(batch) >= batch_size:
            submit(batch)
            batch = []
    if batch:
        submit(batch)
    while inflight:
        drain()


def store_sealed(
    vault: Vault,
    sealed: Sequence[Sealed],
    hook: TxHook | None,
    report: ImportReport,
    mark: Callable[[TxHook | None, int], TxHook | None] | None = None,
) -> None:
    """Store a sealed batch in one go; on an id already taken, row by row (the good rows land)."""
    if not sealed:
        return

    def marked(last: int) -> TxHook | None:
        return hook if mark is None else mark(hook, last)

    try:
        refs = _store(vault, sealed, marked(sealed[-1].number))
    except Conflict:
        refs = []
        for one in sealed:
            try:
                refs.extend(_store(vault, [one], marked(one.number)))
            except Conflict:
                report.rejected.append(Rejection(one.number, "customer_id", "id already exists"))
    report.accepted += len(refs)
    report.ids.extend(r.record_id for r in refs)


def _store(vault: Vault, sealed: Sequence[Sealed], hook: TxHook | None) -> list[RecordRef]:
    refs = [RecordRef(s.prep.customer_id, CUSTOMER, s.prep.record_id) for s in sealed]
    vault._write(
        refs,
        [s.row for s in sealed],
        [i for s in sealed for i in s.index_rows],
        [s.key for s in sealed],
        hook,
    )
    return refs
