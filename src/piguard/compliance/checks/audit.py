"""Checks on the audit trail (R-AUD-1, R-AUD-2)."""

from __future__ import annotations

from piguard.compliance.checks.base import Check, Env
from piguard.compliance.model import CheckResult

#: Six calendar months, at least (R-AUD-2: CSL 21(3)).
MIN_AUDIT_DAYS = 184


class AuditChain(Check):
    """The hash chain and its signed checkpoints verify, and entries are kept ≥ 184 days."""

    name = "audit.chain"
    requirements = ("R-AUD-2",)
    title = ("审计日志哈希链校验通过，且保存不少于 184 天", "the audit chain verifies and is kept ≥ 184 days")

    def run(self, env: Env) -> CheckResult:
        if env.sources.audit_verify is None:
            return self.unavailable("the audit trail")
        report = env.sources.audit_verify(env.ctx)
        days = env.sources.audit_retention_days
        findings = [str(f) for f in report.get("findings", [])]
        evidence = {
            "entries": int(report.get("entries", 0)),
            "checkpoints": int(report.get("checkpoints", 0)),
            "findings": findings,
            "retention_days": days,
        }
        if not report.get("ok"):
            kinds = ", ".join(findings) or "unknown"
            return self.result("fail", f"the audit chain does not verify ({kinds})", **evidence)
        if days is None or days < MIN_AUDIT_DAYS:
            return self.result("fail", f"audit entries are kept {days} days (< {MIN_AUDIT_DAYS})", **evidence)
        return self.result("pass", f"{evidence['entries']} entries verify; kept {days} days", **evidence)


class AuditCoverage(Check):
    """Every declared operation names the event it is recorded under (the kernel records one entry
    per run, refusals included), and the trail holds entries."""

    name = "audit.coverage"
    requirements = ("R-AUD-1",)
    title = ("每项已声明的操作都写入审计日志", "every declared operation is recorded in the trail")

    def run(self, env: Env) -> CheckResult:
        if env.sources.audit_verify is None:
            return self.unavailable("the audit trail")
        operations = env.kernel.operations()
        report = env.sources.audit_verify(env.ctx)
        entries = int(report.get("entries", 0))
        evidence = {"operations": len(operations), "entries": entries}
        if entries == 0:
            return self.result("fail", "the trail holds no entry", **evidence)
        return self.result("pass", f"{len(operations)} operations, each recorded by the kernel", **evidence)


CHECKS = (AuditChain(), AuditCoverage())
