"""The records operations, declared as data: the vault's own capability (handlers in
:mod:`piguard.gate.records`)."""

from __future__ import annotations

from typing import Any

from piguard.catalog.vocabulary import Action
from piguard.gate.operation import Operation, Subject
from piguard.gate.probes import PROBE_DETAIL

CAPABILITY = "records"


def _op(name: str, action: Action, subject: Subject, summary: str, **kw: Any) -> Operation:
    return Operation(name, (action,), subject, CAPABILITY, summary=summary, **kw)


CREATE = _op(
    "create", "write", "customer", "store a new record", writes=True, requirements=("R-COL-3", "R-STO-1")
)
READ = _op(
    "read",
    "read",
    "customer",
    "read a record, each field decided and masked as decided",
    requirements=("R-USE-1", "R-USE-2", "R-USE-4", "R-USE-5"),
    detail={"levels": "levels", "flags": "flags"},
)
UPDATE = _op(
    "update", "write", "customer", "change fields of a record", writes=True, requirements=("R-COL-3",)
)
SEARCH = _op(
    "search",
    "search",
    "many",
    "exact search by a searchable field; answers only customers the caller may process; "
    "on a field the caller sees only masked, a probe (hit or miss) under its probe budget",
    requirements=("R-USE-1", "R-USE-3", "R-USE-5"),
    detail={"matches": "int", **PROBE_DETAIL},
)
MATCH = _op(
    "match",
    "read",
    "customer",
    "does a stated value equal the customer's field? yes or no only, the value never stored; "
    "on a field the caller sees only masked, a probe under its probe budget",
    requirements=("R-USE-1", "R-USE-3"),
    detail={"matches": "int", **PROBE_DETAIL},
)
LIST = _op(
    "list",
    "list",
    "customer",
    "list one customer's records",
    requirements=("R-USE-1",),
    detail={"records": "int"},
)
EXPORT = _op(
    "export",
    "export",
    "many",
    "export records under a single-use export grant, masked",
    requirements=("R-USE-3", "R-USE-4"),
    detail={"grant": "token", "records": "int", "rows": "int"},
)
EXPORT_ROW = _op(
    "export_row",
    "export",
    "customer",
    "one exported row (recorded per row, refusals included)",
    requirements=("R-USE-4",),
    detail={"grant": "token"},
    part_of="export",
)
IMPORT = _op(
    "import",
    "write",
    "many",
    "bulk import; one entry per stored record, in each batch's transaction",
    writes=True,
    requirements=("R-COL-3", "R-COL-4"),
)
IMPORT_SUMMARY = _op(
    "import_summary",
    "write",
    "none",
    "an import's totals (``dry_run`` when nothing was written)",
    detail={"accepted": "int", "rejected": "int", "dry_run": "bool", "resumed_after_row": "int"},
    part_of="import",
)
ERASE = _op(
    "erase",
    "erase",
    "customer",
    "crypto-shred a customer: records deleted, data key destroyed",
    purpose=False,
    writes=True,
    requirements=("R-DST-1", "R-RGT-4"),
    detail={"reason_given": "bool", "records": "int"},
)
KEY_STATUS = _op("key_status", "administer", "none", "key versions and counts", purpose=False)
KEY_ROTATE = _op(
    "key_rotate",
    "administer",
    "none",
    "add a KEK version and re-wrap every data key",
    purpose=False,
    requirements=("R-STO-1",),
    detail={"kek_version": "int", "rewrapped": "int", "resumed": "bool"},
)
KEY_RETIRE = _op(
    "key_retire",
    "administer",
    "none",
    "retire an unused KEK version",
    purpose=False,
    detail={"kek_version": "int"},
)
REINDEX = _op(
    "reindex",
    "administer",
    "none",
    "rebuild the blind index from the sealed values (after the match key changed); idempotent",
    purpose=False,
    requirements=("R-STO-1",),
    detail={"records": "int", "reindexed": "int"},
)

OPERATIONS: tuple[Operation, ...] = (
    CREATE,
    READ,
    UPDATE,
    SEARCH,
    MATCH,
    LIST,
    EXPORT,
    EXPORT_ROW,
    IMPORT,
    IMPORT_SUMMARY,
    ERASE,
    KEY_STATUS,
    KEY_ROTATE,
    KEY_RETIRE,
    REINDEX,
)
