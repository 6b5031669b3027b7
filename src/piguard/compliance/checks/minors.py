"""Checks on minors' data (R-MIN-1, R-MIN-2)."""

from __future__ import annotations

from piguard.compliance.checks.base import Check, Env
from piguard.compliance.checks.governance import current_notice, missing_terms
from piguard.compliance.model import CheckResult


class GuardianConsent(Check):
    """Every customer under 14 whose data is processed on consent has a guardian's consent."""

    name = "minors.guardian_consent"
    requirements = ("R-MIN-1",)
    title = ("不满十四周岁者的信息均有监护人同意", "every under-14's data has a guardian's consent")

    def run(self, env: Env) -> CheckResult:
        if env.sources.population is None:
            return self.unavailable("the consent ledger's age bands")
        found = env.sources.population(env.ctx)
        under, lacking = int(found.get("under_14", 0)), int(found.get("without_guardian", 0))
        if lacking:
            return self.result(
                "fail",
                f"{lacking} of {under} customers under 14 lack a guardian's consent",
                under_14=under,
                without_guardian=lacking,
            )
        return self.result(
            "pass", f"{under} customers under 14, each with a guardian's consent", under_14=under
        )


class ChildrenRules(Check):
    """Dedicated rules for under-14s are published (a ``children`` notice naming guardians,
    retention and rights) or kept as a policy with the ``minors`` scope."""

    name = "minors.rules_published"
    requirements = ("R-MIN-2",)
    title = ("已公布专门的儿童个人信息处理规则", "dedicated rules for under-14s are published")

    def run(self, env: Env) -> CheckResult:
        policies = [p for p in env.governance("policy") if p.get("scope") == "minors"]
        notice = current_notice(env, "children")
        evidence = {
            "policies": [f"{p['name']} v{p['version']}" for p in policies],
            "notice_version": notice.get("version") if notice else None,
        }
        if notice is not None:
            missing = missing_terms(notice, "children")
            if missing:
                return self.result("fail", f"the children's notice lacks: {', '.join(missing)}", **evidence)
            return self.result("pass", f"children's notice v{notice['version']} is published", **evidence)
        if policies:
            return self.result("record", "rules for under-14s are on file as a policy", **evidence)
        return self.result("fail", "no rules for under-14s are published", **evidence)


CHECKS = (GuardianConsent(), ChildrenRules())
