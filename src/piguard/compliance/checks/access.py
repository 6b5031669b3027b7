"""Checks on access control (R-USE-1, R-USE-4, R-TRN-1)."""

from __future__ import annotations

from datetime import date, timedelta

from piguard.catalog.selectors import parse_selector
from piguard.compliance.checks.base import Check, Env
from piguard.compliance.model import CheckResult


class DenyByDefault(Check):
    """Every role is deny-by-default: no catch-all rule shows fields in clear, and each role's
    reach is listed (fields clear / masked / denied) as the evidence of least privilege."""

    name = "access.deny_by_default"
    requirements = ("R-USE-1",)
    title = ("每个角色默认拒绝、最小权限", "every role is deny-by-default, least privilege")

    def run(self, env: Env) -> CheckResult:
        fields = env.catalog.iter_fields()
        reach: dict[str, dict[str, int]] = {}
        open_roles: list[str] = []
        own: list[str] = []
        for name, role in sorted(env.catalog.roles.items()):
            if role.scope == "own":
                # A customer's own data (the built-in data-subject role): its row scope confines it
                # to that one customer, who may see all of it (PIPL 45).
                own.append(name)
                continue
            levels = {"clear": 0, "masked": 0, "deny": 0}
            for rt, f in fields:
                levels[role.level_for(f, rt).level] += 1
            reach[name] = levels
            for rule in role.access:
                if parse_selector(rule.selector).specificity == 0 and rule.level == "clear":
                    open_roles.append(name)
        if open_roles:
            return self.result(
                "fail",
                f"roles grant clear access by default: {', '.join(sorted(set(open_roles)))}",
                roles=reach,
                open_roles=sorted(set(open_roles)),
                own_scope=own,
            )
        return self.result(
            "pass", f"{len(reach)} roles, none grants clear access by default", roles=reach, own_scope=own
        )


class MaskedByDefault(Check):
    """Sensitive and C2/C3 fields shown in clear to a role only where their class asks for a
    step-up or an approval first (unmasking is a separate, logged permission)."""

    name = "access.masked_by_default"
    requirements = ("R-USE-4",)
    title = (
        "个人信息默认脱敏展示，解除脱敏须单独授权",
        "PI masked by default; unmasking needs its own permission",
    )

    def run(self, env: Env) -> CheckResult:
        loose = sorted(
            f"{env.catalog.roles[r].name}:{rt}.{f.name}"
            for r in env.catalog.roles
            for rt, f in env.catalog.iter_fields()
            if (f.sensitive or f.cls == "C3")
            and env.catalog.roles[r].level_for(f, rt).level == "clear"
            and not (
                env.catalog.classes[f.cls].clear_requires_step_up
                or env.catalog.classes[f.cls].clear_requires_approval
            )
        )
        if loose:
            return self.result(
                "fail", f"{len(loose)} sensitive fields shown in clear without step-up", fields=loose
            )
        return self.result("pass", "sensitive fields are shown in clear only after step-up or approval")


class TrainingCurrent(Check):
    """Training records are kept, and every staff member on record has a course valid today
    (a course without an end date is valid one year, GB/T 35273 11.6)."""

    name = "governance.training"
    requirements = ("R-TRN-1",)
    title = ("培训记录完整且按年度更新", "training records kept, renewed yearly")

    def run(self, env: Env) -> CheckResult:
        if env.sources.training is None:
            return self.unavailable("training records")
        rows = list(env.sources.training(env.ctx))
        latest: dict[str, date] = {}
        for row in rows:
            if row.get("kind") != "course":
                continue
            done = date.fromisoformat(str(row["completed_on"]))
            until = (
                date.fromisoformat(str(row["valid_until"]))
                if row.get("valid_until")
                else done + timedelta(days=365)
            )
            pid = str(row["principal_id"])
            latest[pid] = max(latest.get(pid, until), until)
        lapsed = sorted(p for p, until in latest.items() if until < env.today)
        evidence = {
            "records": len(rows),
            "trained": len(latest),
            "lapsed": lapsed,
            "note": "staff with no record at all are refused clear access by the gate (R-TRN-1)",
        }
        if not rows:
            return self.result("fail", "no training records on file", **evidence)
        if lapsed:
            return self.result("fail", f"{len(lapsed)} staff members' training has lapsed", **evidence)
        return self.result("record", f"{len(rows)} training records; {len(latest)} staff current", **evidence)


CHECKS = (DenyByDefault(), MaskedByDefault(), TrainingCurrent())
