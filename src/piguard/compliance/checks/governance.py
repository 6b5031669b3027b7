"""Checks on governance records (R-TRN-2, R-TRN-3, R-COL-8, R-AUD-4, R-AUD-5, R-MIN-5)."""

from __future__ import annotations

from typing import Any

from piguard.compliance.checks.base import Check, Env
from piguard.compliance.model import CheckResult
from piguard.compliance.schedule import schedule

#: What a published notice must say, per kind and language (R-COL-8; R-MIN-2 for children):
#: checked here again on the live texts, whatever the publishing code checked.
NOTICE_TERMS: dict[str, dict[str, tuple[str, ...]]] = {
    "privacy": {"zh": ("保存期限", "权利"), "en": ("retention", "rights")},
    "children": {"zh": ("监护人", "保存期限", "权利"), "en": ("guardian", "retention", "rights")},
}


def current_notice(env: Env, kind: str) -> dict[str, Any] | None:
    """The newest published notice of ``kind`` in effect today (with its texts), or None."""
    if env.sources.notices is None:
        return None
    found = [n for n in env.sources.notices(env.ctx) if n.get("kind") == kind]
    return max(found, key=lambda n: int(n["version"]), default=None)


def missing_terms(notice: dict[str, Any], kind: str) -> list[str]:
    missing = []
    for lang, terms in NOTICE_TERMS[kind].items():
        text = str(notice.get(f"text_{lang}", "")).casefold()
        missing += [f"{lang}:{t}" for t in terms if t.casefold() not in text]
    return missing


class Officer(Check):
    """A PI protection officer is named, with a contact, and published."""

    name = "governance.officer"
    requirements = ("R-TRN-2",)
    title = (
        "已指定个人信息保护负责人并公开联系方式",
        "a PI protection officer is named and their contact published",
    )

    def run(self, env: Env) -> CheckResult:
        officers = env.governance("officer")
        if not officers:
            return self.result("fail", "no PI protection officer on file")
        current = officers[-1]
        evidence = {
            "version": current["version"],
            "since": current["effective_on"],
            "published": current["published"],
        }
        if not current.get("contact") or not current.get("published"):
            return self.result("fail", "the officer's contact is missing or not published", **evidence)
        return self.result(
            "record", f"officer on file since {current['effective_on']}, contact published", **evidence
        )


class Policies(Check):
    """Versioned internal policies and procedures are on file."""

    name = "governance.policies"
    requirements = ("R-TRN-3",)
    title = ("内部管理制度和操作规程有版本记录", "versioned internal policies and procedures")

    def run(self, env: Env) -> CheckResult:
        policies = env.governance("policy")
        listed = [f"{p['name']} v{p['version']} ({p['effective_on']})" for p in policies]
        if not policies:
            return self.result("fail", "no internal policy on file")
        return self.result("record", f"{len(policies)} policies in force", policies=listed)


class Notices(Check):
    """The privacy notice in force states the retention periods and the rights channels (and,
    for sensitive PI, necessity and impact: checked by the notice's own publication rules)."""

    name = "governance.notice"
    requirements = ("R-COL-8",)
    title = (
        "隐私告知写明保存期限和行使权利的渠道",
        "the privacy notice states retention and rights channels",
    )

    def run(self, env: Env) -> CheckResult:
        if env.sources.notices is None:
            return self.unavailable("the consent ledger's notices")
        notice = current_notice(env, "privacy")
        if notice is None:
            return self.result("fail", "no privacy notice is published")
        missing = missing_terms(notice, "privacy")
        evidence = {"version": notice["version"], "content_hash": notice.get("content_hash")}
        if missing:
            return self.result("fail", f"the notice lacks: {', '.join(missing)}", missing=missing, **evidence)
        return self.result("pass", f"notice v{notice['version']} states retention and rights", **evidence)


class ProcessingRecord(Check):
    """The record of processing can be built from the catalog: every purpose that processes PI
    has a legal basis and fields, every field a purpose (ROPA, R-AUD-4)."""

    name = "governance.ropa"
    requirements = ("R-AUD-4",)
    title = ("个人信息处理活动记录完整", "a complete record of processing activities")

    def run(self, env: Env) -> CheckResult:
        no_basis = sorted(
            n for n, p in env.catalog.purposes.items() if p.legal_basis is None and not p.ancillary
        )
        unused = sorted(
            f"{rt}.{f.name}"
            for rt, f in env.catalog.iter_fields()
            if not env.catalog.purposes_for(rt, f.name)
        )
        evidence = {
            "purposes": len(env.catalog.purposes),
            "no_legal_basis": no_basis,
            "fields_without_purpose": unused,
        }
        if no_basis:
            return self.result("fail", f"{len(no_basis)} purposes without a legal basis", **evidence)
        return self.result(
            "pass", f"{len(env.catalog.purposes)} purposes recorded, each with its basis", **evidence
        )


class _Schedule(Check):
    scope: str

    def run(self, env: Env) -> CheckResult:
        minors = env.sources.population(env.ctx) if env.sources.population is not None else {}
        items = schedule(
            env.persons,
            int(minors.get("minors", 0)),
            env.governance("audit"),
            env.today,
            threshold=env.audit_threshold,
        )
        item = next(i for i in items if i["scope"] == self.scope)
        evidence = {"schedule": item, "persons": env.persons}
        if not item["required"]:
            return self.result(
                "record", "no periodic compliance audit is required at this volume", **evidence
            )
        if item["status"] == "overdue":
            return self.result("fail", f"the compliance audit was due on {item['due']}", **evidence)
        if item["last"] is None:
            return self.result("fail", "a compliance audit is required and none is on file", **evidence)
        return self.result("record", f"last audit {item['last']}; next due {item['due']}", **evidence)


class AuditSchedule(_Schedule):
    """Above 10 million persons, a compliance audit at least every 2 years."""

    name = "governance.audit_schedule"
    requirements = ("R-AUD-5",)
    title = (
        "合规审计按期进行（超过一千万人每两年一次）",
        "compliance audits on schedule (>10 M persons: every 2 years)",
    )
    scope = "general"


class MinorsAudit(_Schedule):
    """Processing minors' PI: a compliance audit of it every year."""

    name = "governance.minors_audit"
    requirements = ("R-MIN-5",)
    title = ("每年对未成年人个人信息处理进行合规审计", "a yearly compliance audit of minors' PI")
    scope = "minors"


CHECKS = (Officer(), Policies(), Notices(), ProcessingRecord(), AuditSchedule(), MinorsAudit())
