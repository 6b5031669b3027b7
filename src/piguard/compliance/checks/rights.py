"""Checks on data-subject requests (R-RGT-3, R-RGT-7)."""

from __future__ import annotations

from piguard.compliance.checks.base import Check, Env, counted
from piguard.compliance.model import CheckResult


class NoOverdueRequest(Check):
    """No open data-subject request or complaint is past its due date."""

    name = "rights.no_overdue"
    requirements = ("R-RGT-3",)
    title = ("无超期未处理的个人权利请求", "no overdue data-subject request")

    def run(self, env: Env) -> CheckResult:
        if env.sources.overdue_requests is None:
            return self.unavailable("data-subject rights")
        overdue = list(env.sources.overdue_requests(env.ctx))
        evidence = {
            "overdue": len(overdue),
            "cases": [c.get("id") for c in overdue],
            "by_type": counted(overdue, "type"),
        }
        if overdue:
            return self.result("fail", f"{len(overdue)} requests are overdue", **evidence)
        return self.result("pass", "no request is overdue", **evidence)


class ComplaintChannel(Check):
    """A complaint channel exists and is handled: complaints are cases with the same clock."""

    name = "rights.complaints"
    requirements = ("R-RGT-7",)
    title = ("投诉举报渠道公开并处理", "a complaint channel is published and handled")

    def run(self, env: Env) -> CheckResult:
        if env.sources.request_stats is None:
            return self.unavailable("data-subject rights")
        stats = env.sources.request_stats(env.ctx)
        complaints = int(stats.get("by_type", {}).get("complaint", 0))
        return self.result(
            "record",
            f"complaints are taken as cases with a deadline; {complaints} on file",
            complaints=complaints,
        )


CHECKS = (NoOverdueRequest(), ComplaintChannel())
