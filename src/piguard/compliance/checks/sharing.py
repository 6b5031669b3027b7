"""Checks on sharing, entrustment and transfer (R-SHR-1, R-SHR-3, R-SHR-4, R-SHR-6), and the impact
assessment before sensitive PI (R-AUD-3).

They read the sharing register through ``Sources.sharing``; until that capability lands they
report ``not_available`` (never ``pass``).
"""

from __future__ import annotations

from piguard.catalog.vocabulary import BUILTIN_PURPOSES
from piguard.compliance.checks.base import Check, Env
from piguard.compliance.model import CheckResult

REGISTER = "the sharing register"


class Agreements(Check):
    """Every active partner has a current agreement (R-SHR-1) and an assessment on file (R-SHR-3)."""

    name = "sharing.agreements"
    requirements = ("R-SHR-1", "R-SHR-3")
    title = (
        "每个在用的合作方都有有效协议和影响评估",
        "every active partner has a current agreement and assessment",
    )

    def run(self, env: Env) -> CheckResult:
        if env.sources.sharing is None:
            return self.unavailable(REGISTER)
        partners = [p for p in env.sources.sharing(env.ctx).get("partners", []) if p.get("active")]
        lacking = sorted(
            str(p.get("id"))
            for p in partners
            if not (p.get("agreement_current") and p.get("assessment_on_file"))
        )
        if lacking:
            return self.result(
                "fail", f"{len(lacking)} active partners lack an agreement or assessment", partners=lacking
            )
        return self.result("pass", f"{len(partners)} active partners, all with agreement and assessment")


class ProvisionLog(Check):
    """Each provision is logged with recipient, purpose, scope and volume (R-SHR-4)."""

    name = "sharing.provision_log"
    requirements = ("R-SHR-4",)
    title = ("每次对外提供均有记录并保存三年", "every provision is logged and kept 3 years")

    def run(self, env: Env) -> CheckResult:
        if env.sources.sharing is None:
            return self.unavailable(REGISTER)
        provisions = int(env.sources.sharing(env.ctx).get("provisions", 0))
        return self.result("record", f"{provisions} provisions logged", provisions=provisions)


class CrossBorder(Check):
    """Every cross-border partner has its mechanism recorded (R-SHR-6)."""

    name = "sharing.cross_border"
    requirements = ("R-SHR-6",)
    title = ("跨境传输记录了合法机制", "cross-border transfers record their mechanism")

    def run(self, env: Env) -> CheckResult:
        if env.sources.sharing is None:
            return self.unavailable(REGISTER)
        partners = [p for p in env.sources.sharing(env.ctx).get("partners", []) if p.get("cross_border")]
        lacking = sorted(str(p.get("id")) for p in partners if not p.get("mechanism"))
        if lacking:
            return self.result(
                "fail", f"{len(lacking)} cross-border partners without a mechanism", partners=lacking
            )
        return self.result("pass", f"{len(partners)} cross-border partners, each with a mechanism")


class SensitiveAssessments(Check):
    """Every purpose that reaches a sensitive field has a current PIPIA of its own, and the gate
    refuses sensitive processing without one (R-AUD-3, PIPL 55(1))."""

    name = "sharing.sensitive_pipia"
    requirements = ("R-AUD-3",)
    title = (
        "处理敏感个人信息的每个目的都有有效的影响评估",
        "every purpose processing sensitive PI has a current impact assessment",
    )

    def run(self, env: Env) -> CheckResult:
        if env.sources.sharing is None:
            return self.unavailable(REGISTER)
        register = env.sources.sharing(env.ctx)
        assessed = set(register.get("assessed_purposes", []))
        purposes = sorted(
            {p for _, field in env.catalog.iter_fields() if field.sensitive for p in field.purposes}
            - set(BUILTIN_PURPOSES)
        )
        lacking = [p for p in purposes if p not in assessed]
        if lacking:
            return self.result(
                "fail",
                f"{len(lacking)} purposes reach sensitive fields without a current PIPIA",
                purposes=lacking,
            )
        if not register.get("sensitive_enforced"):
            return self.result(
                "fail",
                "every purpose has its PIPIA, but the gate does not enforce it: set sensitive_needs_pipia",
                purposes=purposes,
            )
        return self.result(
            "pass", f"{len(purposes)} purposes reach sensitive fields, each with a current PIPIA"
        )


CHECKS = (Agreements(), ProvisionLog(), CrossBorder(), SensitiveAssessments())
