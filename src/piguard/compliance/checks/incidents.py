"""Checks on incidents (R-INC-1..7), read through ``Sources.incidents``: the register's own list
operation, which gives per incident its counts, which register items are filled (never their
texts), the reports sent, the clocks' states and the notices by kind, and the plan's version and
newest drill. Without the incident capability every check here is ``not_available``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from piguard.compliance.checks.base import Check, Env
from piguard.compliance.model import CheckResult

WHAT = "the incident register"
#: What a closed incident's record must hold besides what the columns always do (discoverer, times,
#: category, counts): PI types, cause, possible harm and measures (R-INC-1, PIPL 57).
CLOSED_NEEDS = ("cause", "harm", "measures")
#: Clocks whose lapse fails the clocks check (the individuals' notice has its own check).
REPORT_CLOCKS = ("regulator", "follow_up", "final")


def _read(env: Env) -> dict[str, Any] | None:
    if env.sources.incidents is None:
        return None
    found: dict[str, Any] = env.sources.incidents(env.ctx)
    return found


class Register(Check):
    """Every closed incident's record is complete: PI types, cause, harm and measures (the columns
    always hold the discoverer, times, category, counts and reports sent)."""

    name = "incidents.register"
    requirements = ("R-INC-1",)
    title = (
        "事件登记记录完整（类型、原因、危害、措施）",
        "incident records are complete: types, cause, harm, measures",
    )

    def run(self, env: Env) -> CheckResult:
        found = _read(env)
        if found is None:
            return self.unavailable(WHAT)
        items = found["incidents"]
        lacking = {}
        for i in items:
            if i["status"] != "closed":
                continue
            missing = [k for k in CLOSED_NEEDS if k not in i["filled"]]
            if not i["pi_types"]:
                missing.insert(0, "pi_types")
            if missing:
                lacking[i["id"]] = missing
        evidence = {"incidents": len(items), "open": sum(i["status"] != "closed" for i in items)}
        if lacking:
            return self.result(
                "fail",
                f"{len(lacking)} closed incident(s) with an incomplete record",
                lacking=lacking,
                **evidence,
            )
        return self.result(
            "pass", f"{len(items)} incident(s) on the register, closed ones complete", **evidence
        )


class Clocks(Check):
    """No reporting clock of an incident has lapsed: the report to the regulator (1/2/4 h for 较大 and
    above), the follow-up and the 30-day final report."""

    name = "incidents.clocks"
    requirements = ("R-INC-3",)
    title = ("事件报告未超出时限", "no incident report is past its deadline")

    def run(self, env: Env) -> CheckResult:
        found = _read(env)
        if found is None:
            return self.unavailable(WHAT)
        overdue = {
            i["id"]: sorted(n for n, s in i["clocks"].items() if n in REPORT_CLOCKS and s == "overdue")
            for i in found["incidents"]
        }
        overdue = {k: v for k, v in overdue.items() if v}
        running = sum(
            1
            for i in found["incidents"]
            for n, s in i["clocks"].items()
            if n in REPORT_CLOCKS and s != "done"
        )
        if overdue:
            return self.result(
                "fail", f"{len(overdue)} incident(s) past a reporting deadline", overdue=overdue
            )
        return self.result("pass", f"no report overdue ({running} clock(s) running)", running=running)


class Notices(Check):
    """Every incident that touched people told them (notices queued through the outbox, or a public
    announcement), or recorded why not (harm effectively avoided)."""

    name = "incidents.notices"
    requirements = ("R-INC-2", "R-INC-4")
    title = ("受影响个人均已告知或记录了不告知理由", "affected persons were told, or why not is recorded")

    def run(self, env: Env) -> CheckResult:
        found = _read(env)
        if found is None:
            return self.unavailable(WHAT)
        untold = []
        for i in found["incidents"]:
            n = i["notices"]
            told = n.get("individual", 0) or n.get("public", 0) or n.get("individuals_skipped", 0)
            if i["persons"] > 0 and not told and "individuals" not in i["reports"]:
                untold.append(i["id"])
        affected = sum(i["persons"] > 0 for i in found["incidents"])
        if untold:
            return self.result(
                "fail",
                f"{len(untold)} incident(s) with affected persons not told and no reason",
                untold=untold,
            )
        return self.result("pass", f"{affected} incident(s) with affected persons, each told or reasoned")


class Guardians(Check):
    """Every incident that touched children under 14 told their guardians one by one, or published a
    warning (Minors Regs 35)."""

    name = "incidents.guardians"
    requirements = ("R-INC-6",)
    title = (
        "涉及未成年人的事件已告知监护人或发布警示",
        "children's guardians were told, or a warning published",
    )

    def run(self, env: Env) -> CheckResult:
        found = _read(env)
        if found is None:
            return self.unavailable(WHAT)
        short = {}
        for i in found["incidents"]:
            n = i["notices"]
            if i["minors"] > 0 and n.get("guardian", 0) < i["minors"] and not n.get("public", 0):
                short[i["id"]] = {"minors": i["minors"], "guardians_told": n.get("guardian", 0)}
        with_children = sum(i["minors"] > 0 for i in found["incidents"])
        if short:
            return self.result("fail", f"{len(short)} incident(s) with guardians not told", short=short)
        return self.result("pass", f"{with_children} incident(s) touching children, guardians told")


class PlanAndDrill(Check):
    """An emergency plan is on file and a drill of it was held within the last year."""

    name = "incidents.plan_drill"
    requirements = ("R-INC-5",)
    title = ("有应急预案且一年内进行过演练", "an emergency plan is on file, drilled within a year")

    def run(self, env: Env) -> CheckResult:
        found = _read(env)
        if found is None:
            return self.unavailable(WHAT)
        evidence = {"plan_version": found["plan_version"], "last_drill": found["last_drill"]}
        if found["plan_version"] is None:
            return self.result("fail", "no emergency plan on file", **evidence)
        if found["last_drill"] is None:
            return self.result("fail", "the emergency plan was never drilled", **evidence)
        age = (env.today - date.fromisoformat(found["last_drill"])).days
        if age > int(found["drill_every_days"]):
            return self.result("fail", f"the last drill was {age} days ago", **evidence)
        return self.result("pass", f"plan v{found['plan_version']}, drilled {age} days ago", **evidence)


class GdprClock(Check):
    """Under the GDPR profile, no incident is past its 72-hour clock without the report sent."""

    name = "incidents.gdpr_clock"
    requirements = ("R-INC-7",)
    title = ("GDPR 配置下 72 小时内报告", "under the GDPR profile, reports within 72 hours")

    def run(self, env: Env) -> CheckResult:
        found = _read(env)
        if found is None:
            return self.unavailable(WHAT)
        if found["profile"] != "gdpr":
            return self.result("not_available", "the GDPR profile is not in use (incident_profile: cn)")
        overdue = [i["id"] for i in found["incidents"] if i["clocks"].get("gdpr") == "overdue"]
        if overdue:
            return self.result("fail", f"{len(overdue)} incident(s) past the 72 h clock", overdue=overdue)
        return self.result("pass", "no incident past the 72 h clock")


CHECKS = (Register(), Clocks(), Notices(), Guardians(), PlanAndDrill(), GdprClock())
