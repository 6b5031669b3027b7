"""The customers' data keys: existence, crypto-shredding, KEK rotation and retirement.

A customer exists while their wrapped DEK does. Erasing destroys it (crypto-shredding: every
ciphertext of the customer, in backups too, becomes unreadable); rotating re-wraps every DEK
under a new KEK version without touching field ciphertexts; an old version is retired only
once no DEK uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from piguard.errors import Conflict, NotFound
from piguard.vault import bulk
from piguard.vault.context import VaultContext
from piguard.vault.ids import check_id
from piguard.vault.model import RecordRef, TxHook
from piguard.vault.values import CUSTOMER


class CustomerKeys:
    """Key operations of one vault over its key store and keyring."""

    def __init__(self, context: VaultContext) -> None:
        self.context = context

    def exists(self, customer_id: str) -> bool:
        """Whether the customer has a data key (known and not erased)."""
        return self.context.keys.get(self.context.tenant, customer_id) is not None

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
        ctx = self.context
        check_id(customer_id, "customer_id")
        if ctx.keys.get(ctx.tenant, customer_id) is None:
            raise NotFound("no such customer (unknown or erased)")
        with ctx.db.transaction() as conn:
            count = ctx.db.delete_customer(conn, ctx.tenant, customer_id)
            if hook is not None:
                hook(conn, [RecordRef(customer_id, CUSTOMER, customer_id)])
            if not ctx.keys.destroy(ctx.tenant, customer_id):
                raise NotFound("no such customer (erased meanwhile)")
            ctx.data_keys.forget(ctx.tenant, customer_id)
        return count

    def rotate_kek(
        self,
        *,
        batch_size: int = 5000,
        progress: Callable[[int], None] | None = None,
        resume: bool = False,
        workers: int | None = None,
    ) -> dict[str, int]:
        """Add a KEK version and re-wrap every DEK under it, online, a batch at a time.

        Field ciphertexts are untouched. Reads keep working throughout: a DEK not yet
        re-wrapped still opens under its old KEK version. Each batch commits on its own (a
        compare-and-set per key), so a rotation stopped half-way (even by SIGKILL) is finished
        with ``resume``: no new KEK version, only the keys not yet under the current one are
        re-wrapped, none twice.

        With a KEK held in memory, ``workers`` forked processes (default
        :func:`piguard.vault.bulk.workers_wanted`) do the unwrap and wrap of each batch.
        """
        ctx = self.context
        new_version = ctx.keyring.kek.current_version if resume else ctx.keyring.rotate_kek()
        workers = bulk.workers_wanted() if workers is None else workers
        pool = bulk.Pool(ctx.keyring, workers) if workers > 1 and bulk.parallel_kek(ctx.keyring) else None
        rewrapped = 0
        try:
            for batch in ctx.keys.iter_batches(batch_size):
                todo = [
                    (row.tenant, row.customer_id, row.kek_version, row.wrapped)
                    for row in batch
                    if row.kek_version != new_version
                ]
                if todo:
                    rewrapped += ctx.keys.rewrap_many(self._rewrapped(todo, new_version, pool))
                if progress is not None:
                    progress(len(batch))
        finally:
            if pool is not None:
                pool.close()
        return {"kek_version": new_version, "rewrapped": rewrapped}

    def _rewrapped(
        self, todo: list[tuple[str, str, int, bytes]], new_version: int, pool: bulk.Pool | None
    ) -> list[tuple[str, str, int, int, bytes]]:
        if pool is not None and len(todo) >= bulk.MIN_PARALLEL_ROWS:
            try:
                return [u for f in pool.rewrap(todo, new_version) for u in f.result()]
            except BrokenProcessPool:
                pool.broken()  # a worker died: this batch is re-wrapped here, nothing was written
        rewrap = self.context.data_keys.rewrap
        return [(t, c, old, new_version, rewrap(t, c, blob)) for t, c, old, blob in todo]

    def retire_kek(self, version: int) -> None:
        """Retire an old KEK version once no DEK is wrapped under it.

        :raises Conflict: while DEKs still use it (rotate first).
        """
        remaining = self.context.keys.count_by_kek_version().get(version, 0)
        if remaining:
            raise Conflict(
                f"{remaining} data keys still use KEK version {version}; run 'piguard keys rotate' first"
            )
        self.context.keyring.retire_kek(version)

    def key_status(self) -> dict[str, Any]:
        """The keyring's status and how many DEKs each KEK version wraps."""
        status = dict(self.context.keyring.status())
        status["data_keys_by_kek_version"] = {
            str(k): v for k, v in sorted(self.context.keys.count_by_kek_version().items())
        }
        return status

    def iter_customer_ids(self, batch_size: int = 1000) -> Iterator[str]:
        """Every customer with a data key, in key-store batches."""
        for batch in self.context.keys.iter_batches(batch_size):
            for row in batch:
                yield row.customer_id
