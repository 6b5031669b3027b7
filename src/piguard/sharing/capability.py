"""Partners, agreements, impact assessments and governed transfers, as a capability on the gate.

The one way customer data leaves piguard for another organisation: a **share** names an active
agreement, the customers and the fields, and is one decision of the gate (R-SHR-1..4, R-SHR-6,
R-SHR-7, R-COL-4):

- the agreement is active today, names every field asked for, and its partner is active with a
  security assessment that has not expired;
- a current PIPIA is on file for the agreement (R-SHR-3, R-AUD-3);
- for a cross-border agreement: no localisation setting, no foreign judicial or law-enforcement
  recipient (R-SHR-7), and the year's distinct persons, sensitive and non-sensitive apart, stay
  covered by the agreement's mechanism (R-SHR-6);
- each customer is its own ``share_row`` operation, for the agreement's purpose: the gate's guards
  check the customer's (separate) consent, restrictions and the row scope, and a customer refused
  is left out and counted by reason, never silently;
- each field leaves by its agreement rule (:mod:`piguard.sharing.operators`), pseudonyms keyed per
  recipient;
- the transfer log row (R-SHR-4: time, recipient, agreement, purpose, fields, rules, persons,
  content hash, operator), the customers it carried and the audit entry commit together; the
  manifest is signed with the audit key.

**Anonymised extracts** (PIPL 4, 73) are built from chosen fields with declared quasi-identifiers,
generalised and suppressed until k-anonymity (and ℓ-diversity) hold, measured with ``pycanon``.

Read surface for other capabilities (wired by the installation; capabilities never import each
other): :meth:`Sharing.active_agreements` (a partner's agreements in force), :meth:`Sharing.suspend`
(an operation: stop an agreement, e.g. after an incident at the partner), :meth:`Sharing.recipients`
(who received a customer's data: partners and transfer ids, for access copies and erasure).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from piguard.calendar import local_date
from piguard.catalog import Catalog
from piguard.clock import Clock, SystemClock
from piguard.errors import AccessDenied, Conflict, ConsentRequired, NotFound, QuotaExceeded, ValidationError
from piguard.gate.sdk import (
    Call,
    Erasure,
    Kernel,
    Messenger,
    Operation,
    RequestContext,
    SigningKey,
    Storage,
)
from piguard.sharing import crossborder, operators
from piguard.sharing.anonymise import anonymise
from piguard.sharing.guards import SensitiveAssessment
from piguard.sharing.model import (
    AGREEMENT_TYPES,
    CONCLUSIONS,
    CONSENT_FOR,
    KEEP_YEARS,
    PARTNER_ROLES,
    SECTIONS,
    Agreement,
    Assessment,
    ExtractResult,
    Partner,
    Rule,
    ShareResult,
)
from piguard.sharing.tables import (
    agreements,
    assessments,
    deletion_notices,
    partners,
    share_requests,
    transfer_persons,
    transfers,
)
from piguard.validate import uscc

__all__ = ["OPERATIONS", "Approval", "ConsentedRecipient", "Sharing"]

#: The approval a large share needs (R-USE-3), checked by the installation's grants:
#: ``(conn, ctx, grant_id, purpose, persons) -> approver id``. With ``conn`` ``None`` it only
#: checks; with the share's transaction it also uses the grant up, so a grant is spent exactly
#: when its transfer commits. Raises :class:`AccessDenied` to refuse.
Approval = Callable[[Connection | None, RequestContext, str, str, int], str]
#: The recipient a customer's separate consent of one kind to one purpose names, or ``None``
#: (no such consent, or none named): ``(customer_id, kind, purpose) -> recipient``. Wired by the
#: installation from the consent ledger (capabilities never import each other).
ConsentedRecipient = Callable[[str, str, str], str | None]

NAME = "sharing"
#: Catalog field types that identify a person directly: never in an anonymised extract.
DIRECT_IDENTIFIERS = frozenset(
    {"name", "resident_id", "mobile", "landline", "email", "passport", "bank_card"}
)
FORMATS = ("csv", "jsonl")
#: The column of a share naming each row by its per-recipient reference (:meth:`Sharing.row_ref`).
ROW_REF = "ref"


def _op(name: str, actions: tuple[Any, ...], summary: str, **kw: Any) -> Operation:
    kw.setdefault("purpose", False)
    return Operation(name, actions, kw.pop("subject", "none"), NAME, summary=summary, **kw)


PARTNER_ADD = _op(
    "partner_add",
    ("approve", "administer"),
    "register a partner: name, credit code, contact, country, role, security assessment",
    writes=True,
    requirements=("R-SHR-1",),
    detail={"partner": "token"},
)
PARTNER_LIST = _op(
    "partner_list",
    ("approve", "audit"),
    "the partner register, or one partner",
    requirements=("R-SHR-1",),
    detail={"count": "int"},
)
AGREEMENT_ADD = _op(
    "agreement_add",
    ("approve",),
    "record an agreement with a partner: type, purpose, term, exact fields and their rules",
    writes=True,
    requirements=("R-SHR-1",),
    detail={"agreement": "token", "partner": "token"},
)
AGREEMENT_LIST = _op(
    "agreement_list",
    ("approve", "audit"),
    "agreements, or one agreement",
    requirements=("R-SHR-1",),
    detail={"count": "int"},
)
AGREEMENT_END = _op(
    "agreement_end",
    ("approve",),
    "end an agreement; an entrustment's end records the return-or-delete evidence",
    writes=True,
    requirements=("R-SHR-1", "R-DST-5"),
    detail={"agreement": "token"},
)
AGREEMENT_SUSPEND = _op(
    "agreement_suspend",
    ("approve",),
    "suspend an agreement: no transfer under it until it is resumed or ended",
    writes=True,
    requirements=("R-SHR-1",),
    detail={"agreement": "token"},
)
ASSESSMENT_ADD = _op(
    "assessment_add",
    ("approve",),
    "record a PIPIA (GB/T 39335-2020 sections), versioned, linked to an agreement or purpose",
    writes=True,
    requirements=("R-SHR-3", "R-AUD-3"),
    detail={"assessment": "token", "version": "int"},
)
ASSESSMENT_LIST = _op(
    "assessment_list",
    ("approve", "audit"),
    "impact assessments, or one",
    requirements=("R-SHR-3", "R-AUD-3"),
    detail={"count": "int"},
)
SHARE = _op(
    "share",
    ("export",),
    "share customers' data with a partner under an agreement, desensitised, logged",
    subject="many",
    writes=True,
    requirements=("R-SHR-1", "R-SHR-2", "R-SHR-3", "R-SHR-4", "R-SHR-6", "R-SHR-7", "R-COL-4"),
    detail={
        "agreement": "token",
        "transfer": "token",
        "persons": "int",
        "left_out": "int",
        "request": "token",
    },
)
SHARE_ROW = _op(
    "share_row",
    ("export",),
    "one customer of a share (recorded per customer, refusals included)",
    subject="customer",
    purpose=True,
    requirements=("R-SHR-2", "R-COL-4"),
    detail={"agreement": "token"},
    part_of="share",
)
EXTRACT = _op(
    "extract",
    ("export",),
    "an anonymised extract: k-anonymity (and l-diversity) measured and recorded",
    subject="many",
    purpose=True,
    writes=True,
    requirements=("R-STO-4",),
    detail={"transfer": "token", "k": "int", "l": "int", "suppressed": "int", "rows": "int"},
)
EXTRACT_ROW = _op(
    "extract_row",
    ("export",),
    "one customer read for an anonymised extract",
    subject="customer",
    purpose=True,
    requirements=("R-STO-4",),
    part_of="extract",
)
DISCLOSE = _op(
    "disclose",
    ("export",),
    "disclose customers' data publicly: separate consent, impact assessment, desensitised, logged",
    subject="many",
    writes=True,
    requirements=("R-SHR-8", "R-SHR-3", "R-SHR-4"),
    detail={"transfer": "token", "persons": "int", "left_out": "int"},
)
DISCLOSE_ROW = _op(
    "disclose_row",
    ("export",),
    "one customer of a public disclosure (recorded per customer, refusals included)",
    subject="customer",
    purpose=True,
    requirements=("R-SHR-8",),
    part_of="disclose",
)
SHARE_REQUEST = _op(
    "share_request",
    ("export",),
    "ask for a share under an agreement; another person approves it, the requester downloads it once",
    writes=True,
    requirements=("R-USE-3",),
    detail={"request": "token", "agreement": "token"},
)
SHARE_DECIDE = _op(
    "share_decide",
    ("approve",),
    "approve or refuse a share request (never one's own: separation of duties)",
    writes=True,
    requirements=("R-USE-3",),
    detail={"request": "token"},
)
SHARE_REQUEST_LIST = _op(
    "share_request_list",
    # Who may see the requests: those who ask (export) and those who decide (approve); auditors
    # read them in the transfer log and the audit trail.
    ("export", "approve"),
    "share requests and their decisions",
    requirements=("R-USE-3",),
    detail={"count": "int"},
)
TRANSFER_LIST = _op(
    "transfer_list",
    ("audit", "approve"),
    "the transfer log, by partner or customer",
    requirements=("R-SHR-4",),
    detail={"count": "int"},
)
NOTICE_LIST = _op(
    "deletion_notice_list",
    ("audit", "approve"),
    "deletion notices to partners after a customer's erasure, and their acknowledgements",
    detail={"count": "int"},
)
NOTICE_ACK = _op(
    "deletion_notice_ack",
    ("approve",),
    "record a partner's acknowledgement that it deleted a customer's data",
    writes=True,
    detail={"notice": "token"},
)
OPERATIONS: tuple[Operation, ...] = (
    PARTNER_ADD,
    PARTNER_LIST,
    AGREEMENT_ADD,
    AGREEMENT_LIST,
    AGREEMENT_END,
    AGREEMENT_SUSPEND,
    ASSESSMENT_ADD,
    ASSESSMENT_LIST,
    SHARE,
    SHARE_ROW,
    EXTRACT,
    EXTRACT_ROW,
    DISCLOSE,
    DISCLOSE_ROW,
    SHARE_REQUEST,
    SHARE_DECIDE,
    SHARE_REQUEST_LIST,
    TRANSFER_LIST,
    NOTICE_LIST,
    NOTICE_ACK,
)


def _text(value: str | None, name: str, most: int = 200, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError("required", name)
    if len(text) > most:
        raise ValidationError(f"longer than {most} characters", name)
    return text


def _country(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ValidationError("an ISO 3166 two-letter country code", "country")
    return code


def _sha256(value: str, name: str) -> str:
    digest = (value or "").strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationError("a SHA-256 digest in hex", name)
    return digest


def _refusal_reason(exc: AccessDenied) -> str:
    if isinstance(exc, ConsentRequired):
        return "no_consent"
    if isinstance(exc, QuotaExceeded):
        return "quota"
    if (exc.rule or "").startswith("rights."):
        return "restricted"
    return "refused"


class Sharing:
    """The sharing capability (see the module docstring)."""

    name = NAME
    operations = OPERATIONS

    def __init__(
        self,
        db: Storage,
        catalog: Catalog,
        tenant: str,
        *,
        pseudonym_root: bytes,
        signing_key: SigningKey,
        clock: Clock | None = None,
        localise: bool = False,
        ciio: bool = False,
        max_suppression: float = 0.1,
        approval: Approval | None = None,
        large_share: int = 1000,
        messenger: Messenger | None = None,
        consented_recipient: ConsentedRecipient | None = None,
        sensitive_pipia: bool = False,
    ) -> None:
        """:param pseudonym_root: the keyring secret each recipient's pseudonym key derives from
            (never stored in the data database, R-STO-4).
        :param signing_key: the audit key: manifests are signed like checkpoints.
        :param localise: refuse every cross-border transfer (R-STO-6).
        :param ciio: the operator is a critical-information-infrastructure operator (every
            cross-border transfer needs a CAC assessment).
        :param approval: checks and uses the approved export grant a large share names (R-USE-3).
        :param large_share: more customers than this in one share need that approval.
        :param messenger: the one outbox: deletion notices go to each partner's contact address.
        :param consented_recipient: the recipient each customer's separate consent names; a share
            to another partner is refused for that customer (R-SHR-2). Without it the named
            recipient is not checked.
        :param sensitive_pipia: refuse any operation on sensitive fields for a purpose without a
            current PIPIA (R-AUD-3), a guard over every capability (:mod:`piguard.sharing.guards`)."""
        self._db, self._catalog, self._tenant = db, catalog, tenant
        self._root = pseudonym_root
        self._key = signing_key
        self._clock = clock or SystemClock()
        self.localise, self.ciio = localise, ciio
        self.max_suppression = max_suppression
        self._approval = approval
        self.large_share = large_share
        self._messenger = messenger
        self._consented_recipient = consented_recipient
        self._sensitive_pipia = sensitive_pipia
        self._kernel: Kernel | None = None

    def bind(self, kernel: Kernel) -> None:
        self._kernel = kernel
        kernel.add_erasure_observer(self)
        kernel.add_withdrawal_observer(self)
        if self._sensitive_pipia:
            kernel.add_guard(SensitiveAssessment(self._db, self._catalog, self._tenant, kernel.today))

    @property
    def kernel(self) -> Kernel:
        if self._kernel is None:
            raise RuntimeError("the sharing capability is not mounted on a gate")
        return self._kernel

    def _today(self) -> date:
        return local_date(self._clock.now())

    # ------------------------------------------------------------------ partners

    def add_partner(
        self,
        ctx: RequestContext,
        *,
        name: str,
        contact: str,
        country: str,
        role: str,
        security_basis: str,
        assessed_on: date,
        assessment_expires: date,
        assessor: str,
        uscc_code: str | None = None,
        authority: bool = False,
        notify_url: str | None = None,
    ) -> Partner:
        """Register a partner. A partner in China needs a valid unified social credit code.

        ``notify_url``: the partner's endpoint for deletion notices (signed JSON POSTs through the
        outbox's ``partner_webhook`` channel); without it notices go to the contact address by email.

        :raises ValidationError: a missing or malformed field (the code's checksum included), an
            endpoint that is not https:// (plain http only to localhost).
        """
        endpoint = (notify_url or "").strip() or None
        if endpoint is not None:
            problem = (
                "no outbox to send notices"
                if self._messenger is None
                else self._messenger.address_problem(WEBHOOK, endpoint)
            )
            if problem is not None:
                raise ValidationError(problem, "notify_url")
        country = _country(country)
        code = None
        if uscc_code or country == "CN":
            try:
                code = uscc.normalize(_text(uscc_code, "uscc", 40))
            except ValidationError as exc:
                raise ValidationError(f"unified social credit code: {exc.reason}", "uscc") from None
        if role not in PARTNER_ROLES:
            raise ValidationError(f"one of {', '.join(PARTNER_ROLES)}", "role")
        if assessment_expires < assessed_on:
            raise ValidationError("expires before it was made", "assessment_expires")
        partner = Partner(
            "ptn_" + secrets.token_hex(8),
            _text(name, "name"),
            code,
            _text(contact, "contact"),
            country,
            role,
            authority,
            _text(security_basis, "security_basis", 64),
            assessed_on,
            assessment_expires,
            _text(assessor, "assessor"),
            "active",
            endpoint,
        )

        def handler(call: Call) -> Partner:
            call.note(partner=partner.id)
            with call.transaction() as conn:
                conn.execute(
                    insert(partners).values(
                        tenant=self._tenant,
                        **{
                            k: v
                            for k, v in partner.as_dict().items()
                            if k not in ("assessed_on", "assessment_expires")
                        },
                        assessed_on=assessed_on,
                        assessment_expires=assessment_expires,
                        created_by=ctx.actor.id,
                        created_at=self._clock.now(),
                    )
                )
            return partner

        return self.kernel.run(ctx, PARTNER_ADD, handler)

    def partners(self, ctx: RequestContext, partner_id: str | None = None) -> list[Partner]:
        """The register (or one partner). :raises NotFound: no such partner."""

        def handler(call: Call) -> list[Partner]:
            with self._db.read() as conn:
                found = self._partners(conn, partner_id)
            if partner_id is not None and not found:
                raise NotFound("no such partner")
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, PARTNER_LIST, handler)

    def _partners(self, conn: Connection, partner_id: str | None = None) -> list[Partner]:
        q = (
            select(partners)
            .where(partners.c.tenant == self._tenant)
            .order_by(partners.c.created_at, partners.c.id)
        )
        if partner_id is not None:
            q = q.where(partners.c.id == partner_id)
        return [
            Partner(
                r.id,
                r.name,
                r.uscc,
                r.contact,
                r.country,
                r.role,
                r.authority,
                r.security_basis,
                r.assessed_on,
                r.assessment_expires,
                r.assessor,
                r.status,
                r.notify_url,
            )
            for r in conn.execute(q)
        ]

    # ------------------------------------------------------------------ agreements

    def add_agreement(
        self,
        ctx: RequestContext,
        *,
        partner_id: str,
        type: str,
        purpose: str,
        fields: Mapping[str, Mapping[str, Any] | str],
        method: str,
        safeguards: str,
        starts_on: date,
        ends_on: date,
        document_sha256: str,
        sub_entrustment: bool = False,
        mechanism: str | None = None,
        destination: str | None = None,
        record_type: str = "customer",
    ) -> Agreement:
        """Record an agreement (R-SHR-1). ``fields`` maps each field to its rule (a rule name, or
        ``{"rule": ..., "params": {...}}``).

        :raises ValidationError: an unknown partner, type, purpose or field; a field the purpose does
            not cover; a bad rule; a purpose without the separate consent the type needs; a
            cross-border agreement without mechanism or destination.
        """
        if type not in AGREEMENT_TYPES:
            raise ValidationError(f"one of {', '.join(AGREEMENT_TYPES)}", "type")
        spec = self._catalog.purposes.get(purpose)
        if spec is None:
            raise ValidationError("no such purpose in the catalog", "purpose")
        missing = CONSENT_FOR[type] - set(spec.separate_consent_for)
        if missing:
            raise ValidationError(
                f"a {type} agreement needs a purpose with separate consent for {', '.join(sorted(missing))}"
                " (PIPL 23, 39)",
                "purpose",
            )
        allowed = self._catalog.fields_for(purpose, record_type)
        rules: dict[str, Rule] = {}
        if not fields:
            raise ValidationError("an agreement names its exact fields", "fields")
        for field_name, raw in fields.items():
            if field_name not in allowed:
                raise ValidationError(f"not covered by purpose '{purpose}' (R-COL-3)", field_name)
            rule = (
                Rule(raw, {})
                if isinstance(raw, str)
                else Rule(str(raw.get("rule")), dict(raw.get("params") or {}))
            )
            operators.check_rule(rule.rule, rule.params)
            rules[field_name] = rule
        if ends_on < starts_on:
            raise ValidationError("ends before it starts", "ends_on")
        if type == "cross_border":
            if mechanism not in crossborder.MECHANISMS:
                raise ValidationError(f"one of {', '.join(crossborder.MECHANISMS)}", "mechanism")
            destination = _country(destination or "")
            if destination == "CN":
                raise ValidationError("a cross-border destination is outside China", "destination")
        else:
            mechanism, destination = None, None
        digest = _sha256(document_sha256, "document_sha256")
        agreement = Agreement(
            "agr_" + secrets.token_hex(8),
            partner_id,
            type,
            purpose,
            record_type,
            rules,
            _text(method, "method"),
            _text(safeguards, "safeguards", 2000),
            sub_entrustment,
            mechanism,
            destination,
            starts_on,
            ends_on,
            digest,
            "active",
        )

        def handler(call: Call) -> Agreement:
            call.note(agreement=agreement.id, partner=partner_id)
            with call.transaction() as conn:
                if not self._partners(conn, partner_id):
                    raise ValidationError("no such partner", "partner_id")
                conn.execute(
                    insert(agreements).values(
                        tenant=self._tenant,
                        id=agreement.id,
                        partner_id=partner_id,
                        type=type,
                        purpose=purpose,
                        record_type=record_type,
                        fields=json.dumps(agreement.as_dict()["fields"], sort_keys=True),
                        method=agreement.method,
                        safeguards=agreement.safeguards,
                        sub_entrustment=sub_entrustment,
                        mechanism=mechanism,
                        destination=destination,
                        starts_on=starts_on,
                        ends_on=ends_on,
                        document_sha256=digest,
                        state="active",
                        created_by=ctx.actor.id,
                        created_at=self._clock.now(),
                    )
                )
            return agreement

        return self.kernel.run(ctx, AGREEMENT_ADD, handler)

    def agreements(
        self, ctx: RequestContext, agreement_id: str | None = None, *, partner_id: str | None = None
    ) -> list[Agreement]:
        """Agreements (one, or a partner's). :raises NotFound: no such agreement."""

        def handler(call: Call) -> list[Agreement]:
            with self._db.read() as conn:
                found = self._agreements(conn, agreement_id, partner_id)
            if agreement_id is not None and not found:
                raise NotFound("no such agreement")
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, AGREEMENT_LIST, handler)

    def _agreements(
        self, conn: Connection, agreement_id: str | None = None, partner_id: str | None = None
    ) -> list[Agreement]:
        q = select(agreements).where(agreements.c.tenant == self._tenant)
        if agreement_id is not None:
            q = q.where(agreements.c.id == agreement_id)
        if partner_id is not None:
            q = q.where(agreements.c.partner_id == partner_id)
        out = []
        for r in conn.execute(q.order_by(agreements.c.created_at, agreements.c.id)):
            rules = {n: Rule(v["rule"], v.get("params") or {}) for n, v in json.loads(r.fields).items()}
            out.append(
                Agreement(
                    r.id,
                    r.partner_id,
                    r.type,
                    r.purpose,
                    r.record_type,
                    rules,
                    r.method,
                    r.safeguards,
                    r.sub_entrustment,
                    r.mechanism,
                    r.destination,
                    r.starts_on,
                    r.ends_on,
                    r.document_sha256,
                    r.state,
                    r.end_outcome,
                    r.end_evidence_sha256,
                    r.ended_at,
                    r.suspended_reason,
                )
            )
        return out

    def _agreement(self, agreement_id: str) -> Agreement:
        with self._db.read() as conn:
            found = self._agreements(conn, agreement_id)
        if not found:
            raise NotFound("no such agreement")
        return found[0]

    def end_agreement(
        self,
        ctx: RequestContext,
        agreement_id: str,
        *,
        outcome: str | None = None,
        evidence_sha256: str | None = None,
    ) -> Agreement:
        """End an agreement. At the end of an entrustment the processor returns or deletes the data
        (R-DST-5): ``outcome`` (``returned`` / ``deleted``) and the hash of the evidence document are
        required and recorded.

        :raises ValidationError: an entrustment ended without its evidence.
        :raises Conflict: ended already. :raises NotFound: no such agreement.
        """
        agreement = self._agreement(agreement_id)
        if agreement.state == "ended":
            raise Conflict("the agreement has ended already")
        digest = None
        if agreement.type == "entrustment" or outcome or evidence_sha256:
            if outcome not in ("returned", "deleted"):
                raise ValidationError(
                    "the processor returned or deleted the data: say which (R-DST-5)", "outcome"
                )
            digest = _sha256(evidence_sha256 or "", "evidence_sha256")

        def handler(call: Call) -> Agreement:
            call.note(agreement=agreement_id)
            with call.transaction() as conn:
                done = conn.execute(
                    update(agreements)
                    .where(
                        agreements.c.tenant == self._tenant,
                        agreements.c.id == agreement_id,
                        agreements.c.state != "ended",
                    )
                    .values(
                        state="ended",
                        ended_at=self._clock.now(),
                        end_outcome=outcome,
                        end_evidence_sha256=digest,
                    )
                )
                if done.rowcount != 1:
                    raise Conflict("the agreement has ended already")
                return self._agreements(conn, agreement_id)[0]

        return self.kernel.run(ctx, AGREEMENT_END, handler)

    def suspend(self, ctx: RequestContext, agreement_id: str, *, reason: str) -> Agreement:
        """Suspend an agreement (an incident at the partner, a lapsed assessment): no transfer
        runs under it while suspended. ``reason`` is a short code (``incident``, ``audit``...), not
        free text. :raises Conflict: not active. :raises NotFound: no such agreement."""
        code = _text(reason, "reason", 64)
        if not code.replace("_", "").replace("-", "").isalnum():
            raise ValidationError("a short code such as 'incident'", "reason")
        self._agreement(agreement_id)

        def handler(call: Call) -> Agreement:
            call.note(agreement=agreement_id)
            with call.transaction() as conn:
                done = conn.execute(
                    update(agreements)
                    .where(
                        agreements.c.tenant == self._tenant,
                        agreements.c.id == agreement_id,
                        agreements.c.state == "active",
                    )
                    .values(state="suspended", suspended_reason=code)
                )
                if done.rowcount != 1:
                    raise Conflict("the agreement is not active")
                return self._agreements(conn, agreement_id)[0]

        return self.kernel.run(ctx, AGREEMENT_SUSPEND, handler)

    def active_agreements(self, partner_id: str) -> list[Agreement]:
        """A partner's agreements in force today (ids and terms only: for other capabilities, e.g.
        an incident at the partner, which then calls :meth:`suspend` through the gate)."""
        today = self._today()
        with self._db.read() as conn:
            return [a for a in self._agreements(conn, partner_id=partner_id) if a.is_active(today)]

    # ------------------------------------------------------------------ assessments

    def add_assessment(
        self,
        ctx: RequestContext,
        *,
        sections: Mapping[str, str],
        conclusion: str,
        reviewer: str,
        assessed_on: date,
        valid_until: date,
        agreement_id: str | None = None,
        purpose: str | None = None,
    ) -> Assessment:
        """Record a PIPIA (R-SHR-3, R-AUD-3), structured after GB/T 39335-2020; a new one for the
        same agreement (or purpose) is its next version; kept at least 3 years.

        :raises ValidationError: a missing section or link, an unknown conclusion.
        """
        if (agreement_id is None) == (purpose is None):
            raise ValidationError("link the assessment to one agreement or one purpose", "agreement_id")
        if purpose is not None and purpose not in self._catalog.purposes:
            raise ValidationError("no such purpose in the catalog", "purpose")
        missing = [s for s in SECTIONS if not (sections.get(s) or "").strip()]
        if missing:
            raise ValidationError(f"sections missing: {', '.join(missing)}", "sections")
        unknown = sorted(set(sections) - set(SECTIONS))
        if unknown:
            raise ValidationError(f"unknown sections: {', '.join(unknown)}", "sections")
        if conclusion not in CONCLUSIONS:
            raise ValidationError(f"one of {', '.join(CONCLUSIONS)}", "conclusion")
        if valid_until < assessed_on:
            raise ValidationError("valid until before it was made", "valid_until")
        if agreement_id is not None:
            self._agreement(agreement_id)
        body = {s: _text(sections[s], s, 4000) for s in SECTIONS}
        keep_until = date(assessed_on.year + KEEP_YEARS, assessed_on.month, min(assessed_on.day, 28))
        keep_until = max(keep_until, valid_until)
        new_id = "pia_" + secrets.token_hex(8)

        def handler(call: Call) -> Assessment:
            with call.transaction() as conn:
                t = assessments.c
                link = t.agreement_id == agreement_id if agreement_id else t.purpose == purpose
                version = (
                    int(conn.execute(select(func.count()).where(t.tenant == self._tenant, link)).scalar_one())
                    + 1
                )
                call.note(assessment=new_id, version=version)
                conn.execute(
                    insert(assessments).values(
                        tenant=self._tenant,
                        id=new_id,
                        agreement_id=agreement_id,
                        purpose=purpose,
                        version=version,
                        sections=json.dumps(body, ensure_ascii=False, sort_keys=True),
                        conclusion=conclusion,
                        reviewer=_text(reviewer, "reviewer"),
                        assessed_on=assessed_on,
                        valid_until=valid_until,
                        keep_until=keep_until,
                        created_by=ctx.actor.id,
                        created_at=self._clock.now(),
                    )
                )
            return Assessment(
                new_id,
                agreement_id,
                purpose,
                version,
                body,
                conclusion,
                reviewer,
                assessed_on,
                valid_until,
                keep_until,
            )

        return self.kernel.run(ctx, ASSESSMENT_ADD, handler)

    def assessments(
        self, ctx: RequestContext, assessment_id: str | None = None, *, agreement_id: str | None = None
    ) -> list[Assessment]:
        """Assessments, newest version first. :raises NotFound: no such assessment."""

        def handler(call: Call) -> list[Assessment]:
            with self._db.read() as conn:
                found = self._assessments(conn, assessment_id, agreement_id)
            if assessment_id is not None and not found:
                raise NotFound("no such assessment")
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, ASSESSMENT_LIST, handler)

    def _assessments(
        self,
        conn: Connection,
        assessment_id: str | None = None,
        agreement_id: str | None = None,
        purpose: str | None = None,
    ) -> list[Assessment]:
        t = assessments.c
        q = select(assessments).where(t.tenant == self._tenant)
        if assessment_id is not None:
            q = q.where(t.id == assessment_id)
        if agreement_id is not None:
            q = q.where(t.agreement_id == agreement_id)
        if purpose is not None:
            q = q.where(t.purpose == purpose)
        return [
            Assessment(
                r.id,
                r.agreement_id,
                r.purpose,
                r.version,
                json.loads(r.sections),
                r.conclusion,
                r.reviewer,
                r.assessed_on,
                r.valid_until,
                r.keep_until,
            )
            for r in conn.execute(q.order_by(t.version.desc(), t.id))
        ]

    # ------------------------------------------------------------------ shares

    def partner_key(self, partner_id: str) -> bytes:
        """The recipient's pseudonym key: derived from the keyring secret, never stored."""
        return hmac.new(
            self._root, b"piguard/sharing/pseudonym\x00" + partner_id.encode(), hashlib.sha256
        ).digest()

    def row_ref(self, partner_id: str, customer_id: str) -> str:
        """The reference a partner holds for one customer's row: keyed per recipient like the
        pseudonyms (two partners cannot join on it), stable across shares, so a deletion notice can
        name the row to delete without naming the customer."""
        digest = hmac.new(self.partner_key(partner_id), b"row\x00" + customer_id.encode(), hashlib.sha256)
        return "r:" + digest.hexdigest()[:32]

    def share(
        self,
        ctx: RequestContext,
        agreement_id: str,
        *,
        fields: Sequence[str],
        customers: Sequence[str] | None = None,
        all_customers: bool = False,
        output: str = "csv",
        grant_id: str | None = None,
        request_id: str | None = None,
    ) -> ShareResult:
        """Share customers' data under an agreement (see the module docstring). With
        ``request_id`` (an approved share request, see :meth:`download`) the request's approval
        stands for the export grant and is used up in the share's transaction.

        :raises AccessDenied: the agreement, partner, assessment or cross-border rules refuse
            (recorded under ``share`` with the reason).
        :raises ValidationError: no customers, both a list and ``all_customers``, an unknown format.
        """
        if output not in FORMATS:
            raise ValidationError(f"one of {', '.join(FORMATS)}", "format")
        if (customers is None) == (not all_customers):
            raise ValidationError("give the customers or ask for all of them", "customers")
        chosen = list(dict.fromkeys(f.strip() for f in fields if f.strip()))
        if not chosen:
            raise ValidationError("name the fields to share", "fields")

        def handler(call: Call) -> ShareResult:
            today = self._today()
            with self._db.read() as conn:
                found = self._agreements(conn, agreement_id)
                if not found:
                    raise AccessDenied(
                        "no such agreement: no transfer outside an agreement (R-SHR-1)", "R-SHR-1"
                    )
                agreement = found[0]
                partner = self._partners(conn, agreement.partner_id)[0]
                pias = self._assessments(conn, agreement_id=agreement_id)
            call.note(agreement=agreement_id)
            call.touch(chosen, agreement.record_type)
            self._check_agreement(agreement, partner, pias, chosen, today)
            row_ctx = replace(ctx, purpose=agreement.purpose)
            key = self.partner_key(partner.id)
            ids = list(customers) if customers is not None else list(self.kernel.customer_ids())
            approved = len(ids) > self.large_share and request_id is None
            if approved:
                self._approve(None, ctx, grant_id, agreement.purpose, len(ids))
            if request_id is not None:
                call.note(request=request_id)
                with self._db.read() as conn:
                    self._check_request(conn, ctx, request_id)
            rows: list[tuple[str, dict[str, str | None]]] = []
            left_out: Counter[str] = Counter()
            withheld: Counter[str] = Counter()
            for cid in ids:
                try:
                    values = self._share_row(row_ctx, cid, agreement, partner, chosen, key, today, withheld)
                    rows.append((cid, values))
                except AccessDenied as exc:
                    left_out[_refusal_reason(exc)] += 1
                except NotFound:
                    left_out["not_found"] += 1
            sensitive = any(
                self._catalog.record_types[agreement.record_type].fields[f].sensitive for f in chosen
            )
            warnings: list[str] = []
            transfer_id = "trf_" + secrets.token_hex(8)
            persons = [cid for cid, _ in rows]
            with call.transaction() as conn:
                if agreement.type == "cross_border":
                    warnings = self._check_volume(conn, agreement, persons, sensitive, today)
                approver = (
                    self._approve(conn, ctx, grant_id, agreement.purpose, len(ids)) if approved else None
                )
                if request_id is not None:
                    approver = self._claim_request(conn, ctx, request_id, transfer_id)
                content = _render(
                    [{ROW_REF: self.row_ref(partner.id, cid), **values} for cid, values in rows],
                    [ROW_REF, *chosen],
                    output,
                )
                manifest = {
                    "transfer_id": transfer_id,
                    "agreement": agreement.id,
                    "row_ref": ROW_REF,
                    "partner": partner.id,
                    "recipient": partner.name,
                    "purpose": agreement.purpose,
                    "fields": chosen,
                    "rules": {f: agreement.fields[f].rule for f in chosen},
                    "count": len(rows),
                    "format": output,
                    "content_sha256": hashlib.sha256(content).hexdigest(),
                    "withheld": dict(withheld),
                    "approver": approver,
                    "at": self._clock.now().isoformat(),
                }
                signature = self._key.sign(json.dumps(manifest, sort_keys=True).encode()).hex()
                self._log(
                    conn,
                    transfer_id,
                    "share",
                    agreement,
                    manifest,
                    len(rows),
                    dict(left_out),
                    ctx,
                    persons,
                    sensitive,
                    today,
                )
                call.note(transfer=transfer_id, persons=len(rows), left_out=sum(left_out.values()))
            return ShareResult(transfer_id, len(rows), dict(left_out), manifest, signature, content, warnings)

        # The per-row entries in batches, the last with the transfer log (one commit, not one a row).
        with self.kernel.deferring():
            return self.kernel.run(ctx, SHARE, handler)

    # ------------------------------------------------------------------ share requests (the console)

    def request_share(
        self,
        ctx: RequestContext,
        agreement_id: str,
        *,
        fields: Sequence[str],
        customers: Sequence[str] | None = None,
        all_customers: bool = False,
        output: str = "csv",
    ) -> dict[str, Any]:
        """Ask for a share: another person approves it (separation of duties), then the requester
        downloads it once (:meth:`share` with ``request_id``). Nothing is read until then.

        :raises ValidationError: as :meth:`share`, an unknown agreement, or fields it does not name.
        """
        if output not in FORMATS:
            raise ValidationError(f"one of {', '.join(FORMATS)}", "format")
        if (customers is None) == (not all_customers):
            raise ValidationError("give the customers or ask for all of them", "customers")
        chosen = list(dict.fromkeys(f.strip() for f in fields if f.strip()))
        if not chosen:
            raise ValidationError("name the fields to share", "fields")
        ids = None if customers is None else list(dict.fromkeys(c.strip() for c in customers if c.strip()))
        if ids is not None and not ids:
            raise ValidationError("give the customers or ask for all of them", "customers")
        request_id = "srq_" + secrets.token_hex(8)

        def handler(call: Call) -> dict[str, Any]:
            call.note(request=request_id, agreement=agreement_id)
            with call.transaction() as conn:
                found = self._agreements(conn, agreement_id)
                if not found:
                    raise ValidationError("no such agreement", "agreement_id")
                outside = sorted(set(chosen) - set(found[0].fields))
                if outside:
                    raise ValidationError(f"the agreement does not name {', '.join(outside)}", "fields")
                role = self._catalog.roles.get(ctx.actor.role)
                if role is None or found[0].purpose not in role.purposes:
                    raise AccessDenied(
                        f"role {ctx.actor.role!r} does not act for purpose {found[0].purpose!r}", "R-USE-1"
                    )
                conn.execute(
                    insert(share_requests).values(
                        tenant=self._tenant,
                        id=request_id,
                        agreement_id=agreement_id,
                        fields=json.dumps(chosen),
                        customers=None if ids is None else json.dumps(ids),
                        format=output,
                        requested_by=ctx.actor.id,
                        requested_role=ctx.actor.role,
                        requested_at=self._clock.now(),
                        state="pending",
                    )
                )
                return _public(self._requests(conn, request_id)[0])

        return self.kernel.run(ctx, SHARE_REQUEST, handler)

    def decide_share(self, ctx: RequestContext, request_id: str, *, approve: bool = True) -> dict[str, Any]:
        """Approve (or refuse) a pending share request. The requester may not decide their own
        (separation of duties, R-USE-3); the approver's role must list the requester's role among
        those it may approve (``can_approve``).

        :raises AccessDenied: the requester, or a role that may not approve the requester's.
        :raises Conflict: not pending. :raises NotFound: no such request.
        """

        def handler(call: Call) -> dict[str, Any]:
            call.note(request=request_id)
            r = share_requests.c
            with call.transaction() as conn:
                found = self._requests(conn, request_id)
                if not found:
                    raise NotFound("no such share request")
                request = found[0]
                if request["requested_by"] == ctx.actor.id:
                    raise AccessDenied(
                        "separation of duties: the requester cannot approve their own share (R-USE-3)",
                        "R-USE-3",
                    )
                role = self._catalog.roles.get(ctx.actor.role)
                if role is None or request["requested_role"] not in role.can_approve:
                    raise AccessDenied(
                        f"role {ctx.actor.role!r} may not approve shares requested by"
                        f" {request['requested_role']!r}",
                        "R-USE-3",
                    )
                done = conn.execute(
                    update(share_requests)
                    .where(r.tenant == self._tenant, r.id == request_id, r.state == "pending")
                    .values(
                        state="approved" if approve else "refused",
                        decided_by=ctx.actor.id,
                        decided_at=self._clock.now(),
                    )
                )
                if done.rowcount != 1:
                    raise Conflict("the share request is not pending")
                return _public(self._requests(conn, request_id)[0])

        return self.kernel.run(ctx, SHARE_DECIDE, handler)

    def share_requests(self, ctx: RequestContext, *, state: str | None = None) -> list[dict[str, Any]]:
        """Share requests, newest first (agreement, fields, how many customers, who asked, who
        decided, the transfer its download produced)."""

        def handler(call: Call) -> list[dict[str, Any]]:
            with self._db.read() as conn:
                found = [_public(r) for r in self._requests(conn, None, state)]
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, SHARE_REQUEST_LIST, handler)

    def _requests(
        self, conn: Connection, request_id: str | None = None, state: str | None = None
    ) -> list[dict[str, Any]]:
        r = share_requests.c
        q = select(share_requests).where(r.tenant == self._tenant)
        if request_id is not None:
            q = q.where(r.id == request_id)
        if state is not None:
            q = q.where(r.state == state)
        out = []
        for row in conn.execute(q.order_by(r.requested_at.desc(), r.id)):
            customers = None if row.customers is None else json.loads(row.customers)
            out.append(
                {
                    "id": row.id,
                    "agreement_id": row.agreement_id,
                    "fields": json.loads(row.fields),
                    "customers": customers,
                    "count": None if customers is None else len(customers),
                    "format": row.format,
                    "requested_by": row.requested_by,
                    "requested_role": row.requested_role,
                    "requested_at": row.requested_at.isoformat(),
                    "state": row.state,
                    "decided_by": row.decided_by,
                    "decided_at": row.decided_at.isoformat() if row.decided_at else None,
                    "transfer_id": row.transfer_id,
                }
            )
        return out

    def download(self, ctx: RequestContext, request_id: str) -> ShareResult:
        """The one download of an approved share request, by its requester: runs the share (one
        gate decision, as :meth:`share`), with the request's approver recorded as the share's
        approver. A second download is refused.

        :raises AccessDenied: not the requester, not approved, or downloaded already (recorded
            under ``share``). :raises NotFound: no such request.
        """
        with self._db.read() as conn:
            found = self._requests(conn, request_id)
        if not found:
            raise NotFound("no such share request")
        request = found[0]
        return self.share(
            ctx,
            request["agreement_id"],
            fields=request["fields"],
            customers=request["customers"],
            all_customers=request["customers"] is None,
            output=request["format"],
            request_id=request_id,
        )

    def _check_request(self, conn: Connection, ctx: RequestContext, request_id: str) -> None:
        # Refuse before reading anyone; the claim in the share's transaction decides for good.
        r = share_requests.c
        row = conn.execute(
            select(r.requested_by, r.state).where(r.tenant == self._tenant, r.id == request_id)
        ).one_or_none()
        if row is None or row.requested_by != ctx.actor.id:
            raise AccessDenied("only the requester downloads an approved share", "R-USE-3")
        if row.state != "approved":
            raise AccessDenied(
                f"the share request is {row.state}: a share downloads once, after approval (R-USE-3)",
                "R-USE-3",
            )

    def _claim_request(self, conn: Connection, ctx: RequestContext, request_id: str, transfer_id: str) -> str:
        """Inside the share's transaction: the request becomes ``done`` with this transfer, once;
        returns its approver. :raises AccessDenied: not the requester's, not approved or used."""
        r = share_requests.c
        row = conn.execute(
            select(r.requested_by, r.state, r.decided_by).where(r.tenant == self._tenant, r.id == request_id)
        ).one_or_none()
        if row is None or row.requested_by != ctx.actor.id:
            raise AccessDenied("only the requester downloads an approved share", "R-USE-3")
        if row.state != "approved":
            raise AccessDenied(
                f"the share request is {row.state}: a share downloads once, after approval (R-USE-3)",
                "R-USE-3",
            )
        done = conn.execute(
            update(share_requests)
            .where(r.tenant == self._tenant, r.id == request_id, r.state == "approved")
            .values(state="done", transfer_id=transfer_id)
        )
        if done.rowcount != 1:
            raise AccessDenied("the share request was downloaded already (R-USE-3)", "R-USE-3")
        return str(row.decided_by)

    # ------------------------------------------------------------------ public disclosure

    def disclose(
        self,
        ctx: RequestContext,
        *,
        purpose: str,
        fields: Mapping[str, Mapping[str, Any] | str],
        medium: str,
        customers: Sequence[str] | None = None,
        all_customers: bool = False,
        output: str = "csv",
        grant_id: str | None = None,
        record_type: str = "customer",
    ) -> ShareResult:
        """Disclose customers' data publicly (R-SHR-8, PIPL 25): a prize winners' list, a public
        testimonial. One gate decision, like a share, but with no recipient:

        - the purpose must require the separate ``public_disclosure`` consent in the catalog, and
          each customer is its own ``disclose_row`` operation for it, so the consent guard leaves out
          (and counts) every customer without that separate consent;
        - a current PIPIA linked to the purpose is on file (R-SHR-3: "providing or disclosing");
        - each field leaves by its declared rule; a pseudonym is refused (there is no recipient to key
          it for, and a published pseudonym can be joined by anyone);
        - the log row (kind ``disclosure``, the medium, fields, rules, persons, content hash,
          operator) and the customers it carried commit with the audit entry; the manifest is
          signed.

        :param medium: where it is published (``官网中奖公示``), a short text.
        :raises AccessDenied: the purpose lacks the separate consent kind, or no current PIPIA
            (recorded under ``disclose`` with the reason).
        :raises ValidationError: an unknown purpose or field, a field the purpose does not cover, a bad
            or pseudonymising rule, no customers, an unknown format.
        """
        if output not in FORMATS:
            raise ValidationError(f"one of {', '.join(FORMATS)}", "format")
        if (customers is None) == (not all_customers):
            raise ValidationError("give the customers or ask for all of them", "customers")
        spec = self._catalog.purposes.get(purpose)
        if spec is None:
            raise ValidationError("no such purpose in the catalog", "purpose")
        if record_type not in self._catalog.record_types:
            raise ValidationError("unknown record type", "record_type")
        where = _text(medium, "medium")
        allowed = self._catalog.fields_for(purpose, record_type)
        if not fields:
            raise ValidationError("name the fields to disclose and how each leaves", "fields")
        rules: dict[str, Rule] = {}
        for field_name, raw in fields.items():
            if field_name not in allowed:
                raise ValidationError(f"not covered by purpose '{purpose}' (R-COL-3)", field_name)
            rule = (
                Rule(raw, {})
                if isinstance(raw, str)
                else Rule(str(raw.get("rule")), dict(raw.get("params") or {}))
            )
            operators.check_rule(rule.rule, rule.params)
            if "key" in operators.get(rule.rule).runtime_params:
                raise ValidationError(
                    "a public disclosure has no recipient to key a pseudonym for: mask, generalise or"
                    " suppress",
                    field_name,
                )
            rules[field_name] = rule
        chosen = list(rules)

        def handler(call: Call) -> ShareResult:
            today = self._today()
            call.touch(chosen, record_type)
            if "public_disclosure" not in spec.separate_consent_for:
                raise AccessDenied(
                    f"purpose '{purpose}' does not require the separate consent for public disclosure:"
                    " nothing is disclosed under it (R-SHR-8)",
                    "R-SHR-8",
                )
            with self._db.read() as conn:
                pias = self._assessments(conn, purpose=purpose)
            if not any(p.is_current(today) for p in pias):
                raise AccessDenied(
                    f"no current impact assessment (PIPIA) on file for purpose '{purpose}' (R-SHR-3)",
                    "R-SHR-3",
                )
            row_ctx = replace(ctx, purpose=purpose)
            ids = list(customers) if customers is not None else list(self.kernel.customer_ids())
            approved = len(ids) > self.large_share
            if approved:
                self._approve(None, ctx, grant_id, purpose, len(ids))
            rows: list[tuple[str, dict[str, str | None]]] = []
            left_out: Counter[str] = Counter()
            withheld: Counter[str] = Counter()
            for cid in ids:
                try:
                    values = self._desensitised_row(
                        DISCLOSE_ROW, row_ctx, cid, record_type, rules, chosen, None, today, withheld, {}
                    )
                    rows.append((cid, values))
                except AccessDenied as exc:
                    left_out[_refusal_reason(exc)] += 1
                except NotFound:
                    left_out["not_found"] += 1
            record = self._catalog.record_types[record_type]
            sensitive = any(record.fields[f].sensitive for f in chosen)
            transfer_id = "dsc_" + secrets.token_hex(8)
            persons = [cid for cid, _ in rows]
            with call.transaction() as conn:
                approver = self._approve(conn, ctx, grant_id, purpose, len(ids)) if approved else None
                content = _render([values for _, values in rows], chosen, output)
                manifest = {
                    "transfer_id": transfer_id,
                    "kind": "disclosure",
                    "medium": where,
                    "purpose": purpose,
                    "fields": chosen,
                    "rules": {f: rules[f].rule for f in chosen},
                    "count": len(rows),
                    "format": output,
                    "content_sha256": hashlib.sha256(content).hexdigest(),
                    "withheld": dict(withheld),
                    "approver": approver,
                    "at": self._clock.now().isoformat(),
                }
                signature = self._key.sign(json.dumps(manifest, sort_keys=True).encode()).hex()
                self._log(
                    conn,
                    transfer_id,
                    "disclosure",
                    None,
                    manifest,
                    len(rows),
                    dict(left_out),
                    ctx,
                    persons,
                    sensitive,
                    today,
                )
                call.note(transfer=transfer_id, persons=len(rows), left_out=sum(left_out.values()))
            return ShareResult(transfer_id, len(rows), dict(left_out), manifest, signature, content, [])

        # The per-row entries in batches, the last with the transfer log (one commit, not one a row).
        with self.kernel.deferring():
            return self.kernel.run(ctx, DISCLOSE, handler)

    def _approve(
        self, conn: Connection | None, ctx: RequestContext, grant_id: str | None, purpose: str, persons: int
    ) -> str:
        if grant_id is None or self._approval is None:
            raise AccessDenied(
                f"a share of more than {self.large_share} customers needs an approved export grant (R-USE-3)",
                "R-USE-3",
            )
        return self._approval(conn, ctx, grant_id, purpose, persons)

    def _check_agreement(
        self,
        agreement: Agreement,
        partner: Partner,
        pias: Sequence[Assessment],
        chosen: Sequence[str],
        today: date,
    ) -> None:
        if agreement.state != "active":
            raise AccessDenied(
                f"the agreement is {agreement.state}: no transfer under it (R-SHR-1)", "R-SHR-1"
            )
        if not agreement.is_active(today):
            raise AccessDenied(
                "the agreement is not in force today (expired or not started; R-SHR-1)", "R-SHR-1"
            )
        if partner.status != "active":
            raise AccessDenied(f"the partner is {partner.status}", "R-SHR-1")
        if partner.assessment_expires < today:
            raise AccessDenied(
                "the partner's security assessment has expired: renew it first", "sharing.partner_assessment"
            )
        outside = [f for f in chosen if f not in agreement.fields]
        if outside:
            raise AccessDenied(
                f"the agreement does not name the fields {', '.join(sorted(outside))} (R-SHR-1)", "R-SHR-1"
            )
        if not any(p.is_current(today) for p in pias):
            raise AccessDenied(
                "no current impact assessment (PIPIA) on file for the agreement (R-SHR-3)", "R-SHR-3"
            )
        if agreement.type == "cross_border":
            if self.localise:
                raise AccessDenied(
                    "the localisation setting refuses every cross-border transfer (R-STO-6)", "R-STO-6"
                )
            if partner.authority:
                raise AccessDenied(
                    "no provision to a foreign judicial or law-enforcement body"
                    " without PRC approval (R-SHR-7)",
                    "R-SHR-7",
                )

    def _share_row(
        self,
        ctx: RequestContext,
        customer_id: str,
        agreement: Agreement,
        partner: Partner,
        chosen: Sequence[str],
        key: bytes,
        today: date,
        withheld: Counter[str],
    ) -> dict[str, str | None]:
        def named_recipient() -> None:
            # R-SHR-2: the separate consent told the person who receives their data; a consent
            # naming another recipient does not authorise this share.
            if self._consented_recipient is None:
                return
            for kind in sorted(CONSENT_FOR[agreement.type]):
                named = self._consented_recipient(customer_id, kind, agreement.purpose)
                if not _same_recipient(named, partner):
                    raise ConsentRequired(
                        f"the customer's separate consent '{kind}' names another recipient, not"
                        f" {partner.name} (R-SHR-2)",
                        "R-SHR-2",
                    )

        return self._desensitised_row(
            SHARE_ROW,
            ctx,
            customer_id,
            agreement.record_type,
            agreement.fields,
            chosen,
            key,
            today,
            withheld,
            {"agreement": agreement.id},
            named_recipient,
        )

    def _desensitised_row(
        self,
        op_: Operation,
        ctx: RequestContext,
        customer_id: str,
        record_type: str,
        rules: Mapping[str, Rule],
        chosen: Sequence[str],
        key: bytes | None,
        today: date,
        withheld: Counter[str],
        note: Mapping[str, str],
        precheck: Callable[[], None] | None = None,
    ) -> dict[str, str | None]:
        """One customer read through the gate as ``op_`` and desensitised field by field;
        ``precheck`` refuses the customer inside the operation (recorded) before anything is read."""
        record = self._catalog.record_types[record_type]

        def handler(call: Call) -> dict[str, str | None]:
            if note:
                call.note(**note)
            if precheck is not None:
                precheck()
            views = call.view.read(chosen, record_type=record_type)
            out: dict[str, str | None] = {}
            for name in chosen:
                rule, view = rules[name], views.get(name)
                op = operators.get(rule.rule)
                value = view.value if view is not None else None
                if view is None:
                    out[name] = None  # the customer has no such value
                    continue
                if op.needs_value and view.level == "deny":
                    out[name] = None
                    withheld[name] += 1
                    continue
                if view.level == "masked" and rule.rule != "mask":
                    # Only the clear value can be pseudonymised or generalised: the field is withheld.
                    out[name] = None
                    withheld[name] += 1
                    continue
                params: dict[str, Any] = dict(rule.params)
                if "key" in op.runtime_params:
                    if key is None:
                        raise ValidationError("no recipient to key pseudonyms for", name)
                    params.update(key=key, field=f"{record_type}.{name}")
                if "today" in op.runtime_params:
                    params["today"] = today
                if "default_rule" in op.runtime_params:
                    params["default_rule"] = record.fields[name].mask or ""
                if view.level == "masked":
                    out[name] = value  # already masked by the gate
                else:
                    out[name] = operators.apply(rule.rule, value, params)
            return out

        return self.kernel.run(ctx, op_, handler, subject=customer_id, record_type=record_type)

    def _check_volume(
        self, conn: Connection, agreement: Agreement, persons: Sequence[str], sensitive: bool, today: date
    ) -> list[str]:
        """R-SHR-6: the year's distinct persons after this transfer, against the mechanism."""
        t = transfer_persons.c
        already = {
            r[0]
            for r in conn.execute(
                select(t.customer_id).where(
                    t.tenant == self._tenant,
                    t.year == today.year,
                    t.cross_border.is_(True),
                    t.sensitive == sensitive,
                )
            )
        }
        count = len(already | set(persons))
        verdict = crossborder.judge(count, agreement.mechanism or "", sensitive=sensitive, ciio=self.ciio)
        if not verdict.covered:
            kind = "sensitive" if sensitive else "non-sensitive"
            raise AccessDenied(
                f"{count} {kind} persons abroad in {today.year} need {verdict.needed}; the agreement's "
                f"mechanism is {agreement.mechanism} (R-SHR-6)",
                "R-SHR-6",
            )
        return [verdict.warning] if verdict.warning else []

    def cross_border_counts(self, year: int) -> dict[str, int]:
        """Distinct persons sent abroad in ``year`` (from 1 January, local time), sensitive apart."""
        t = transfer_persons.c
        out = {}
        with self._db.read() as conn:
            for label, flag in (("non_sensitive", False), ("sensitive", True)):
                out[label] = int(
                    conn.execute(
                        select(func.count(func.distinct(t.customer_id))).where(
                            t.tenant == self._tenant,
                            t.year == year,
                            t.cross_border.is_(True),
                            t.sensitive == flag,
                        )
                    ).scalar_one()
                )
        return out

    def _log(
        self,
        conn: Connection,
        transfer_id: str,
        kind: str,
        agreement: Agreement | None,
        manifest: Mapping[str, Any],
        persons: int,
        left_out: Mapping[str, int],
        ctx: RequestContext,
        customers: Iterable[str],
        sensitive: bool,
        today: date,
    ) -> None:
        cross = agreement is not None and agreement.type == "cross_border"
        conn.execute(
            insert(transfers).values(
                tenant=self._tenant,
                id=transfer_id,
                at=self._clock.now(),
                kind=kind,
                partner_id=agreement.partner_id if agreement else None,
                agreement_id=agreement.id if agreement else None,
                purpose=manifest["purpose"],
                fields=json.dumps(manifest["fields"]),
                rules=json.dumps(manifest["rules"], sort_keys=True),
                persons=persons,
                left_out=json.dumps(dict(left_out), sort_keys=True),
                content_sha256=manifest["content_sha256"],
                manifest=json.dumps(manifest, sort_keys=True, ensure_ascii=False),
                operator=ctx.actor.id,
                approver=manifest.get("approver"),
                cross_border=cross,
                keep_until=date(today.year + KEEP_YEARS, today.month, min(today.day, 28)),
            )
        )
        rows = [
            {
                "tenant": self._tenant,
                "transfer_id": transfer_id,
                "customer_id": cid,
                "year": today.year,
                "cross_border": cross,
                "sensitive": sensitive,
            }
            for cid in customers
        ]
        if rows:
            conn.execute(insert(transfer_persons), rows)

    # ------------------------------------------------------------------ extracts

    def extract(
        self,
        ctx: RequestContext,
        *,
        fields: Sequence[str],
        quasi: Sequence[str],
        k: int = 5,
        l: int | None = None,  # noqa: E741 - the literature's name
        sensitive: str | None = None,
        customers: Sequence[str] | None = None,
        output: str = "csv",
        record_type: str = "customer",
    ) -> ExtractResult:
        """An anonymised extract for the caller's purpose (see :mod:`piguard.sharing.anonymise`).

        :raises ValidationError: a direct identifier among the fields, quasi-identifiers or the
            sensitive attribute not among them, or a target the data cannot reach (refused).
        """
        if output not in FORMATS:
            raise ValidationError(f"one of {', '.join(FORMATS)}", "format")
        record = self._catalog.record_types.get(record_type)
        if record is None:
            raise ValidationError("unknown record type", "record_type")
        chosen = list(dict.fromkeys(fields))
        for name in chosen:
            fdef = record.fields.get(name)
            if fdef is None:
                raise ValidationError("unknown field", name)
            if fdef.type in DIRECT_IDENTIFIERS or fdef.searchable:
                raise ValidationError("a direct identifier never appears in an anonymised extract", name)
        if not quasi or any(q not in chosen for q in quasi):
            raise ValidationError("the quasi-identifiers are some of the fields", "quasi")
        if sensitive is not None and sensitive not in chosen:
            raise ValidationError("the sensitive attribute is one of the fields", "sensitive")

        def handler(call: Call) -> ExtractResult:
            call.touch(chosen, record_type)
            today = self._today()
            ids = list(customers) if customers is not None else list(self.kernel.customer_ids())
            rows: list[dict[str, str]] = []
            left_out: Counter[str] = Counter()
            for cid in ids:
                try:
                    rows.append(self._extract_row(ctx, cid, chosen, record_type))
                except AccessDenied as exc:
                    left_out[_refusal_reason(exc)] += 1
                except NotFound:
                    left_out["not_found"] += 1
            kinds = {q: record.fields[q].type for q in quasi}
            result = anonymise(
                rows,
                quasi,
                kinds,
                k=k,
                l=l,
                sensitive=sensitive,
                today=today,
                max_suppression=self.max_suppression,
            )
            content = _render(list(result.rows), chosen, output)
            transfer_id = "ext_" + secrets.token_hex(8)
            manifest = {
                "transfer_id": transfer_id,
                "purpose": ctx.purpose,
                "fields": chosen,
                "quasi_identifiers": list(quasi),
                "sensitive": sensitive,
                "rules": {q: f"generalise:{result.levels[q]}" for q in quasi},
                "k_target": k,
                "l_target": l,
                "k": result.k,
                "l": result.l,
                "suppressed": result.suppressed,
                "count": len(result.rows),
                "content_sha256": hashlib.sha256(content).hexdigest(),
                "at": self._clock.now().isoformat(),
            }
            call.note(transfer=transfer_id, k=result.k, suppressed=result.suppressed, rows=len(result.rows))
            if result.l is not None:
                call.note(l=result.l)
            with call.transaction() as conn:
                # Anonymised data is not PI: no customer ids are kept with it.
                self._log(
                    conn,
                    transfer_id,
                    "extract",
                    None,
                    manifest,
                    len(result.rows),
                    dict(left_out),
                    ctx,
                    (),
                    False,
                    today,
                )
            return ExtractResult(
                transfer_id,
                len(result.rows),
                result.k,
                result.l,
                result.suppressed,
                dict(left_out),
                manifest,
                content,
            )

        # The per-row entries in batches, the last with the transfer log (one commit, not one a row).
        with self.kernel.deferring():
            return self.kernel.run(ctx, EXTRACT, handler, record_type=record_type, fields=chosen)

    def _extract_row(
        self, ctx: RequestContext, customer_id: str, chosen: Sequence[str], record_type: str
    ) -> dict[str, str]:
        def handler(call: Call) -> dict[str, str]:
            views = call.view.read(chosen, record_type=record_type)
            out = {}
            for name in chosen:
                view = views.get(name)
                # Only clear values generalise correctly; anything else is suppressed as a value.
                out[name] = (view.value or "") if view is not None and view.level == "clear" else "*"
            return out

        return self.kernel.run(ctx, EXTRACT_ROW, handler, subject=customer_id, record_type=record_type)

    # ------------------------------------------------------------------ the log

    def transfers(
        self, ctx: RequestContext, *, partner_id: str | None = None, customer_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The transfer log (R-SHR-4), newest first, by partner or by customer."""

        def handler(call: Call) -> list[dict[str, Any]]:
            t = transfers.c
            q = select(transfers).where(t.tenant == self._tenant)
            if partner_id is not None:
                q = q.where(t.partner_id == partner_id)
            if customer_id is not None:
                p = transfer_persons.c
                q = q.where(
                    t.id.in_(
                        select(p.transfer_id).where(p.tenant == self._tenant, p.customer_id == customer_id)
                    )
                )
            with self._db.read() as conn:
                found = [_transfer(r) for r in conn.execute(q.order_by(t.at.desc(), t.id))]
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, TRANSFER_LIST, handler)

    def transfer_count(self, ctx: RequestContext) -> int:
        """How many provisions and transfers the log holds (R-SHR-4): one count query, for readers
        that need the number and not the log (the compliance checks)."""

        def handler(call: Call) -> int:
            with self._db.read() as conn:
                found = int(
                    conn.execute(
                        select(func.count()).select_from(transfers).where(transfers.c.tenant == self._tenant)
                    ).scalar_one()
                )
            call.note(count=found)
            return found

        return self.kernel.run(ctx, TRANSFER_LIST, handler)

    def recipients(self, customer_id: str) -> list[dict[str, Any]]:
        """Who received ``customer_id``'s data: the recipient's name, contact and country, the
        agreement, purpose, fields and time of each transfer (no values; the rights capability's
        access copy holds it, as PIPL 23 and 45 want the person told who received what)."""
        t, p, r = transfers.c, transfer_persons.c, partners.c
        q = (
            select(
                t.id, t.at, t.partner_id, t.agreement_id, t.purpose, t.fields, r.name, r.contact, r.country
            )
            .join(transfer_persons, (p.tenant == t.tenant) & (p.transfer_id == t.id))
            .join(partners, (r.tenant == t.tenant) & (r.id == t.partner_id))
            .where(t.tenant == self._tenant, p.customer_id == customer_id)
            .order_by(t.at)
        )
        with self._db.read() as conn:
            return [
                {
                    "transfer_id": row.id,
                    "at": row.at.isoformat(),
                    "partner_id": row.partner_id,
                    "recipient": row.name,
                    "contact": row.contact,
                    "country": row.country,
                    "agreement_id": row.agreement_id,
                    "purpose": row.purpose,
                    "fields": json.loads(row.fields),
                }
                for row in conn.execute(q)
            ]

    # ------------------------------------------------------------------ erasure propagation

    def erasing(self, conn: Connection, erasure: Erasure) -> None:
        """Inside every erasing transaction: one deletion notice per partner that received the
        customer's data (the notices commit with the erasure)."""
        t, p = transfers.c, transfer_persons.c
        partner_ids = {
            r[0]
            for r in conn.execute(
                select(t.partner_id)
                .join(transfer_persons, (p.tenant == t.tenant) & (p.transfer_id == t.id))
                .where(
                    t.tenant == self._tenant,
                    p.customer_id == erasure.customer_id,
                    t.partner_id.is_not(None),
                )
            )
        }
        for partner_id in sorted(partner_ids):
            self._deletion_notice(conn, partner_id, erasure.customer_id, erasure.operation[:24], "erased")

    def withdrawing(self, conn: Connection, customer_id: str, withdrawn: Sequence[tuple[str, str]]) -> None:
        """Inside the transaction of a consent withdrawal (item 9, PIPL 15 and 22-23): every
        partner that received the customer's data for a purpose whose basis was withdrawn is sent
        a deletion notice, once while one is unacknowledged. The basis of a transfer is the
        general consent to its purpose plus the separate consents its agreement type needs
        (provision, cross-border); withdrawing any of them ends it."""
        ended: dict[str, set[str]] = {}
        for kind, purpose in withdrawn:
            ended.setdefault(purpose, set()).add(kind)
        t, p, a, n = transfers.c, transfer_persons.c, agreements.c, deletion_notices.c
        rows = conn.execute(
            select(t.partner_id, t.purpose, a.type)
            .join(transfer_persons, (p.tenant == t.tenant) & (p.transfer_id == t.id))
            .join(agreements, (a.tenant == t.tenant) & (a.id == t.agreement_id))
            .where(
                t.tenant == self._tenant,
                p.customer_id == customer_id,
                t.partner_id.is_not(None),
                t.purpose.in_(sorted(ended)),
            )
        )
        partner_ids = {
            r.partner_id
            for r in rows
            if ended[r.purpose] & ({"general"} | CONSENT_FOR.get(r.type, frozenset()))
        }
        pending = set(
            conn.execute(
                select(n.partner_id).where(
                    n.tenant == self._tenant,
                    n.customer_id == customer_id,
                    n.cause == WITHDRAWN,
                    n.acknowledged_at.is_(None),
                )
            ).scalars()
        )
        for partner_id in sorted(partner_ids - pending):
            self._deletion_notice(conn, partner_id, customer_id, WITHDRAWN, "withdrawn")

    def _deletion_notice(
        self, conn: Connection, partner_id: str, customer_id: str, cause: str, why: str
    ) -> None:
        notice_id = "dln_" + secrets.token_hex(8)
        conn.execute(
            insert(deletion_notices).values(
                tenant=self._tenant,
                id=notice_id,
                partner_id=partner_id,
                customer_id=customer_id,
                cause=cause,
                created_at=self._clock.now(),
            )
        )
        self._send_notice(conn, notice_id, partner_id, customer_id, why)

    def _send_notice(
        self, conn: Connection, notice_id: str, partner_id: str, customer_id: str, why: str
    ) -> None:
        """Queue the notice through the one outbox, in the erasing or withdrawing transaction (the
        message exists exactly when the cause does): to the partner's endpoint as signed JSON when
        it registered one, else to its contact address by email. A contact that is not an email
        address, or no such channel, leaves the notice unsent (``delivery`` says so)."""
        if self._messenger is None:
            return
        [partner] = self._partners(conn, partner_id)
        if partner.notify_url is not None and self._messenger.has_channel(WEBHOOK):
            channel, address = WEBHOOK, partner.notify_url
        elif self._messenger.has_channel("email") and _email_like(partner.contact):
            channel, address = "email", partner.contact
        else:
            return
        t, p = transfers.c, transfer_persons.c
        sent = [
            r[0]
            for r in conn.execute(
                select(t.id)
                .join(transfer_persons, (p.tenant == t.tenant) & (p.transfer_id == t.id))
                .where(t.tenant == self._tenant, t.partner_id == partner_id, p.customer_id == customer_id)
                .order_by(t.at, t.id)
            )
        ]
        locale = "zh" if partner.country == "CN" else "en"
        self._messenger.enqueue_to(
            conn,
            address,
            "partner_deletion_notice",
            {
                "partner": partner.name,
                "row_ref": self.row_ref(partner_id, customer_id),
                "transfers": ", ".join(sent),
                "cause": NOTICE_CAUSES[why][0 if locale == "zh" else 1],
                "reference": notice_id,
            },
            channel=channel,
            locale=locale,
            reference=notice_id,
        )

    def erased(self, erasure: Erasure) -> None:
        """Nothing to do once committed: the notices wait for their partners' acknowledgements."""

    def notices(self, ctx: RequestContext, *, pending: bool = False) -> list[dict[str, Any]]:
        """Deletion notices to partners (no customer value: the random id the partner received)."""

        def handler(call: Call) -> list[dict[str, Any]]:
            n = deletion_notices.c
            q = select(deletion_notices).where(n.tenant == self._tenant)
            if pending:
                q = q.where(n.acknowledged_at.is_(None))
            with self._db.read() as conn:
                found = [
                    {
                        "id": r.id,
                        "partner_id": r.partner_id,
                        "customer_id": r.customer_id,
                        "cause": r.cause,
                        "created_at": r.created_at.isoformat(),
                        "acknowledged_at": r.acknowledged_at.isoformat() if r.acknowledged_at else None,
                        "acknowledged_by": r.acknowledged_by,
                        "delivery": self._delivery(r.id),
                    }
                    for r in conn.execute(q.order_by(n.created_at, n.id))
                ]
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, NOTICE_LIST, handler)

    def _delivery(self, notice_id: str) -> str:
        """Whether the notice went out: the outbox's state (``pending``, ``sent``, ``failed``), or
        ``not_sent`` (no channel, or a partner contact that is not an email address and no endpoint)."""
        if self._messenger is None:
            return "not_sent"
        return self._messenger.status(notice_id) or "not_sent"

    def acknowledge(self, ctx: RequestContext, notice_id: str) -> None:
        """Record that the partner confirmed the deletion. :raises NotFound / Conflict."""

        def handler(call: Call) -> None:
            call.note(notice=notice_id)
            n = deletion_notices.c
            with call.transaction() as conn:
                row = conn.execute(
                    select(n.acknowledged_at).where(n.tenant == self._tenant, n.id == notice_id)
                ).one_or_none()
                if row is None:
                    raise NotFound("no such deletion notice")
                if row[0] is not None:
                    raise Conflict("acknowledged already")
                conn.execute(
                    update(deletion_notices)
                    .where(n.tenant == self._tenant, n.id == notice_id)
                    .values(acknowledged_at=self._clock.now(), acknowledged_by=ctx.actor.id)
                )

        self.kernel.run(ctx, NOTICE_ACK, handler)


def _email_like(contact: str) -> bool:
    return "@" in contact and not any(c.isspace() for c in contact)


def _public(request: Mapping[str, Any]) -> dict[str, Any]:
    # A request as listed: how many customers, not which.
    return {k: v for k, v in request.items() if k != "customers"}


def _recipient_key(text: str) -> str:
    # Full-width and half-width forms, case and spacing do not make another recipient.
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


#: A deletion notice's cause when the customer withdrew the consent a transfer rested on.
WITHDRAWN = "consent_withdrawn"
#: The outbox channel that POSTs to a partner's own endpoint.
WEBHOOK = "partner_webhook"
#: The cause as the partner reads it (zh, en): the person's data was erased, or their consent ended.
NOTICE_CAUSES: Mapping[str, tuple[str, str]] = {
    "erased": ("该个人的信息已在我方删除", "the person's information was erased here"),
    "withdrawn": ("该个人已撤回其同意", "the person withdrew their consent"),
}

#: What separates recipients when one consent names several (``顺达物流有限公司、乙公司``).
_RECIPIENT_SEPARATORS = re.compile(r"[、，,；;]")


def _same_recipient(named: str | None, partner: Partner) -> bool:
    """Whether a consent's named recipient (or one of those it lists) is ``partner``: its
    registered name or its unified social credit code. A consent naming no recipient names
    nobody."""
    wanted = {_recipient_key(partner.name)}
    if partner.uscc is not None:
        wanted.add(_recipient_key(partner.uscc))
    names = {_recipient_key(part) for part in _RECIPIENT_SEPARATORS.split(named or "")}
    return bool(names & wanted)


def _render(rows: Sequence[Mapping[str, str | None]], fields: Sequence[str], output: str) -> bytes:
    if output == "jsonl":
        return "".join(
            json.dumps({f: r.get(f) for f in fields}, ensure_ascii=False) + "\n" for r in rows
        ).encode()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    for r in rows:
        writer.writerow(["" if r.get(f) is None else r.get(f) for f in fields])
    return buf.getvalue().encode()


def _transfer(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": r.at.isoformat(),
        "kind": r.kind,
        "partner_id": r.partner_id,
        "agreement_id": r.agreement_id,
        "purpose": r.purpose,
        "fields": json.loads(r.fields),
        "rules": json.loads(r.rules),
        "persons": r.persons,
        "left_out": json.loads(r.left_out),
        "content_sha256": r.content_sha256,
        "operator": r.operator,
        "approver": r.approver,
        "cross_border": r.cross_border,
        "keep_until": r.keep_until.isoformat(),
    }
