"""Compliance evidence as a capability on the gate (R-AUD-4, R-AUD-5, R-TRN-1..3, R-MIN-2, R-MIN-5,
R-COL-8): governance records, live checks, the record of processing, the signed report and the
evidence bundle.

Every public method is one gate operation. The checks read the other capabilities through the
readings the installation hands in (:class:`~.sources.Sources`), with the caller's context, so each
reading is that capability's own audited operation, run inside this one. Governance records are
versioned rows written in ``call.transaction()`` with their audit entry; a report's files are
written under ``<home>/compliance/reports/<id>/`` with a manifest signed by the audit key, and the
report's row (summary, manifest, signature) commits with its entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func, insert, select

from piguard.catalog import Catalog
from piguard.clock import Clock, SystemClock
from piguard.compliance import render
from piguard.compliance.checks import Env, Registry, default_registry, run_checks
from piguard.compliance.model import CheckResult
from piguard.compliance.report import SCHEMA, assemble, load_test_map, summary
from piguard.compliance.requirements import Requirement, requirements
from piguard.compliance.ropa import build_ropa
from piguard.compliance.schedule import LARGE_PROCESSOR, schedule
from piguard.compliance.signing import MANIFEST, SIGNATURE, canonical, key_id_of, manifest_for, sign
from piguard.compliance.signing import verify as verify_signed
from piguard.compliance.sources import Sources
from piguard.compliance.tables import records, reports
from piguard.errors import NotFound, ValidationError
from piguard.gate.sdk import Call, Kernel, Operation, RequestContext, SigningKey, Storage, mask_free_text

__all__ = ["FORMATS", "OPERATIONS", "Compliance"]

log = logging.getLogger(__name__)

#: The memoised readings of the compliance operation running in this context.
_READING: ContextVar[Sources | None] = ContextVar("compliance_reading", default=None)

NAME = "compliance"
FORMATS: Final = ("json", "html", "pdf")
POLICY_SCOPES: Final = ("general", "minors", "incident", "security", "retention", "rights")
AUDIT_SCOPES: Final = ("general", "minors")
AUDIT_RESULTS: Final = ("passed", "findings", "failed")
MAX_BODY = 200_000
READERS = ("audit", "approve")


def _op(name: str, actions: tuple[Any, ...], summary: str, **kw: Any) -> Operation:
    return Operation(name, actions, "none", NAME, purpose=False, summary=summary, **kw)


CHECK = _op(
    "compliance_check",
    READERS,
    "run the live checks against the installation: per check a status and its evidence",
    requirements=("R-AUD-4", "R-AUD-5"),
    detail={"count": "int", "failed": "int"},
)
ROPA = _op(
    "compliance_ropa",
    READERS,
    "the record of processing activities, from the catalog and live counts",
    requirements=("R-AUD-4",),
    detail={"count": "int"},
)
REPORT = _op(
    "compliance_report",
    READERS,
    "the compliance report: every requirement with its status and evidence, signed, kept",
    writes=True,
    requirements=("R-AUD-4", "R-AUD-5"),
    detail={"count": "int", "failed": "int", "report": "token"},
)
REPORTS = _op(
    "compliance_reports",
    READERS,
    "previous compliance reports: when, by whom, their counts",
    detail={"count": "int"},
)
BUNDLE = _op(
    "compliance_bundle",
    READERS,
    "the evidence bundle for an auditor: report, ROPA, records' metadata, verification; signed",
    requirements=("R-AUD-4",),
    detail={"count": "int"},
)
GOVERNANCE = _op(
    "compliance_governance",
    READERS,
    "governance records: the PI officer, policies in force, audits on file and the audit schedule",
    requirements=("R-TRN-2", "R-TRN-3", "R-AUD-5"),
    detail={"count": "int"},
)
OFFICER = _op(
    "compliance_officer_set",
    ("approve",),
    "name the PI protection officer and publish their contact (a new version)",
    writes=True,
    requirements=("R-TRN-2",),
    detail={"version": "int"},
)
POLICY = _op(
    "compliance_policy_publish",
    ("approve",),
    "publish a new version of an internal policy or procedure",
    writes=True,
    requirements=("R-TRN-3", "R-MIN-2"),
    detail={"version": "int", "scope": "token"},
)
AUDIT = _op(
    "compliance_audit_record",
    ("approve",),
    "record a completed compliance audit (general, or of minors' PI)",
    writes=True,
    requirements=("R-AUD-5", "R-MIN-5"),
    detail={"scope": "token"},
)
SCHEDULE = _op(
    "compliance_schedule",
    ("administer", "audit"),
    "compute the compliance-audit schedule; count audits overdue and due soon (the alert)",
    requirements=("R-AUD-5", "R-MIN-5"),
    detail={"overdue": "int", "due_soon": "int"},
)
OPERATIONS: tuple[Operation, ...] = (
    CHECK, ROPA, REPORT, REPORTS, BUNDLE, GOVERNANCE, OFFICER, POLICY, AUDIT, SCHEDULE,
)  # fmt: skip


def _text(value: str, name: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError("must not be empty", name)
    if len(value) > limit or "\x00" in value:
        raise ValidationError(f"must be at most {limit} characters, without NUL", name)
    return value


def _identifier(value: str, name: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 64 or not all(c.isalnum() or c in "-_." for c in value):
        raise ValidationError("must be 1-64 letters, digits, '-', '_' or '.'", name)
    return value


class Compliance:
    """The compliance capability (see the module docstring)."""

    name = NAME
    operations = OPERATIONS

    def __init__(
        self,
        db: Storage,
        catalog: Catalog,
        tenant: str,
        *,
        signing_key: SigningKey,
        sources: Sources,
        reports_dir: Path,
        organisation: str = "",
        test_results: Path | None = None,
        clock: Clock | None = None,
        registry: Registry | None = None,
        checklist: Sequence[Requirement] | None = None,
        audit_threshold: int = LARGE_PROCESSOR,
    ) -> None:
        """:param sources: the readings of the other capabilities (wired by the installation).
        :param reports_dir: where reports are kept (``<home>/compliance/reports``).
        :param test_results: the suite's ``requirements-map.json`` the report reads by default.
        :param audit_threshold: persons above which a compliance audit is due every 2 years."""
        self._db, self._catalog, self._tenant = db, catalog, tenant
        self._key = signing_key
        self._sources = sources
        self.reports_dir = reports_dir
        self.organisation = organisation
        self.test_results = test_results
        self._clock = clock or SystemClock()
        self.registry = registry or default_registry()
        self.checklist = tuple(checklist or requirements())
        self.audit_threshold = audit_threshold
        self._kernel: Kernel | None = None

    @property
    def sources(self) -> Sources:
        """The readings: inside a compliance operation, its memoised copy (each read once)."""
        return _READING.get() or self._sources

    @contextmanager
    def _reading(self) -> Iterator[None]:
        token = _READING.set(self._sources.memoised())
        try:
            yield
        finally:
            _READING.reset(token)

    def bind(self, kernel: Kernel) -> None:
        self._kernel = kernel

    @property
    def kernel(self) -> Kernel:
        if self._kernel is None:
            raise RuntimeError("the compliance capability is not mounted on a gate")
        return self._kernel

    @property
    def public_key(self) -> bytes:
        return self._key.public_raw

    # ------------------------------------------------------------------ governance records

    def _versions(self, kind: str) -> list[dict[str, Any]]:
        """Every version of every record of ``kind``, oldest first."""
        query = (
            select(records)
            .where(records.c.tenant == self._tenant, records.c.kind == kind)
            .order_by(records.c.effective_on, records.c.name, records.c.version)
        )
        with self._db.read() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        return [self._record_dict(r) for r in rows]

    def current(self, kind: str) -> list[dict[str, Any]]:
        """The records of ``kind`` in force: the newest version of each name effective today."""
        today = self.kernel.today()
        newest: dict[str, dict[str, Any]] = {}
        for row in self._versions(kind):
            if date.fromisoformat(row["effective_on"]) <= today or kind == "audit":
                newest[row["name"]] = row
        return sorted(newest.values(), key=lambda r: (r["effective_on"], r["name"]))

    @staticmethod
    def _record_dict(row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": row["kind"],
            "name": row["name"],
            "version": row["version"],
            "title": row["title"],
            "effective_on": row["effective_on"].isoformat(),
            "scope": row["scope"],
            "content_hash": row["content_hash"],
            "recorded_by": row["recorded_by"],
            "recorded_at": row["recorded_at"].isoformat(),
        }
        if row["kind"] == "policy":
            out["text"] = row["body"]
        else:
            out.update(json.loads(row["body"]))
        return out

    def _add_record(
        self,
        call: Call,
        kind: str,
        name: str,
        *,
        title: str,
        body: str,
        effective_on: date,
        scope: str | None,
    ) -> dict[str, Any]:
        with call.transaction() as conn:
            latest = conn.execute(
                select(func.max(records.c.version)).where(
                    records.c.tenant == self._tenant, records.c.kind == kind, records.c.name == name
                )
            ).scalar()
            version = int(latest or 0) + 1
            if "version" in call.op.detail:
                call.note(version=version)
            conn.execute(
                insert(records).values(
                    tenant=self._tenant,
                    kind=kind,
                    name=name,
                    version=version,
                    title=title,
                    body=body,
                    content_hash="sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest(),
                    effective_on=effective_on,
                    scope=scope,
                    recorded_by=call.ctx.actor.id,
                    recorded_at=self._clock.now(),
                )
            )
            row = (
                conn.execute(
                    select(records).where(
                        records.c.tenant == self._tenant,
                        records.c.kind == kind,
                        records.c.name == name,
                        records.c.version == version,
                    )
                )
                .mappings()
                .one()
            )
            return self._record_dict(dict(row))

    def set_officer(
        self,
        ctx: RequestContext,
        *,
        name: str,
        contact: str,
        published: bool = True,
        since: date | None = None,
    ) -> dict[str, Any]:
        """Name the PI protection officer (R-TRN-2): a new version of the ``officer`` record.
        The name and contact are published (they are the organisation's, not a customer's).

        :raises ValidationError: an empty or overlong name or contact.
        """
        name = _text(name, "name", 128)
        contact = _text(contact, "contact", 256)
        day = since or self.kernel.today()
        body = json.dumps({"contact": contact, "published": bool(published)}, ensure_ascii=False)

        def handler(call: Call) -> dict[str, Any]:
            return self._add_record(
                call, "officer", "officer", title=name, body=body, effective_on=day, scope=None
            )

        return self.kernel.run(ctx, OFFICER, handler)

    def publish_policy(
        self,
        ctx: RequestContext,
        name: str,
        *,
        title: str,
        text: str,
        scope: str = "general",
        effective_on: date | None = None,
    ) -> dict[str, Any]:
        """Publish a new version of internal policy ``name`` (R-TRN-3; ``scope="minors"``: the
        rules for under-14s, R-MIN-2). Old versions stay. The text passes the free-text masker.

        :raises ValidationError: a bad name, scope, empty title or text.
        """
        name = _identifier(name, "name")
        title = _text(title, "title", 200)
        body = mask_free_text(_text(text, "text", MAX_BODY))
        if scope not in POLICY_SCOPES:
            raise ValidationError(f"must be one of {', '.join(POLICY_SCOPES)}", "scope")
        day = effective_on or self.kernel.today()

        def handler(call: Call) -> dict[str, Any]:
            call.note(scope=scope)
            return self._add_record(
                call, "policy", name, title=title, body=body, effective_on=day, scope=scope
            )

        return self.kernel.run(ctx, POLICY, handler)

    def record_audit(
        self,
        ctx: RequestContext,
        *,
        scope: str,
        completed_on: date,
        auditor: str,
        result: str,
        reference: str = "",
    ) -> dict[str, Any]:
        """Record a completed compliance audit (R-AUD-5; ``scope="minors"``: R-MIN-5).

        :raises ValidationError: an unknown scope or result, a date in the future, no auditor.
        """
        if scope not in AUDIT_SCOPES:
            raise ValidationError(f"must be one of {', '.join(AUDIT_SCOPES)}", "scope")
        if result not in AUDIT_RESULTS:
            raise ValidationError(f"must be one of {', '.join(AUDIT_RESULTS)}", "result")
        if completed_on > self.kernel.today():
            raise ValidationError("an audit cannot be completed in the future", "completed_on")
        auditor = _text(auditor, "auditor", 128)
        body = json.dumps(
            {"auditor": auditor, "result": result, "reference": mask_free_text(reference.strip()[:200])},
            ensure_ascii=False,
        )
        audit_id = "audit_" + secrets.token_hex(8)

        def handler(call: Call) -> dict[str, Any]:
            call.note(scope=scope)
            return self._add_record(
                call, "audit", audit_id, title=auditor, body=body, effective_on=completed_on, scope=scope
            )

        return self.kernel.run(ctx, AUDIT, handler)

    def governance(self, ctx: RequestContext) -> dict[str, Any]:
        """The officer in force, the policies in force (and their history), audits on file and
        the schedule."""

        def handler(call: Call) -> dict[str, Any]:
            officers = self.current("officer")
            policies = self.current("policy")
            audits = self.current("audit")
            out = {
                "officer": officers[-1] if officers else None,
                "policies": [{k: v for k, v in p.items() if k != "text"} for p in policies],
                "policy_history": [
                    {k: v for k, v in p.items() if k != "text"} for p in self._versions("policy")
                ],
                "audits": audits,
                "schedule": self._schedule(call.ctx, audits),
            }
            call.note(count=len(policies) + len(audits) + len(officers))
            return out

        with self._reading():
            return self.kernel.run(ctx, GOVERNANCE, handler)

    def policy_text(self, ctx: RequestContext, name: str, version: int | None = None) -> dict[str, Any]:
        """One policy version with its text (the newest in force by default), through the
        governance operation. :raises NotFound: no such policy or version."""

        def handler(call: Call) -> dict[str, Any]:
            found = [p for p in self._versions("policy") if p["name"] == name]
            if version is not None:
                found = [p for p in found if p["version"] == version]
            if not found:
                raise NotFound("no such policy")
            call.note(count=1)
            return found[-1]

        with self._reading():
            return self.kernel.run(ctx, GOVERNANCE, handler)

    def _population(self, ctx: RequestContext) -> Mapping[str, Any] | None:
        return self.sources.population(ctx) if self.sources.population is not None else None

    def _persons(self) -> int:
        return sum(1 for _ in self.kernel.customer_ids())

    def _schedule(self, ctx: RequestContext, audits: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        population = self._population(ctx) or {}
        return schedule(
            self._persons(),
            int(population.get("minors", 0)),
            audits,
            self.kernel.today(),
            threshold=self.audit_threshold,
        )

    def tick(self, ctx: RequestContext) -> dict[str, int]:
        """The ``compliance_schedule`` job: count audits overdue and due soon; the
        ``compliance_audit_due`` monitoring rule turns a non-zero count into an alert."""

        def handler(call: Call) -> dict[str, int]:
            items = self._schedule(call.ctx, self.current("audit"))
            counts = {
                "overdue": sum(1 for i in items if i["status"] == "overdue"),
                "due_soon": sum(1 for i in items if i["status"] == "due_soon"),
            }
            call.note(**counts)
            return counts

        with self._reading():
            return self.kernel.run(ctx, SCHEDULE, handler)

    # ------------------------------------------------------------------ checks

    def _env(self, ctx: RequestContext) -> Env:
        return Env(
            ctx=ctx,
            catalog=self._catalog,
            kernel=self.kernel,
            sources=self.sources,
            today=self.kernel.today(),
            persons=self._persons(),
            governance=self.current,
            audit_threshold=self.audit_threshold,
        )

    def _run_checks(self, ctx: RequestContext, requirement: str | None = None) -> list[CheckResult]:
        checks = self.registry.for_requirement(requirement) if requirement else list(self.registry)
        return run_checks(checks, self._env(ctx))

    def check(self, ctx: RequestContext, *, requirement: str | None = None) -> list[CheckResult]:
        """Run the live checks (those naming ``requirement`` only, if given).

        :raises ValidationError: ``requirement`` is not an ID of the checklist.
        """
        if requirement is not None and requirement not in {r.id for r in self.checklist}:
            raise ValidationError("not a requirement of the checklist", "id")

        def handler(call: Call) -> list[CheckResult]:
            results = self._run_checks(call.ctx, requirement)
            call.note(count=len(results), failed=sum(1 for r in results if r.status == "fail"))
            return results

        with self._reading():
            return self.kernel.run(ctx, CHECK, handler)

    # ------------------------------------------------------------------ ROPA

    def _ropa(self, ctx: RequestContext) -> dict[str, Any]:
        officers = self.current("officer")
        officer = officers[-1] if officers else None
        return build_ropa(
            self._catalog,
            organisation=self.organisation,
            generated_at=self._clock.now(),
            persons=self._persons(),
            population=self._population(ctx),
            sharing=self.sources.sharing(ctx) if self.sources.sharing is not None else None,
            settings=self.sources.settings,
            officer={"name": officer["title"], "contact": officer["contact"]}
            if officer and officer.get("published")
            else None,
        )

    def ropa(self, ctx: RequestContext) -> dict[str, Any]:
        """The record of processing activities (R-AUD-4) as one JSON document."""

        def handler(call: Call) -> dict[str, Any]:
            doc = self._ropa(call.ctx)
            call.note(count=len(doc["activities"]))
            return doc

        with self._reading():
            return self.kernel.run(ctx, ROPA, handler)

    @staticmethod
    def ropa_files(doc: Mapping[str, Any], formats: Sequence[str] = FORMATS) -> dict[str, bytes]:
        """The ROPA's files by name: ``ropa.json``, ``ropa.zh.html`` / ``ropa.en.html``, PDFs."""
        files: dict[str, bytes] = {}
        if "json" in formats:
            files["ropa.json"] = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
        for lang in ("zh", "en"):
            html = render.ropa_html(doc, lang)
            if "html" in formats:
                files[f"ropa.{lang}.html"] = html.encode("utf-8")
            if "pdf" in formats:
                files[f"ropa.{lang}.pdf"] = render.pdf(html)
        return files

    # ------------------------------------------------------------------ the report

    def _pictures(self, ctx: RequestContext, results: Sequence[CheckResult]) -> dict[str, dict[str, int]]:
        pictures: dict[str, dict[str, int]] = {}
        if self.sources.request_stats is not None:
            pictures["dsr"] = dict(self.sources.request_stats(ctx).get("by_type", {}))
        if self.sources.alerts is not None:
            by_rule: dict[str, int] = {}
            for alert in self.sources.alerts(ctx):
                by_rule[str(alert.get("rule"))] = by_rule.get(str(alert.get("rule")), 0) + 1
            pictures["alerts"] = by_rule
        backlog = next((r for r in results if r.check == "storage.retention_backlog"), None)
        if backlog is not None and backlog.status != "not_available":
            by_type: dict[str, int] = {}
            for action in backlog.evidence.get("actions", []):
                by_type[action["record_type"]] = by_type.get(action["record_type"], 0) + int(action["count"])
            pictures["backlog"] = by_type
        reach = next((r for r in results if r.check == "access.deny_by_default"), None)
        if reach is not None and "roles" in reach.evidence:
            pictures["access"] = {k: v["clear"] + v["masked"] for k, v in reach.evidence["roles"].items()}
        return pictures

    def _document(self, ctx: RequestContext, report_id: str, tests_path: Path | None) -> dict[str, Any]:
        results = self._run_checks(ctx)
        tests = load_test_map(tests_path or self.test_results)
        reqs = assemble(self.checklist, results, tests)
        return {
            "schema": SCHEMA,
            "id": report_id,
            "organisation": self.organisation,
            "generated_at": self._clock.now().isoformat(),
            "generated_by": ctx.actor.id,
            "key_id": key_id_of(self.public_key),
            "summary": summary(reqs),
            "requirements": [r.as_dict() for r in reqs],
            "tests": {
                "commit": tests.get("commit") if tests else None,
                "finished_at": tests.get("finished_at") if tests else None,
                "source": "requirements-map.json" if tests else None,
            },
            "pictures": self._pictures(ctx, results),
        }

    @staticmethod
    def report_files(doc: Mapping[str, Any], formats: Sequence[str] = FORMATS) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        if "json" in formats:
            files["report.json"] = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
        for lang in ("zh", "en"):
            html = render.report_html(doc, lang)
            if "html" in formats:
                files[f"report.{lang}.html"] = html.encode("utf-8")
            if "pdf" in formats:
                files[f"report.{lang}.pdf"] = render.pdf(html)
        return files

    def _signed(self, files: dict[str, bytes], report_id: str) -> tuple[dict[str, Any], str]:
        manifest = manifest_for(
            files, report_id=report_id, created_at=self._clock.now().isoformat(), key=self._key
        )
        return manifest, sign(manifest, self._key)

    def report(
        self,
        ctx: RequestContext,
        *,
        out: Path | None = None,
        formats: Sequence[str] = FORMATS,
        tests: Path | None = None,
    ) -> dict[str, Any]:
        """Generate, sign and keep a compliance report: every requirement of the checklist with
        its status, checks, tests and gaps. The files go to ``<reports_dir>/<id>/`` (kept) and,
        if ``out`` is given, are copied there too.

        :param tests: the suite's requirement map to read (default: the installation's).
        :returns: ``{"id", "requirements", "summary", "files", "dir", "signature"}``.
        :raises ValidationError: an unknown format.
        """
        unknown = set(formats) - set(FORMATS)
        if unknown or not formats:
            raise ValidationError(f"formats must be among {', '.join(FORMATS)}", "format")
        report_id = "rep_" + self._clock.now().strftime("%Y%m%dT%H%M%S") + "_" + secrets.token_hex(4)

        def handler(call: Call) -> dict[str, Any]:
            doc = self._document(call.ctx, report_id, tests)
            files = self.report_files(doc, formats)
            manifest, signature = self._signed(files, report_id)
            folder = self.reports_dir / report_id
            failed = int(doc["summary"]["fail"])
            call.note(count=len(doc["requirements"]), failed=failed, report=report_id)
            with call.transaction() as conn:
                conn.execute(
                    insert(reports).values(
                        tenant=self._tenant,
                        id=report_id,
                        at=self._clock.now(),
                        by=call.ctx.actor.id,
                        summary=json.dumps(doc["summary"]),
                        manifest=json.dumps(manifest, ensure_ascii=False),
                        signature=signature,
                    )
                )
            # Written once the row committed with its entry: a refused or failed run leaves no files.
            for target in [folder] + ([out] if out is not None else []):
                _write_signed(target, files, manifest, signature)
            return {
                "id": report_id,
                "summary": doc["summary"],
                "requirements": doc["requirements"],
                "files": [str((out or folder) / name) for name in sorted(files)],
                "dir": str(out or folder),
                "signature": signature,
            }

        with self._reading():
            return self.kernel.run(ctx, REPORT, handler)

    def reports(self, ctx: RequestContext, *, limit: int = 50) -> list[dict[str, Any]]:
        """Previous reports, newest first (id, time, who, counts, where kept)."""

        def handler(call: Call) -> list[dict[str, Any]]:
            query = (
                select(reports.c.id, reports.c.at, reports.c.by, reports.c.summary)
                .where(reports.c.tenant == self._tenant)
                .order_by(reports.c.at.desc(), reports.c.id.desc())
                .limit(max(1, min(limit, 500)))
            )
            with self._db.read() as conn:
                found = [
                    {
                        "id": r.id,
                        "at": r.at.isoformat(),
                        "by": r.by,
                        "summary": json.loads(r.summary),
                        "dir": str(self.reports_dir / r.id),
                    }
                    for r in conn.execute(query)
                ]
            call.note(count=len(found))
            return found

        return self.kernel.run(ctx, REPORTS, handler)

    def report_file(self, ctx: RequestContext, report_id: str, name: str) -> bytes:
        """One file of a kept report (for the console's download), through the reports listing.

        :raises NotFound: no such report or file."""

        def handler(call: Call) -> bytes:
            with self._db.read() as conn:
                row = conn.execute(
                    select(reports.c.manifest).where(
                        reports.c.tenant == self._tenant, reports.c.id == report_id
                    )
                ).first()
            if row is None:
                raise NotFound("no such report")
            names = {f["name"] for f in json.loads(row.manifest)["files"]} | {MANIFEST, SIGNATURE}
            path = self.reports_dir / report_id / name
            if name not in names or not path.is_file():
                raise NotFound("no such file in the report")
            call.note(count=1)
            return path.read_bytes()

        return self.kernel.run(ctx, REPORTS, handler)

    # ------------------------------------------------------------------ the evidence bundle

    def bundle(self, ctx: RequestContext, out: Path, *, tests: Path | None = None) -> dict[str, Any]:
        """Write the signed evidence bundle (a ZIP) for an auditor: the report (JSON, zh/en HTML),
        the ROPA, destruction records' metadata, DSR statistics, the audit verification result,
        the sharing register's metadata (agreements, assessments, transfers) when installed, and
        the governance records. Ids, counts and catalog names only: no customer value.

        :returns: ``{"file", "files", "signature"}``.
        """
        bundle_id = "bundle_" + self._clock.now().strftime("%Y%m%dT%H%M%S") + "_" + secrets.token_hex(4)

        def handler(call: Call) -> dict[str, Any]:
            c = call.ctx
            doc = self._document(c, bundle_id, tests)
            files = self.report_files(doc, ("json", "html"))
            files.update(self.ropa_files(self._ropa(c), ("json",)))
            extra: dict[str, Any] = {
                "destructions.json": _strip_documents(self.sources.destructions(c))
                if self.sources.destructions
                else "not_available",
                "dsr_statistics.json": self.sources.request_stats(c)
                if self.sources.request_stats
                else "not_available",
                "audit_verification.json": self.sources.audit_verify(c)
                if self.sources.audit_verify
                else "not_available",
                "sharing.json": self.sources.sharing(c) if self.sources.sharing else "not_available",
                "sharing_records.json": self.sources.sharing_records(c)
                if self.sources.sharing_records
                else "not_available",
                "governance.json": {
                    "officer": next(reversed(self.current("officer")), None),
                    "policies": [
                        {k: v for k, v in p.items() if k != "text"} for p in self._versions("policy")
                    ],
                    "audits": self.current("audit"),
                },
            }
            for name, value in extra.items():
                files[name] = json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")
            manifest, signature = self._signed(files, bundle_id)
            out.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data in sorted(files.items()):
                    archive.writestr(name, data)
                archive.writestr(MANIFEST, canonical(manifest))
                archive.writestr(SIGNATURE, signature + "\n")
            out.write_bytes(buffer.getvalue())
            call.note(count=len(files))
            return {"file": str(out), "files": sorted(files), "signature": signature}

        with self._reading():
            return self.kernel.run(ctx, BUNDLE, handler)

    def verify(self, path: Path, public_key: bytes | None = None) -> dict[str, Any]:
        """Verify a report directory or a bundle (offline: :func:`.signing.verify` needs no home;
        this method trusts the installation's own key by default)."""
        return verify_signed(path, public_key or self.public_key)


def _strip_documents(found: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Destruction records' metadata, as the lifecycle lists them (ids and counts only)."""
    return [dict(r) for r in found]


def _write_signed(
    folder: Path, files: Mapping[str, bytes], manifest: Mapping[str, Any], signature: str
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / MANIFEST).write_bytes(canonical(manifest))
    (folder / SIGNATURE).write_text(signature + "\n", encoding="ascii")
