"""Checks on storage and retention (R-STO-1, R-STO-3, R-STO-5, R-DST-1, R-DST-3)."""

from __future__ import annotations

from piguard.compliance.checks.base import Check, Env
from piguard.compliance.model import CheckResult


class RetentionDeadline(Check):
    """Every field of every record type has a retention rule (its own, its record type's or its
    class's), and the rule exists: so every record has a deadline the sweeper computes."""

    name = "storage.retention_deadline"
    requirements = ("R-STO-5",)
    title = ("每条客户记录都有保存期限", "every customer record has a retention deadline")

    def run(self, env: Env) -> CheckResult:
        catalog = env.catalog
        missing: list[str] = []
        for rt_name, rt in sorted(catalog.record_types.items()):
            for fname, f in sorted(rt.fields.items()):
                rule = f.retention or rt.retention or catalog.classes[f.cls].default_retention
                if rule is None or rule not in catalog.retention_rules:
                    missing.append(f"{rt_name}.{fname}")
        fields = sum(len(rt.fields) for rt in catalog.record_types.values())
        if missing:
            return self.result(
                "fail", f"{len(missing)} fields have no retention rule", fields=fields, missing=missing
            )
        if env.sources.retention_plan is None:
            return self.result(
                "fail", "retention rules are declared but no sweeper is installed", fields=fields
            )
        plan = env.sources.retention_plan(env.ctx)
        return self.result(
            "pass",
            f"all {fields} fields have a retention rule; the sweeper covers "
            f"{plan.get('customers', 0)} customers",
            fields=fields,
            customers=int(plan.get("customers", 0)),
        )


class RetentionBacklog(Check):
    """No customer data is past its retention outside a legal hold (what today's plan would
    destroy or strip is the backlog)."""

    name = "storage.retention_backlog"
    requirements = ("R-DST-1",)
    title = ("无超过保存期限且未被保全的客户数据", "no customer data past retention outside a hold")

    def run(self, env: Env) -> CheckResult:
        if env.sources.retention_plan is None:
            return self.unavailable("retention")
        plan = env.sources.retention_plan(env.ctx)
        actions = list(plan.get("actions", []))
        backlog = sum(int(a.get("count", 0)) for a in actions)
        evidence = {"backlog": backlog, "held": int(plan.get("held", 0)), "actions": actions}
        if backlog:
            return self.result(
                "fail", f"{backlog} records or fields are past retention outside a hold", **evidence
            )
        return self.result("pass", "nothing is past retention outside a hold", **evidence)


class Encryption(Check):
    """Every class the catalog uses is encrypted at rest (the vault seals every field under the
    customer's data key), the cipher suite is named, and the wrapped keys live apart from the data."""

    name = "storage.encryption"
    requirements = ("R-STO-1",)
    title = (
        "敏感及 C2/C3 个人信息加密存储，密钥与数据分离",
        "sensitive and C2/C3 PI encrypted, keys held apart",
    )

    def run(self, env: Env) -> CheckResult:
        settings = env.sources.settings
        used = sorted({f.cls for _, f in env.catalog.iter_fields()})
        clear = [c for c in used if not env.catalog.classes[c].encrypt and c in ("C2", "C3")]
        sensitive_clear = sorted(
            f"{rt}.{f.name}"
            for rt, f in env.catalog.iter_fields()
            if f.sensitive and not env.catalog.classes[f.cls].encrypt
        )
        evidence = {
            "suite": settings.get("suite"),
            "keyring": settings.get("keyring"),
            "keys_apart": settings.get("keys_apart"),
            "classes": used,
        }
        if clear or sensitive_clear:
            return self.result(
                "fail",
                "the catalog stores some sensitive or C2/C3 fields unencrypted",
                unencrypted_classes=clear,
                unencrypted_fields=sensitive_clear,
                **evidence,
            )
        if not settings.get("suite") or settings.get("keys_apart") is not True:
            return self.result(
                "fail", "no cipher suite, or the keys are not held apart from the data", **evidence
            )
        return self.result(
            "pass", f"every field sealed with {settings['suite']}; keys in a separate store", **evidence
        )


class NeverClear(Check):
    """C3 fields are never shown: their mask is ``never`` (the gate masks C3 so whatever a role
    says), and no role's catalog rule shows them clear."""

    name = "storage.c3_never_clear"
    requirements = ("R-STO-3",)
    title = ("C3 数据从不明文展示", "C3 data is never shown in clear")

    def run(self, env: Env) -> CheckResult:
        c3 = [(rt, f) for rt, f in env.catalog.iter_fields() if f.cls == "C3"]
        bad_mask = sorted(f"{rt}.{f.name}" for rt, f in c3 if f.mask != "never")
        clear = sorted(
            f"{role.name}:{rt}.{f.name}"
            for role in env.catalog.roles.values()
            for rt, f in c3
            if role.level_for(f, rt).level == "clear"
        )
        evidence = {"c3_fields": len(c3), "mask_not_never": bad_mask, "roles_clear": clear}
        if bad_mask:
            return self.result("fail", f"{len(bad_mask)} C3 fields are not masked 'never'", **evidence)
        if clear:
            return self.result("fail", f"{len(clear)} role rules would show C3 fields in clear", **evidence)
        return self.result("pass", f"{len(c3)} C3 fields, none shown in clear", **evidence)


class DestructionRecords(Check):
    """Every destruction is recorded and its record is verified and signed."""

    name = "storage.destruction_records"
    requirements = ("R-DST-3",)
    title = ("每次销毁都有经核验并签名的记录", "every destruction has a verified, signed record")

    def run(self, env: Env) -> CheckResult:
        if env.sources.destructions is None:
            return self.unavailable("destruction records")
        found = list(env.sources.destructions(env.ctx))
        unsigned = [r.get("id") for r in found if not r.get("signature") and not r.get("signed")]
        evidence = {"records": len(found), "unsigned": unsigned}
        if unsigned:
            return self.result("fail", f"{len(unsigned)} destruction records are not signed yet", **evidence)
        return self.result("pass", f"{len(found)} destruction records, all signed", **evidence)


CHECKS = (RetentionDeadline(), RetentionBacklog(), Encryption(), NeverClear(), DestructionRecords())
