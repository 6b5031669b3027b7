"""Checks on the catalog's classification (R-CLS-1, R-CLS-3)."""

from __future__ import annotations

from piguard.compliance.checks.base import Check, Env
from piguard.compliance.model import CheckResult


class Classification(Check):
    """Every field has a category and a sensitivity flag, and a field of a category that is
    sensitive by default (PIPL 28) is flagged sensitive."""

    name = "catalog.classification"
    requirements = ("R-CLS-1",)
    title = ("每个字段都标注了类别与敏感标记", "every field tagged with a category and sensitivity")

    def run(self, env: Env) -> CheckResult:
        cats = env.catalog.categories
        wrong = sorted(
            f"{rt}.{f.name}"
            for rt, f in env.catalog.iter_fields()
            if cats[f.category].sensitive_by_default and not f.sensitive
        )
        fields = len(env.catalog.iter_fields())
        if wrong:
            return self.result(
                "fail", f"{len(wrong)} fields of sensitive categories not flagged", fields=wrong
            )
        return self.result("pass", f"{fields} fields classified", fields=fields)


class ClassPolicies(Check):
    """Encryption, masking, approval and retention come from the class: every class used has a
    policy with a default mask (no per-field hard-coding)."""

    name = "catalog.class_policies"
    requirements = ("R-CLS-3",)
    title = (
        "加密、脱敏、审批、保存期限按分级查找",
        "encryption, masking, approval, retention looked up by class",
    )

    def run(self, env: Env) -> CheckResult:
        used = sorted({f.cls for _, f in env.catalog.iter_fields()})
        missing = [c for c in used if c not in env.catalog.classes]
        if missing:
            return self.result("fail", f"classes without a policy: {', '.join(missing)}")
        return self.result("pass", f"classes {', '.join(used)} each have a policy", classes=used)


CHECKS = (Classification(), ClassPolicies())
