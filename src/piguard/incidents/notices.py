"""Report drafts for the regulator (Chinese) and the public announcement: pure functions of an
incident (R-INC-2, R-INC-4, R-INC-6).

The regulator draft holds the items the CAC reporting measures ask for: who reports (the
organisation and its contact), what happened (category, description), when (occurred,
discovered), the PI types and the counts (persons, sensitive, minors), the cause, the harm, the
measures taken, and the reports already sent. When the cause is not yet known the draft says it is
the first of a two-stage report and that a follow-up will give the cause.

Individual notices (PIPL 57) are outbox templates (``incident_notice``,
``incident_notice_guardian``), rendered in zh or en by the outbox when sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from piguard.calendar import LOCAL_TZ
from piguard.incidents.grading import GRADE_ZH
from piguard.incidents.model import CATEGORIES

#: The items a regulator draft must hold, in order (zh headings).
REGULATOR_ITEMS: tuple[tuple[str, str], ...] = (
    ("reporter", "一、报告单位及联系人"),
    ("what", "二、事件概况"),
    ("when", "三、发生及发现时间"),
    ("pi", "四、涉及的个人信息种类及数量"),
    ("cause", "五、事件原因"),
    ("harm", "六、可能造成的危害"),
    ("measures", "七、已采取的补救措施"),
    ("grade", "八、事件分级"),
    ("reports", "九、已报送情况"),
)


def _local(value: str | None) -> str:
    if not value:
        return "不详"
    from datetime import datetime

    return datetime.fromisoformat(value).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M（北京时间）")


def regulator_draft(incident: Mapping[str, Any], *, organisation: str, pi_labels: Mapping[str, str]) -> str:
    """The report to the provincial CAC (or the protection department), in Chinese."""
    stage_note = (
        "（首次报告：事件原因尚在调查中，查明后将续报。）"
        if not incident["cause_known"]
        else "（事件原因已查明。）"
    )
    types = "、".join(pi_labels.get(t, t) for t in incident["pi_types"]) or "不详"
    category = CATEGORIES.get(incident["category"], (incident["category"], ""))[0]
    reports = "；".join(f"{k}：{_local(v)}" for k, v in sorted(incident["reports"].items())) or "尚无"
    body = {
        "reporter": f"{organisation or '（单位名称）'}；联系人及联系方式："
        + (incident["contact"] or "（待填写）"),
        "what": f"{category}。{incident['title']}。{incident['description']}".rstrip("。") + "。",
        "when": f"发生时间：{_local(incident['occurred_at'])}；发现时间：{_local(incident['discovered_at'])}",
        "pi": (
            f"个人信息种类：{types}；涉及人数：{incident['persons']}"
            f"（{'依审计记录计算' if incident['persons_source'] == 'computed' else '估算'}），"
            f"其中敏感个人信息 {incident['sensitive']} 人，未满十四周岁未成年人 {incident['minors']} 人"
        ),
        "cause": (incident["cause"] or "尚在调查中") + stage_note,
        "harm": incident["harm"] or "（待评估）",
        "measures": incident["measures"] or "（待填写）",
        "grade": GRADE_ZH.get(incident["grade"], incident["grade"]),
        "reports": reports,
    }
    lines = [f"个人信息安全事件报告（事件编号 {incident['id']}）", ""]
    for key, heading in REGULATOR_ITEMS:
        lines += [heading, body[key], ""]
    return "\n".join(lines).rstrip() + "\n"


def public_announcement(incident: Mapping[str, Any], *, organisation: str, locale: str = "zh") -> str:
    """The announcement when notifying one by one is impractical (R-INC-4, R-INC-6): no names, no
    counts of anyone in particular; what happened, what we did, what a person can do, whom to ask."""
    if locale == "en":
        return (
            f"Notice from {organisation or 'us'} about a personal information incident ({incident['id']}).\n"
            f"What happened: {incident['title']}.\nPossible harm: {incident['harm'] or 'under assessment'}.\n"
            f"What we have done: {incident['measures'] or 'see updates'}.\n"
            "What you can do: watch for unexpected messages or calls in our name, change your password, "
            "and contact us.\n"
            f"Contact: {incident['contact'] or 'our privacy office'}.\n"
            "Guardians of children under 14: please read this notice with your child.\n"
        )
    return (
        f"{organisation or '本单位'}关于个人信息安全事件的公告（编号 {incident['id']}）\n"
        f"事件情况：{incident['title']}。\n可能的危害：{incident['harm'] or '正在评估'}。\n"
        f"已采取的措施：{incident['measures'] or '详见后续公告'}。\n"
        "您可以采取的措施：警惕冒用本单位名义的短信和来电，及时修改密码，如有疑问请与我们联系。\n"
        f"联系方式：{incident['contact'] or '个人信息保护负责人'}。\n"
        "未满十四周岁未成年人的监护人：请与孩子一同阅读本公告。\n"
    )


def notice_params(
    incident: Mapping[str, Any], *, pi_labels: Mapping[str, str], organisation: str
) -> dict[str, str]:
    """The parameters of the individual notice templates (PIPL 57's items)."""
    types = "、".join(pi_labels.get(t, t) for t in incident["pi_types"]) or "-"
    return {
        "organisation": organisation or "-",
        "reference": incident["id"],
        "pi_types": types,
        "cause": incident["cause"] or "-",
        "harm": incident["harm"] or "-",
        "measures": incident["measures"] or "-",
        "contact": incident["contact"] or "-",
    }
