"""Documents in Chinese and English: the report and the ROPA as HTML (inline SVG pictures, no
scripts, no external resources) and as PDF through WeasyPrint, with the CJK font embedded.

Every text comes from the report's data, escaped; the documents hold catalog names, counts and
ids of records, never a customer value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

#: The font the PDF embeds (Debian's fonts-wqy-microhei, installed by scripts/install-system-deps).
CJK_FONT = "WenQuanYi Micro Hei"

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "report": "个人信息保护合规报告",
        "ropa": "个人信息处理活动记录",
        "summary": "概览",
        "requirements": "逐项要求",
        "status": "状态",
        "evidence": "证据",
        "gaps": "差距",
        "tests": "测试",
        "checks": "实时检查",
        "generated": "生成时间",
        "organisation": "组织",
        "by_status": "各状态的要求数",
        "dsr": "个人权利请求（按类型）",
        "alerts": "告警（按规则）",
        "backlog": "超期待清理（按记录类型）",
        "access": "访问（按角色）",
        "pass": "通过",
        "fail": "未通过",
        "partial": "部分",
        "record": "有记录",
        "not_available": "尚不可用",
        "manual": "人工",
        "purpose": "处理目的",
        "legal_basis": "法律依据",
        "categories": "个人信息类别",
        "fields": "字段",
        "subjects": "个人信息主体（人数）",
        "recipients": "接收方",
        "cross_border": "跨境传输",
        "retention": "保存期限",
        "security": "安全措施",
        "roles": "负责角色",
        "officer": "个人信息保护负责人",
        "none": "无",
        "commit": "测试提交",
        "signature": "签名密钥",
    },
    "en": {
        "report": "PI protection compliance report",
        "ropa": "Record of processing activities",
        "summary": "Summary",
        "requirements": "Requirements",
        "status": "Status",
        "evidence": "Evidence",
        "gaps": "Gaps",
        "tests": "Tests",
        "checks": "Live checks",
        "generated": "Generated",
        "organisation": "Organisation",
        "by_status": "Requirements by status",
        "dsr": "Data-subject requests by type",
        "alerts": "Alerts by rule",
        "backlog": "Retention backlog by record type",
        "access": "Access by role",
        "pass": "pass",
        "fail": "fail",
        "partial": "partial",
        "record": "on record",
        "not_available": "not available",
        "manual": "manual",
        "purpose": "Purpose",
        "legal_basis": "Legal basis",
        "categories": "PI categories",
        "fields": "Fields",
        "subjects": "Data subjects (count)",
        "recipients": "Recipients",
        "cross_border": "Cross-border transfers",
        "retention": "Retention",
        "security": "Security measures",
        "roles": "Responsible roles",
        "officer": "PI protection officer",
        "none": "none",
        "commit": "Tests at commit",
        "signature": "Signing key",
    },
}
COLOURS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "partial": "#ef6c00",
    "record": "#1565c0",
    "not_available": "#757575",
}
STYLE = f"""
body {{ font-family: "{CJK_FONT}", "Noto Sans CJK SC", sans-serif; font-size: 10pt; margin: 1.5em;
color: #222; }}
h1 {{ font-size: 16pt; }} h2 {{ font-size: 13pt; margin-top: 1.4em; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #bbb; padding: 3px 5px;
vertical-align: top; text-align: left; }}
.status, td:first-child {{ font-weight: bold; white-space: nowrap; }} .charts svg {{ margin: 0 1em 1em 0; }}
@page {{ size: A4; margin: 1.5cm; }}
"""


def t(lang: str, key: str) -> str:
    return TEXTS[lang].get(key, key)


def bar_chart(title: str, data: Mapping[str, int], colours: Mapping[str, str] | None = None) -> str:
    """A horizontal bar chart as inline SVG (labels escaped)."""
    items = list(data.items())
    width, row = 360, 18
    height = 24 + row * max(1, len(items))
    top = max([v for _, v in items] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
        f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = 22 + i * row
        bar = int(180 * value / top)
        fill = (colours or {}).get(label, "#1565c0")
        parts.append(f'<text x="0" y="{y + 12}" font-size="10">{escape(str(label))}</text>')
        parts.append(f'<rect x="150" y="{y + 2}" width="{bar}" height="12" fill="{fill}"/>')
        parts.append(f'<text x="{156 + bar}" y="{y + 12}" font-size="10">{value}</text>')
    if not items:
        parts.append(f'<text x="0" y="{22 + 12}" font-size="10">—</text>')
    parts.append("</svg>")
    return "".join(parts)


def _page(lang: str, title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def _evidence(evidence: Mapping[str, Any]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in evidence.items() if k != "note")
    return escape(text[:600])


def report_html(report: Mapping[str, Any], lang: str) -> str:
    """The report in ``lang`` (``zh`` or ``en``)."""
    reqs: Sequence[Mapping[str, Any]] = report["requirements"]
    counts = report["summary"]
    pictures = report.get("pictures", {})
    charts = [
        bar_chart(
            t(lang, "by_status"),
            {t(lang, k): v for k, v in counts.items()},
            {t(lang, k): c for k, c in COLOURS.items()},
        )
    ]
    for key in ("dsr", "alerts", "backlog", "access"):
        if key in pictures:
            charts.append(bar_chart(t(lang, key), pictures[key]))
    rows = []
    order = {"fail": 0, "partial": 1, "not_available": 2, "record": 3, "pass": 4}
    for req in sorted(reqs, key=lambda r: (order[r["status"]], r["id"])):
        checks = "<br>".join(
            f"[{escape(t(lang, c['status']))}] {escape(c['check'])}: {escape(c['summary'])}"
            f"<br><small>{_evidence(c['evidence'])}</small>"
            for c in req["checks"]
        )
        tests = len(req["tests"])
        passed = sum(1 for x in req["tests"] if x["outcome"] == "passed")
        gaps = "<br>".join(escape(g) for g in req["gaps"])
        rows.append(
            f'<tr><td>{escape(req["id"])}</td><td class="status" style="color:{COLOURS[req["status"]]}">'
            f"{escape(t(lang, req['status']))}</td><td>{escape(req['title'])}</td>"
            f"<td>{checks}</td><td>{passed}/{tests}</td><td>{gaps}</td></tr>"
        )
    run: Mapping[str, Any] = report.get("tests") or {}
    body = (
        f"<h1>{t(lang, 'report')}</h1>"
        f"<p>{t(lang, 'organisation')}: {escape(str(report.get('organisation') or '—'))} · "
        f"{t(lang, 'generated')}: {escape(report['generated_at'])} · {escape(report['id'])}<br>"
        f"{t(lang, 'commit')}: {escape(str(run.get('commit') or '—'))} · "
        f"{t(lang, 'signature')}: {escape(report['key_id'])}</p>"
        f"<h2>{t(lang, 'summary')}</h2><div class='charts'>{''.join(charts)}</div>"
        f"<h2>{t(lang, 'requirements')}</h2><table><thead><tr><th>ID</th><th>{t(lang, 'status')}</th>"
        f"<th></th><th>{t(lang, 'checks')}</th><th>{t(lang, 'tests')}</th><th>{t(lang, 'gaps')}</th>"
        "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _page(lang, t(lang, "report"), body)


def ropa_html(ropa: Mapping[str, Any], lang: str) -> str:
    """The record of processing in ``lang``."""
    rows = []
    for a in ropa["activities"]:
        fields = "<br>".join(
            f"{escape(f['label'][lang])} ({escape(f['field'])}, {escape(f['class'])}"
            f"{', ' + ('敏感' if lang == 'zh' else 'sensitive') if f['sensitive'] else ''}; "
            f"{escape(f['mask'])}; {escape((f['retention'] or {}).get('rule') or '—')})"
            for f in a["fields"]
        )
        recipients = a["recipients"]
        shown = (
            t(lang, "not_available")
            if recipients == "not_available"
            else (", ".join(escape(str(p.get("name", p.get("id")))) for p in recipients) or t(lang, "none"))
        )
        cross = a["cross_border"]
        cross_shown = t(lang, "not_available") if cross == "not_available" else str(len(cross))
        subjects = ", ".join(f"{escape(k)}={v}" for k, v in a["data_subjects"].items())
        rows.append(
            f"<tr><td>{escape(a['purpose'])}<br><small>{escape(a['description'][lang])}</small></td>"
            f"<td>{escape(a['legal_basis'])}</td><td>{escape(', '.join(a['categories']))}</td>"
            f"<td>{fields}</td>"
            f"<td>{subjects}</td><td>{shown}</td><td>{cross_shown}</td>"
            f"<td>{escape(', '.join(a['responsible_roles']))}</td></tr>"
        )
    officer = (ropa.get("responsible") or {}).get("officer")
    security = ropa["security_measures"]
    who = escape(officer["name"] + " · " + officer["contact"]) if officer else "—"
    body = (
        f"<h1>{t(lang, 'ropa')}</h1>"
        f"<p>{t(lang, 'organisation')}: {escape(str(ropa.get('organisation') or '—'))} · "
        f"{t(lang, 'generated')}: {escape(ropa['generated_at'])}</p>"
        f"<p>{t(lang, 'officer')}: {who}</p>"
        f"<p>{t(lang, 'security')}: {escape(', '.join(f'{k}={v}' for k, v in security.items()))}</p>"
        f"<table><thead><tr><th>{t(lang, 'purpose')}</th><th>{t(lang, 'legal_basis')}</th>"
        f"<th>{t(lang, 'categories')}</th><th>{t(lang, 'fields')} / {t(lang, 'retention')}</th>"
        f"<th>{t(lang, 'subjects')}</th><th>{t(lang, 'recipients')}</th><th>{t(lang, 'cross_border')}</th>"
        f"<th>{t(lang, 'roles')}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return _page(lang, t(lang, "ropa"), body)


def pdf(html: str) -> bytes:
    """``html`` as PDF (WeasyPrint; fonts are subset and embedded, so Chinese text is text).

    :raises RuntimeError: WeasyPrint or its Pango libraries are not installed.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries are missing
        raise RuntimeError(f"PDF output needs WeasyPrint and Pango: {exc}") from exc
    out = HTML(string=html).write_pdf()
    assert out is not None
    return bytes(out)
