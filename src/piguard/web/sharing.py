"""The sharing page: the partner register, agreements, impact assessments, the transfer log and
partners' pending deletion notices (issue 15), in zh/en; an officer may suspend an agreement.

Shares from the console follow the four-eyes path: the sharing officer requests one, another
person whose role may approve the requester's decides it (never the requester: separation of
duties), and the requester downloads it once, a ZIP with the desensitised content and its signed
manifest. The share runs at that download, as one gate decision; piguard keeps only its hash.

The register is kept here too: an officer registers a partner, records an agreement (its fields
and rules as ``field: rule [param=value ...]`` lines), records an impact assessment (one text per
GB/T 39335 section) and acknowledges a partner's deletion notice; a sharing officer discloses
publicly (the ZIP is offered once, like a share's). Each form needs what the operation's own
actions need (the API's routes check no more: the gate authorises them).

An officer ends an agreement: at the end of an entrustment the processor returned or deleted the
data (R-DST-5), and the form takes the outcome and the evidence document, whose SHA-256 the console
computes from the uploaded bytes (the file itself is dropped; only its hash is recorded), or the
hash pasted when there is no file. A sharing officer asks for an anonymised extract (R-STO-4):
fields, quasi-identifiers, k and optionally l on a sensitive attribute; the file downloads once, or
the page says why the target cannot be reached.

Each list runs a declared operation of :class:`~piguard.sharing.Sharing`; nothing here shows a
customer value (the log names fields, rules, counts and hashes).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from piguard import errors
from piguard.sharing import Sharing
from piguard.sharing.capability import DIRECT_IDENTIFIERS
from piguard.sharing.crossborder import MECHANISMS
from piguard.sharing.model import (
    AGREEMENT_TYPES,
    CONCLUSIONS,
    PARTNER_ROLES,
    SECTIONS,
    ExtractResult,
    ShareResult,
)
from piguard.sharing.operators import RULES
from piguard.web import i18n
from piguard.web.core import Console, Staff


def register(router: APIRouter, console: Console) -> None:
    """Add the sharing routes."""
    staff_dep = Depends(console.staff)

    def sharing() -> Sharing:
        return console.capability(Sharing)

    @router.get("/sharing")
    def sharing_page(request: Request, staff: Staff = staff_dep) -> HTMLResponse:
        console.require(staff, "approve", "audit", "export")
        ctx = console.ctx(request, staff, "")
        capability = sharing()
        # The register and the log are for roles that approve or audit; a sharing officer (export)
        # sees the share requests and asks for new ones.
        overseer = staff.can("approve") or staff.can("audit")
        partners = capability.partners(ctx) if overseer else []
        return console.render(
            request,
            "sharing.html",
            title="sharing.title",
            staff=staff,
            overseer=overseer,
            partners=partners,
            partner_names={p.id: p.name for p in partners},
            agreements=capability.agreements(ctx) if overseer else [],
            assessments=capability.assessments(ctx) if overseer else [],
            transfers=capability.transfers(ctx)[:100] if overseer else [],
            notices=capability.notices(ctx, pending=True) if overseer else [],
            requests=(
                capability.share_requests(ctx)[:100] if staff.can("export") or staff.can("approve") else []
            ),
            today=console.gate.today(),
            roles=PARTNER_ROLES,
            types=AGREEMENT_TYPES,
            mechanisms=MECHANISMS,
            conclusions=CONCLUSIONS,
            sections=SECTIONS,
            rules=RULES,
            outcomes=END_OUTCOMES,
            purposes=sorted(console.catalog.purposes),
            extractable=_extractable(console),
            disclosable=sorted(
                name
                for name, spec in console.catalog.purposes.items()
                if "public_disclosure" in spec.separate_consent_for
            ),
        )

    @router.post("/sharing/requests")
    async def request_share(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(request_now, request, form)

    def request_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "export")
        t = i18n.translator(staff.lang)
        everyone = bool(form.get("all"))
        ids = [line.strip() for line in str(form.get("customers") or "").splitlines() if line.strip()]
        try:
            sharing().request_share(
                console.ctx(request, staff, ""),
                str(form.get("agreement") or "").strip()[:40],
                fields=str(form.get("fields") or "").split(","),
                customers=None if everyone else ids,
                all_customers=everyone,
                output=str(form.get("format") or "csv"),
            )
            staff.session.flash("ok", t("sharing.requested"))
        except (errors.ValidationError, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/requests/{request_id}/decide")
    async def decide(request_id: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(decide_now, request, request_id[:40], form)

    def decide_now(request: Request, request_id: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "approve")
        t = i18n.translator(staff.lang)
        approve = form.get("decision") != "refuse"
        try:
            sharing().decide_share(console.ctx(request, staff, ""), request_id, approve=approve)
            key = "sharing.approved" if approve else "sharing.refused"
            staff.session.flash("ok", t(key))
        except (errors.Conflict, errors.NotFound, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/requests/{request_id}/download")
    async def download(request_id: str, request: Request) -> Response:
        await console.posted(request)
        return await run_in_threadpool(download_now, request, request_id[:40])

    def download_now(request: Request, request_id: str) -> Response:
        staff = console.staff(request)
        console.require(staff, "export")
        try:
            result = sharing().download(console.ctx(request, staff, ""), request_id)
        except (errors.NotFound, errors.AccessDenied, errors.ValidationError) as exc:
            staff.session.flash("error", str(exc))
            return console.redirect("/sharing")
        return _archive(result)

    @router.post("/sharing/agreements/{agreement_id}/suspend")
    async def suspend(agreement_id: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(suspend_now, request, agreement_id[:40], form)

    def suspend_now(request: Request, agreement_id: str, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "approve")
        t = i18n.translator(staff.lang)
        try:
            sharing().suspend(
                console.ctx(request, staff, ""),
                agreement_id,
                reason=str(form.get("reason") or "incident")[:64],
            )
            staff.session.flash("ok", t("sharing.suspended").format(agreement=agreement_id))
        except (errors.ValidationError, errors.Conflict, errors.NotFound, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/agreements/{agreement_id}/end")
    async def end(agreement_id: str, request: Request) -> Response:
        form = dict(await console.posted(request))
        uploaded = await _hash_upload(form.pop("evidence", None))
        return await run_in_threadpool(end_now, request, agreement_id[:40], form, uploaded)

    def end_now(request: Request, agreement_id: str, form: dict[str, Any], uploaded: str | None) -> Response:
        staff = console.staff(request)
        console.require(staff, "approve")  # agreement_end's actions, as the API's route
        t = i18n.translator(staff.lang)
        try:
            sharing().end_agreement(
                console.ctx(request, staff, ""),
                agreement_id,
                outcome=_field(form, "outcome", 16) or None,
                evidence_sha256=_evidence(form, uploaded),
            )
            staff.session.flash("ok", t("sharing.ended"))
        except (errors.ValidationError, errors.Conflict, errors.NotFound, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/extracts")
    async def extract(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(extract_now, request, form)

    def extract_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "export")  # extract's actions, as the API's route
        output = _field(form, "format", 8) or "csv"
        try:
            result = sharing().extract(
                console.ctx(request, staff, _field(form, "purpose", 64)),
                fields=_names(form, "fields"),
                quasi=_names(form, "quasi"),
                k=_whole(form, "k", 2, 1000) or 5,
                l=_whole(form, "l", 2, 100),
                sensitive=_field(form, "sensitive", 64) or None,
                output=output,
            )
        except (errors.ValidationError, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
            return console.redirect("/sharing")
        return _extract_file(result, output)

    @router.post("/sharing/partners")
    async def add_partner(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(add_partner_now, request, form)

    def add_partner_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "approve", "administer")  # partner_add's actions, as the API's route
        t = i18n.translator(staff.lang)
        try:
            sharing().add_partner(
                console.ctx(request, staff, ""),
                name=_field(form, "name"),
                uscc_code=_field(form, "uscc", 40) or None,
                contact=_field(form, "contact"),
                country=_field(form, "country", 2),
                role=_field(form, "role", 16),
                authority=bool(form.get("authority")),
                security_basis=_field(form, "security_basis", 64),
                assessed_on=_date(form, "assessed_on"),
                assessment_expires=_date(form, "assessment_expires"),
                assessor=_field(form, "assessor"),
                notify_url=_field(form, "notify_url", 500) or None,
            )
            staff.session.flash("ok", t("sharing.partner_added"))
        except (errors.ValidationError, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/agreements")
    async def add_agreement(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(add_agreement_now, request, form)

    def add_agreement_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "approve")
        t = i18n.translator(staff.lang)
        try:
            sharing().add_agreement(
                console.ctx(request, staff, ""),
                partner_id=_field(form, "partner_id", 40),
                type=_field(form, "type", 16),
                purpose=_field(form, "purpose", 64),
                fields=parse_rules(str(form.get("fields") or "")),
                method=_field(form, "method"),
                safeguards=_field(form, "safeguards", 2000),
                starts_on=_date(form, "starts_on"),
                ends_on=_date(form, "ends_on"),
                document_sha256=_field(form, "document_sha256", 64),
                sub_entrustment=bool(form.get("sub_entrustment")),
                mechanism=_field(form, "mechanism", 32) or None,
                destination=_field(form, "destination", 2) or None,
            )
            staff.session.flash("ok", t("sharing.agreement_added"))
        except (errors.ValidationError, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/assessments")
    async def add_assessment(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(add_assessment_now, request, form)

    def add_assessment_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "approve")
        t = i18n.translator(staff.lang)
        # One link: an agreement, or a purpose (the form's one select names either).
        link = _field(form, "link", 80)
        kind, _, target = link.partition(":")
        try:
            assessment = sharing().add_assessment(
                console.ctx(request, staff, ""),
                sections={s: str(form.get(f"section.{s}") or "")[:4001] for s in SECTIONS},
                conclusion=_field(form, "conclusion", 32),
                reviewer=_field(form, "reviewer"),
                assessed_on=_date(form, "assessed_on"),
                valid_until=_date(form, "valid_until"),
                agreement_id=target if kind == "agreement" and target else None,
                purpose=target if kind == "purpose" and target else None,
            )
            staff.session.flash(
                "ok",
                t("sharing.assessment_added").format(version=assessment.version),
            )
        except (errors.ValidationError, errors.NotFound, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/notices/{notice_id}/ack")
    async def acknowledge(notice_id: str, request: Request) -> Response:
        await console.posted(request)
        return await run_in_threadpool(acknowledge_now, request, notice_id[:40])

    def acknowledge_now(request: Request, notice_id: str) -> Response:
        staff = console.staff(request)
        console.require(staff, "approve")
        t = i18n.translator(staff.lang)
        try:
            sharing().acknowledge(console.ctx(request, staff, ""), notice_id)
            staff.session.flash("ok", t("sharing.acknowledged"))
        except (errors.NotFound, errors.Conflict, errors.AccessDenied) as exc:
            staff.session.flash("error", str(exc))
        return console.redirect("/sharing")

    @router.post("/sharing/disclosures")
    async def disclose(request: Request) -> Response:
        form = dict(await console.posted(request))
        return await run_in_threadpool(disclose_now, request, form)

    def disclose_now(request: Request, form: dict[str, Any]) -> Response:
        staff = console.staff(request)
        console.require(staff, "export")
        everyone = bool(form.get("all"))
        ids = [line.strip() for line in str(form.get("customers") or "").splitlines() if line.strip()]
        try:
            result = sharing().disclose(
                console.ctx(request, staff, ""),
                purpose=_field(form, "purpose", 64),
                fields=parse_rules(str(form.get("fields") or "")),
                medium=_field(form, "medium"),
                customers=None if everyone else ids,
                all_customers=everyone,
                output=_field(form, "format", 8) or "csv",
            )
        except (errors.ValidationError, errors.AccessDenied, errors.NotFound) as exc:
            staff.session.flash("error", str(exc))
            return console.redirect("/sharing")
        return _archive(result)


def _archive(result: ShareResult) -> Response:
    """A share's or a disclosure's one download: the content and its signed manifest, zipped."""
    suffix = "csv" if result.manifest["format"] == "csv" else "jsonl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{result.transfer_id}.{suffix}", result.content)
        archive.writestr(
            f"{result.transfer_id}.manifest.json",
            json.dumps(
                {"manifest": result.manifest, "signature": result.signature}, ensure_ascii=False, indent=2
            ),
        )
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{result.transfer_id}.zip"',
            "Cache-Control": "no-store",
        },
    )


def _extract_file(result: ExtractResult, output: str) -> Response:
    """An extract's one download: the anonymised file itself, as ``piguard extract --out`` writes
    it (its measured k, l and rules are in the transfer log and the audit trail)."""
    suffix = "jsonl" if output == "jsonl" else "csv"
    return Response(
        result.content,
        media_type="application/x-ndjson" if suffix == "jsonl" else "text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{result.transfer_id}.{suffix}"',
            "Cache-Control": "no-store",
        },
    )


#: What became of an entrustment's data at its end (R-DST-5), as :meth:`Sharing.end_agreement`.
END_OUTCOMES = ("returned", "deleted")
#: An evidence file that was chosen but holds no bytes.
EMPTY_FILE = "empty"


async def _hash_upload(upload: object) -> str | None:
    """The SHA-256 of an uploaded evidence file, read in chunks and dropped: piguard keeps only
    the hash. ``None`` when no file was chosen; :data:`EMPTY_FILE` for a file of no bytes."""
    if not isinstance(upload, UploadFile):
        return None
    try:
        digest, size = hashlib.sha256(), 0
        while chunk := await upload.read(1 << 16):
            digest.update(chunk)
            size += len(chunk)
    finally:
        await upload.close()
    if size == 0:
        return EMPTY_FILE if upload.filename else None
    return digest.hexdigest()


def _evidence(form: dict[str, Any], uploaded: str | None) -> str | None:
    """The evidence's hash: the uploaded file's (:func:`_hash_upload`), else the one pasted (the
    capability checks that it is a SHA-256 in hex).

    :raises ValidationError: an empty file, or a pasted hash that is not the uploaded file's.
    """
    pasted = _field(form, "evidence_sha256", 64).lower() or None
    if uploaded is None:
        return pasted
    if uploaded == EMPTY_FILE:
        raise errors.ValidationError("the evidence file is empty", "evidence")
    if pasted is not None and pasted != uploaded:
        raise errors.ValidationError("the pasted hash is not the uploaded file's", "evidence_sha256")
    return uploaded


def _names(form: dict[str, Any], name: str) -> list[str]:
    """Comma-separated field names (a full-width comma too); the capability checks each."""
    text = _field(form, name, 2000).replace("\uff0c", ",")
    return [part.strip()[:65] for part in text.split(",") if part.strip()][: MOST_FIELDS + 1]


def _whole(form: dict[str, Any], name: str, least: int, most: int) -> int | None:
    """A whole number in ``least..most`` (the API's bounds), or ``None`` when left blank.

    :raises ValidationError: not a whole number, or out of bounds.
    """
    text = _field(form, name, 8)
    if not text:
        return None
    if not text.isdigit() or not least <= int(text) <= most:
        raise errors.ValidationError(f"a whole number from {least} to {most}", name)
    return int(text)


def _extractable(console: Console) -> list[str]:
    """The customer fields an anonymised extract may name (no direct identifier), as catalog
    names, for the form's hint (the capability refuses any other)."""
    record = console.catalog.record_types.get("customer")
    if record is None:
        return []
    return [
        name
        for name, fdef in record.fields.items()
        if fdef.type not in DIRECT_IDENTIFIERS and not fdef.searchable
    ]


def _field(form: dict[str, Any], name: str, most: int = 200) -> str:
    # Cut one character past the capability's own limit, so an over-long value is refused there.
    return str(form.get(name) or "").strip()[: most + 1]


def _date(form: dict[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(_field(form, name, 10))
    except ValueError:
        raise errors.ValidationError("a date (YYYY-MM-DD)", name) from None


#: The most fields one agreement or disclosure names (the API's limit).
MOST_FIELDS = 64


def parse_rules(text: str) -> dict[str, str | dict[str, Any]]:
    """Each field and its rule from ``field: rule [param=value ...]`` lines (a full-width colon
    too); a parameter of digits is a number. The capability checks the field and the rule.

    >>> parse_rules("mobile: pseudonymise\nbirth_date: generalise to=age_band width=5")
    {'mobile': 'pseudonymise', 'birth_date': {'rule': 'generalise', 'params': {'to': 'age_band', 'width': 5}}}

    :raises ValidationError: a line without a field or a rule, a parameter without ``=``, a field
        named twice, more than 64 fields.
    """
    out: dict[str, str | dict[str, Any]] = {}
    for raw in text.splitlines():
        line = raw.replace("\uff1a", ":").strip()
        if not line:
            continue
        name, colon, rest = line.partition(":")
        name, words = name.strip(), rest.split()
        if not colon or not name or not words:
            raise errors.ValidationError("each line is 'field: rule [param=value ...]'", "fields")
        if name in out:
            raise errors.ValidationError("named twice", name[:64])
        params: dict[str, Any] = {}
        for word in words[1:]:
            key, equals, value = word.partition("=")
            if not equals or not key:
                raise errors.ValidationError("a rule's parameter is 'param=value'", name[:64])
            params[key] = int(value) if value.isdigit() else value
        out[name] = words[0] if not params else {"rule": words[0], "params": params}
        if len(out) > MOST_FIELDS:
            raise errors.ValidationError(f"at most {MOST_FIELDS} fields", "fields")
    return out
