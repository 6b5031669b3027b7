"""The records operations: the vault's own capability, built into the gate.

create, read, update, search, list, export, import, erase and the key operations, each declared
as an :class:`~piguard.gate.operation.Operation` and run through :meth:`Gate.run`. These are the
only handlers that touch the vault directly; every other capability reaches customer data
through the :class:`~piguard.gate.view.CustomerView` its call hands it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from piguard import masking
from piguard.access.decision import Decision
from piguard.catalog import Field
from piguard.errors import AccessDenied, QuotaExceeded, ValidationError
from piguard.gate.context import FieldView, RequestContext
from piguard.gate.decide import is_bootstrap, show
from piguard.gate.exports import Exports
from piguard.gate.record_operations import (
    CAPABILITY,
    CREATE,
    ERASE,
    IMPORT,
    IMPORT_SUMMARY,
    KEY_RETIRE,
    KEY_ROTATE,
    KEY_STATUS,
    LIST,
    MATCH,
    OPERATIONS,
    READ,
    REINDEX,
    SEARCH,
    UPDATE,
)
from piguard.vault.model import ImportReport, RecordRef
from piguard.vault.vault import CUSTOMER, ORIGINAL_SUFFIX, PI_TYPES_SUFFIX, TxHook

#: Customer fields a search result shows (masked) beside its id, when the catalog declares them.
SUMMARY_FIELDS: tuple[str, ...] = ("name", "mobile")

if TYPE_CHECKING:
    from piguard.gate.call import Call
    from piguard.gate.kernel import Gate


def both(first: TxHook, second: TxHook) -> TxHook:
    """Run two vault transaction hooks in order, inside the same transaction."""

    def hook(conn: Connection, refs: Sequence[RecordRef]) -> None:
        first(conn, refs)
        second(conn, refs)

    return hook


class Records:
    """The records capability (see the module docstring)."""

    name = CAPABILITY
    operations = OPERATIONS

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.vault = gate.vault
        self.catalog = gate.catalog
        self.exports = Exports(self)

    def bind(self, gate: Gate) -> None:  # built in: bound at construction
        self.gate = gate

    # ------------------------------------------------------------------ shared steps

    def fields_of(self, record_type: str, fields: Sequence[str] | None) -> dict[str, Field]:
        names = list(fields) if fields is not None else list(self.vault.record_type(record_type).fields)
        return {n: self.vault.field(record_type, n) for n in names}

    def check_writable(self, ctx: RequestContext, record_type: str, names: Iterable[str]) -> None:
        """A role writes only fields it may at least see masked, for this purpose (least privilege)."""
        if is_bootstrap(ctx.actor):
            return
        for name in names:
            fdef = self.vault.field(record_type, name)
            decision = self.gate.policy.decide(ctx.actor.role, record_type, fdef, ctx.purpose)
            if decision.level == "deny":
                raise AccessDenied(
                    f"role '{ctx.actor.role}' may not write field '{name}' for purpose '{ctx.purpose}'",
                    decision.rule,
                )

    def _normalized(self, record_type: str, values: Mapping[str, object]) -> dict[str, str]:
        """Values as the vault will store them, for the consent checks (age from the resident ID)."""
        return {
            n: self.vault.normalize(record_type, n, v) for n, v in values.items() if v is not None and v != ""
        }

    def _write_hook(
        self, call: Call, record_type: str, values: Mapping[str, object], customer_id: str | None
    ) -> TxHook:
        """Check the write against consent (R-COL-3/4, R-MIN-1) and return the hook that records
        the entry and the age band in the vault's data transaction."""
        ctx = call.ctx
        self.check_writable(ctx, record_type, values)
        normalized = self._normalized(record_type, values)
        consent = self.gate.consent
        consent.check_write(customer_id, ctx.purpose, sorted(values), normalized, record_type=record_type)
        return both(call.hook(), consent.age_hook(normalized, record_type))

    def decide_and_read(
        self, call: Call, ref: RecordRef, fdefs: Mapping[str, Field], *, require_one: bool = True
    ) -> dict[str, FieldView]:
        """Decide ``fdefs`` for ``call``, read the readable ones and mask them as decided."""
        ctx = call.ctx
        decisions = self.gate.decider.decide(ctx, ref, fdefs)
        readable = [n for n, d in decisions.items() if d.level != "deny"]
        if not readable and require_one:
            first = next(iter(decisions.values()), Decision("deny", "redact"))
            raise AccessDenied(
                f"no requested field may be read for purpose '{ctx.purpose}': {first.rule}", first.rule
            )
        notes = [
            n
            for n in readable
            if fdefs[n].free_text and fdefs[n].keep_original and decisions[n].level == "clear"
        ]
        values: dict[str, str] = {}
        if readable:
            record = self.vault.read(ref.record_type, ref.record_id, readable, originals=bool(notes))
            values = record.values
        for name in notes:
            shown = self.gate.decider.note_original(ctx, ref, values.get(name + PI_TYPES_SUFFIX))
            original = values.get(name + ORIGINAL_SUFFIX)
            if shown is not None and original is not None:
                values[name] = original
                decisions[name] = replace(decisions[name], rule=decisions[name].rule + "; " + shown)
        call.touch(readable, ref.record_type)
        call.rule = "; ".join(sorted({f"{n}: {d.rule}" for n, d in decisions.items()}))
        detail: dict[str, Any] = {"levels": {n: d.level for n, d in decisions.items()}}
        if decisions and self.gate.consent.is_under_14(ref.customer_id):
            detail["flags"] = ["minor"]
        if "levels" in call.op.detail:
            call.note(**detail)
        return {n: FieldView(show(d, values.get(n)), d.level, d.rule) for n, d in decisions.items()}

    # ------------------------------------------------------------------ writes

    def create(
        self,
        ctx: RequestContext,
        record_type: str,
        values: Mapping[str, object],
        *,
        customer_id: str | None = None,
        record_id: str | None = None,
    ) -> RecordRef:
        """Store a new record for ``ctx.purpose``; the purpose must cover every given field (R-COL-3).

        A record owned by an existing customer is about that customer: the row scope applies, so
        a front desk cannot give itself a guest by creating a stay for them.
        """
        owner = customer_id if customer_id and record_type != CUSTOMER else None

        def handler(call: Call) -> RecordRef:
            hook = self._write_hook(call, record_type, values, customer_id)
            return self.vault.create(
                record_type,
                values,
                purpose=ctx.purpose,
                customer_id=customer_id,
                record_id=record_id,
                hook=hook,
            )

        return self.gate.run(
            ctx, CREATE, handler, subject=owner, record_type=record_type, fields=sorted(values)
        )

    def update(
        self, ctx: RequestContext, record_type: str, record_id: str, values: Mapping[str, object]
    ) -> RecordRef:
        def handler(call: Call) -> RecordRef:
            hook = self._write_hook(call, record_type, values, call.customer_id)
            return self.vault.update(record_type, record_id, values, purpose=ctx.purpose, hook=hook)

        return self.gate.run(
            ctx, UPDATE, handler, subject=RecordRef("", record_type, record_id), fields=sorted(values)
        )

    def import_rows(
        self,
        ctx: RequestContext,
        record_type: str,
        rows: Iterable[tuple[int, Mapping[str, object] | ValidationError]],
        *,
        progress: Callable[[int], None] | None = None,
        dry_run: bool = False,
        checkpoint: str | None = None,
        resume: bool = False,
    ) -> ImportReport:
        """Bulk import; rows with fields the role may not write, or lacking consent, are rejected whole.

        With ``dry_run`` every row is checked as for real and nothing is written (no record, key
        or consent); the report says what would be accepted and rejected, and the summary
        entry records that it was a dry run.

        With ``checkpoint`` (``vault.import_key`` of the source) every batch records how far it
        got; with ``resume`` too, the rows up to the last committed batch of an earlier run of the
        same source are skipped before anything (consent included) looks at them.
        """

        def handler(call: Call) -> ImportReport:
            after = self.vault.rows_done(checkpoint) if resume and checkpoint else 0

            def checked() -> Iterator[tuple[int, Mapping[str, object] | ValidationError]]:
                for number, row in rows:
                    if number <= after:
                        continue  # committed by the run this one resumes
                    if isinstance(row, ValidationError):
                        yield number, row
                        continue
                    names = [
                        k
                        for k in row
                        if k not in ("customer_id", "record_id") and not k.startswith("consent_")
                    ]
                    try:
                        self.check_writable(ctx, record_type, names)
                    except AccessDenied as exc:
                        yield number, ValidationError(exc.reason)
                        continue
                    owner = row.get("customer_id")
                    if (
                        record_type != CUSTOMER
                        and isinstance(owner, str)
                        and owner
                        and self.vault.exists(owner)
                        and not self.gate.permitted(
                            call, RecordRef(owner, CUSTOMER, owner), skip=("quota", "consent")
                        )
                    ):
                        # As ``create``: a row about an existing customer is about that customer,
                        # so the row scope holds per row (a front desk cannot import itself a guest).
                        yield (
                            number,
                            ValidationError(
                                f"outside the row scope of role '{ctx.actor.role}'", "customer_id"
                            ),
                        )
                        continue
                    yield number, row

            # Rows lacking the consent evidence their purpose needs are rejected with the reason;
            # the others' consent and age band are recorded before the vault stores them.
            stream = self.gate.consent.filter_import(
                checked(), ctx.purpose, record_type=record_type, operator=ctx.actor.id, dry_run=dry_run
            )
            # One entry per stored record, written in the batch's own transaction: no imported row
            # exists without its audit entry (fail closed), and the import summary follows.
            report = self.vault.import_rows(
                record_type,
                stream,
                purpose=ctx.purpose,
                progress=progress,
                hook=None if dry_run else call.hook(),
                dry_run=dry_run,
                checkpoint=checkpoint,
            )
            call.recorded = True  # an import storing nothing has only its summary
            extra: dict[str, Any] = {"dry_run": True} if dry_run else {}
            if after:
                extra["resumed_after_row"] = after
            self.gate.record_summary(
                call, IMPORT_SUMMARY, accepted=report.accepted, rejected=len(report.rejected), **extra
            )
            return report

        return self.gate.run(ctx, IMPORT, handler, record_type=record_type)

    def erase(self, ctx: RequestContext, customer_id: str, *, reason: str) -> int:
        if not reason.strip():
            raise ValidationError("a reason is required", "reason")

        def handler(call: Call) -> int:
            call.note(reason_given=True)
            return self.gate.shred(call, customer_id, call.hook())

        return self.gate.run(ctx, ERASE, handler, subject=customer_id)

    # ------------------------------------------------------------------ reads

    def read(
        self, ctx: RequestContext, record_type: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, FieldView]:
        """Read a record for ``ctx.purpose``: each field decided, masked as decided, and recorded.

        :raises AccessDenied: action or purpose not allowed, no consent, outside the row scope, or
            no requested field readable (the reason names the first refusing rule).
        :raises QuotaExceeded: over the distinct-customers-per-hour limit.
        :raises NotFound: no such record.
        """
        fdefs = self.fields_of(record_type, fields)
        return self.gate.run(
            ctx,
            READ,
            lambda call: self.decide_and_read(call, call.ref or RecordRef("", record_type, record_id), fdefs),
            subject=RecordRef("", record_type, record_id),
            fields=list(fdefs),
        )

    def search(
        self, ctx: RequestContext, record_type: str, field_name: str, value: object, *, limit: int = 50
    ) -> list[RecordRef]:
        """Exact search by a field the role may see, for ``ctx.purpose``; capped by ``max_results``.

        Answers only with customers every guard lets the caller process for the purpose (row
        scope, consent): a match the caller could not read is not a match.

        :raises QuotaExceeded: more matches than the role may see at once, or over the hourly customer limit.
        """
        fdef = self.vault.field(record_type, field_name)
        quotas = self.gate.access.quotas

        def handler(call: Call) -> list[RecordRef]:
            actor = ctx.actor
            decision = self.gate.policy.decide(actor.role, record_type, fdef, ctx.purpose)
            if decision.level == "deny" and not is_bootstrap(actor):
                raise AccessDenied(
                    f"field '{field_name}' may not be searched for purpose '{ctx.purpose}'", decision.rule
                )
            reason = self.gate.decider.training_reason(actor)
            if reason is not None and fdef.sensitive:
                raise AccessDenied(reason, "training")
            cap = quotas.max_results(actor)
            effective = limit if cap is None else min(limit, cap)
            # On a field the caller sees only masked the answer (even "none") is a probe of it:
            # charged before anything is returned, hit or miss (issue 11, item 2).
            clear = self.gate.decider.clear_for_any(ctx, record_type, fdef)
            self.gate.probes.check(call, record_type, field_name, clear=clear)
            found = self.vault.search(record_type, field_name, value, limit=effective + 1)
            # Row scope and consent per match; the quota is charged once below, for all matches.
            refs = [r for r in found if self.gate.permitted(call, r, skip=("quota",))]
            self.gate.probes.charge(call, record_type, field_name, clear=clear, hit=bool(refs))
            if cap is not None and len(refs) > cap:
                raise QuotaExceeded(
                    f"the search matched more than {cap} records, the most role '{actor.role}' may see "
                    "at once (R-USE-3): narrow it",
                    f"roles.{actor.role}.quotas.max_results",
                )
            refs = refs[:limit]
            quotas.note_customers(actor, {r.customer_id for r in refs})
            call.note(matches=len(refs))
            return refs

        return self.gate.run(ctx, SEARCH, handler, record_type=record_type, fields=[field_name])

    def summaries(
        self, ctx: RequestContext, customer_ids: Iterable[str]
    ) -> dict[str, dict[str, str | None] | None]:
        """Each customer's masked name and mobile, so an agent can tell search matches apart
        (issue 11, item 16).

        Each summary is a ``read`` of those fields, through the whole pipeline (row scope, consent,
        quota, one audit entry per customer): it shows nothing a read would not, and always in its
        **masked** form, even to a role that sees the field in clear (it is a hint beside an id,
        not the profile). A field the role may not read is ``None``; a customer the caller may not
        read at all has no summary (``None``).
        """
        spec = self.catalog.record_types[CUSTOMER]
        names = [n for n in SUMMARY_FIELDS if n in spec.fields]
        out: dict[str, dict[str, str | None] | None] = {}
        if not names:
            return out
        fdefs = {n: spec.fields[n] for n in names}

        def handler(call: Call) -> dict[str, str | None]:
            assert call.ref is not None
            views = self.decide_and_read(call, call.ref, fdefs)
            shown: dict[str, str | None] = {}
            for name, view in views.items():
                fdef = fdefs[name]
                if view.value is None or view.level == "masked":
                    shown[name] = view.value
                else:  # clear or granted: masked all the same (a hint, not the profile)
                    mask = fdef.mask if fdef.mask not in masking.IDENTITY else masking.FALLBACK
                    shown[name] = masking.hide(mask, view.value, **fdef.mask_options)
            return shown

        for cid in dict.fromkeys(customer_ids):
            try:
                out[cid] = self.gate.run(ctx, READ, handler, subject=cid, fields=names)
            except AccessDenied:
                out[cid] = None  # refused and recorded: the match shows its id only
        return out

    def match(
        self,
        ctx: RequestContext,
        customer_id: str,
        field_name: str,
        value: object,
        *,
        record_type: str = CUSTOMER,
    ) -> bool:
        """Does ``value`` equal the customer's ``field_name`` (of the profile, or of any of the
        customer's ``record_type`` records)? Yes or no only: the value is neither stored nor
        recorded (issue 11, item 17).

        :raises AccessDenied: the caller may not process the customer for the purpose, or may
            not read the field at all (a refusal, never "no").
        :raises QuotaExceeded: the probe budget on the field is spent.
        :raises ValidationError: unknown field, or a value invalid for the field's type.
        """
        self.vault.field(record_type, field_name)
        return self.gate.run(
            ctx,
            MATCH,
            lambda call: self.matches(call, record_type, field_name, value),
            subject=customer_id,
            record_type=record_type,
            fields=[field_name],
        )

    def matches(self, call: Call, record_type: str, field_name: str, value: object) -> bool:
        """The match check inside a running call about one customer (``match``, and a capability's
        :meth:`CustomerView.matches`): decided like a read, charged as a probe when the caller
        sees the field only masked, compared in constant time after the field's own normaliser."""
        ctx = call.ctx
        fdef = self.vault.field(record_type, field_name)
        if fdef.free_text:
            raise ValidationError("free text cannot be matched", field_name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationError("a value to match is required", "value")
        wanted = self.vault.normalize(record_type, field_name, value)
        cid = call.customer_id
        ref = RecordRef(cid, record_type, cid if record_type == CUSTOMER else "")
        decision = self.gate.decider.decide(ctx, ref, {field_name: fdef})[field_name]
        if decision.level == "deny" and not is_bootstrap(ctx.actor):
            raise AccessDenied(
                f"field '{field_name}' may not be read for purpose '{ctx.purpose}': {decision.rule}",
                decision.rule,
            )
        call.touch([field_name], record_type)
        clear = decision.level == "clear"
        self.gate.probes.check(call, record_type, field_name, clear=clear)
        if record_type == CUSTOMER:
            record_ids = [cid]
        else:
            record_ids = [r.record_id for r in self.vault.customer_records(cid, record_type)]
        want = hashlib.sha256(wanted.encode("utf-8", "surrogatepass")).digest()
        hit = False
        for rid in record_ids:  # every record is compared: no early exit to time
            stored = self.vault.read(record_type, rid, [field_name]).values.get(field_name)
            got = hashlib.sha256((stored or "").encode("utf-8", "surrogatepass")).digest()
            hit = (hmac.compare_digest(got, want) and stored is not None) or hit
        self.gate.probes.charge(call, record_type, field_name, clear=clear, hit=hit)
        if "matches" in call.op.detail:
            call.note(matches=int(hit))
        return hit

    def customer_records(self, ctx: RequestContext, customer_id: str) -> list[RecordRef]:
        def handler(call: Call) -> list[RecordRef]:
            refs = self.vault.customer_records(customer_id)
            self.gate.access.quotas.check_results(ctx.actor, len(refs), "a list")
            call.note(records=len(refs))
            return refs

        return self.gate.run(ctx, LIST, handler, subject=customer_id)

    # ------------------------------------------------------------------ keys

    def key_status(self, ctx: RequestContext) -> dict[str, Any]:
        return self.gate.run(ctx, KEY_STATUS, lambda call: self.vault.key_status())

    def rotate_keys(
        self, ctx: RequestContext, progress: Callable[[int], None] | None = None, *, resume: bool = False
    ) -> dict[str, int]:
        """Re-wrap every data key under a new KEK version; ``resume`` finishes a rotation that was
        stopped (a crash, SIGKILL) under the current version, re-wrapping no key twice."""

        def handler(call: Call) -> dict[str, int]:
            result = self.vault.rotate_kek(progress=progress, resume=resume)
            if resume:
                call.note(resumed=True)
            call.note(**result)
            return result

        return self.gate.run(ctx, KEY_ROTATE, handler)

    def reindex(
        self,
        ctx: RequestContext,
        progress: Callable[[int], None] | None = None,
        total: Callable[[int], None] | None = None,
    ) -> dict[str, int]:
        """Rebuild the blind index (``piguard reindex``): an administrator's operation, since it
        opens every searchable value (in memory only; it returns counts, never values).

        :param total: told, before the walk, how many records it will look at (a progress bar).
        """

        def handler(call: Call) -> dict[str, int]:
            if total is not None:
                total(self.vault.searchable_records())
            result = self.vault.reindex(progress=progress)
            call.note(**result)
            return result

        return self.gate.run(ctx, REINDEX, handler)

    def retire_key(self, ctx: RequestContext, version: int) -> None:
        def handler(call: Call) -> None:
            self.vault.retire_kek(version)
            call.note(kek_version=version)

        self.gate.run(ctx, KEY_RETIRE, handler)
