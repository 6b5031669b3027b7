"""Bulk import: numbered rows stored in batches, each row stored whole or rejected whole.

A batch is stored in one data transaction (with its hook: the audit entries of an import
commit with the rows they describe). A batch that fails on an id already taken or an
owner that does not exist is stored again row by row, so one bad row costs its batch
speed, never the good rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from piguard.errors import Conflict, NotFound, ValidationError
from piguard.vault.model import ImportReport, RecordRef, Rejection, TxHook
from piguard.vault.values import Prepared

#: Checks and normalises one row's values (``RecordValues.prepare`` with the record type and purpose bound).
Prepare = Callable[[Mapping[str, object], str | None, str | None], Prepared]
#: Stores prepared rows in one transaction, running the hook (the vault's store).
Store = Callable[[Sequence[Prepared], TxHook | None], list[RecordRef]]


def import_rows(
    prepare: Prepare,
    store: Store,
    rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
    *,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    hook: TxHook | None = None,
    mark: Callable[[TxHook | None, int], TxHook | None] | None = None,
) -> ImportReport:
    """:meth:`piguard.vault.vault.Vault.import_rows` over ``prepare`` and ``store``.

    :param mark: gives the hook of a batch whose last row has the given number (the hook plus
        the import's checkpoint, written in the batch's transaction).
    """
    report = ImportReport()
    batch: list[tuple[int, Prepared]] = []

    def marked(last: int) -> TxHook | None:
        return hook if mark is None else mark(hook, last)

    def flush() -> None:
        if not batch:
            return
        try:
            refs = store([p for _, p in batch], marked(batch[-1][0]))
            report.accepted += len(refs)
            report.ids.extend(r.record_id for r in refs)
        except (Conflict, NotFound):
            # Isolate the offending rows: store one by one so the good rows still land.
            for number, prep in batch:
                try:
                    ref = store([prep], marked(number))[0]
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
            prep = prepare(
                vals,
                str(cid) if cid not in (None, "") else None,
                str(rid) if rid not in (None, "") else None,
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
