"""The customer view: all a capability's handler can do with one customer's data.

A handler of an operation about one customer gets ``call.view``. Reads are decided per field
for the call's purpose (the same decisions as a staff read); writes are validated,
consent-checked and commit with the call's audit entry; destroy crypto-shreds the customer.
``also`` runs the capability's own table writes inside the same data transaction, so a case
update and the record change it describes commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from piguard.gate.context import FieldView
from piguard.vault.model import RecordRef
from piguard.vault.vault import CUSTOMER, TxHook

if TYPE_CHECKING:
    from piguard.gate.call import Call

OwnWrites = Callable[[Connection], None]


def _with(hook: TxHook, also: OwnWrites | None) -> TxHook:
    if also is None:
        return hook

    def run(conn: Connection, refs: Sequence[RecordRef]) -> None:
        also(conn)
        hook(conn, refs)

    return run


class CustomerView:
    """One customer, as one running call may see and change them."""

    def __init__(self, call: Call) -> None:
        self._call = call
        self.customer_id = call.customer_id

    def read(
        self,
        fields: Sequence[str] | None = None,
        *,
        record_type: str = CUSTOMER,
        record_id: str | None = None,
    ) -> dict[str, FieldView]:
        """Fields of the profile (or of one of the customer's records), decided for the call's purpose.

        :raises NotFound: no such record of this customer.
        """
        records = self._call.gate.records
        rid = record_id or self.customer_id
        ref = RecordRef(self.customer_id, record_type, rid)
        if record_type == CUSTOMER and rid != self.customer_id:
            # The profile's id is the customer's: another id is another customer's profile.
            from piguard.errors import NotFound

            raise NotFound("no such record of this customer")
        if record_type != CUSTOMER:
            owner = records.vault.read(record_type, rid, []).ref
            if owner.customer_id != self.customer_id:
                from piguard.errors import NotFound

                raise NotFound("no such record of this customer")
        return records.decide_and_read(
            self._call, ref, records.fields_of(record_type, fields), require_one=False
        )

    def matches(self, field: str, value: object, *, record_type: str = CUSTOMER) -> bool:
        """Does ``value`` equal this customer's ``field``? Yes or no, never the value: decided like
        a read (a field the call may not read is refused), a probe under the caller's budget when
        it sees the field only masked (identity checks reuse it). Call it outside
        ``call.transaction()``: the probe is counted in its own transaction.

        :raises ValidationError: a value invalid for the field. :raises QuotaExceeded: budget spent.
        """
        return self._call.gate.records.matches(self._call, record_type, field, value)

    def records(self, record_type: str | None = None) -> list[RecordRef]:
        """The customer's records (references only)."""
        return self._call.gate.vault.customer_records(self.customer_id, record_type)

    def write(
        self,
        record_type: str,
        values: Mapping[str, object],
        *,
        record_id: str | None = None,
        also: OwnWrites | None = None,
    ) -> RecordRef:
        """Create (no ``record_id``) or change a record of this customer: least privilege, validation
        and consent as for any write; commits with the call's audit entry (and ``also``)."""
        call = self._call
        records = call.gate.records
        call.touch(sorted(values), record_type)
        hook = _with(records._write_hook(call, record_type, values, self.customer_id), also)
        if record_id is None:
            return records.vault.create(
                record_type, values, purpose=call.ctx.purpose, customer_id=self.customer_id, hook=hook
            )
        return records.vault.update(record_type, record_id, values, purpose=call.ctx.purpose, hook=hook)

    def check(self, record_type: str, values: Mapping[str, object]) -> None:
        """Validate values as a write would, writing nothing (a capability that changes several
        records checks them all first, so nothing is half-written).

        :raises ValidationError: naming the field, never quoting the value.
        """
        vault = self._call.gate.records.vault
        for name, raw in values.items():
            if raw is not None and raw != "":
                vault.normalize(record_type, name, raw)
            else:
                vault.field(record_type, name)

    def erase_partly(
        self,
        *,
        drop: Collection[str] = (),
        strip: Mapping[str, Collection[str]] | None = None,
        drop_records: Collection[str] = (),
        strip_records: Mapping[str, Collection[str]] | None = None,
        also: OwnWrites | None = None,
    ) -> dict[str, int]:
        """Erase part of the customer, with the call's entry; the customer's key stays for the rest
        (PIPL 47(2)): records of the ``drop`` types or with ids in ``drop_records`` deleted,
        ``strip``'s fields (by record type) and ``strip_records``' (by record id) removed."""
        call = self._call
        return call.gate.erase_partly(
            call,
            self.customer_id,
            drop=drop,
            strip=strip,
            drop_records=drop_records,
            strip_records=strip_records,
            hook=_with(call.hook(per_record=False), also),
        )

    def destroy(self, *, also: OwnWrites | None = None) -> int:
        """Crypto-shred the customer (records deleted, data key destroyed), with the call's entry.

        :returns: the number of records deleted.
        """
        call = self._call
        return call.gate.shred(call, self.customer_id, _with(call.hook(per_record=False), also))
