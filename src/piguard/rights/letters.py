"""Written refusals (PIPL 50, Minors Regs 34): the document a minor, a guardian or a relative gets.

A pure function of the case and the refusal, so the letter can be produced again, byte for byte,
whenever it is printed or posted; the hash of the issued bytes is in the refusal's audit entry.
Every value is escaped (the reason is staff-typed text). Bilingual: the Chinese text binds; the
English follows it for a requester who reads English.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date

__all__ = ["refusal_letter"]

#: Words of the letter; ``to`` is who it is addressed to, by the requester's relation.
_TO = {
    "zh": {"self": "请求人", "guardian": "监护人", "relative": "近亲属"},
    "en": {"self": "Requester", "guardian": "Guardian", "relative": "Close relative"},
}
_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "个人信息权利请求不予办理告知书",
        "case": "请求编号",
        "type": "请求事项",
        "received": "收到日期",
        "decided": "决定日期",
        "reason": "不予办理的理由",
        "remedy": "救济途径",
        "issuer": "个人信息处理者",
    },
    "en": {
        "title": "Notice of refusal of a personal information request",
        "case": "Request",
        "type": "Request type",
        "received": "Received",
        "decided": "Decided",
        "reason": "Reason for the refusal",
        "remedy": "Remedy",
        "issuer": "Personal information handler",
    },
}


def refusal_letter(
    *,
    case_id: str,
    type_label: tuple[str, str],
    received: date,
    refused: date,
    reason: str,
    remedy: Mapping[str, str],
    organisation: str,
    relation: str,
    addressee: str = "",
    lang: str = "zh",
) -> str:
    """The refusal as a printable HTML document (``lang`` first, the other language after it),
    addressed to ``addressee`` (a guardian's or relative's stated name) when given."""
    e = html.escape
    order = ("zh", "en") if lang != "en" else ("en", "zh")
    parts = [
        f'<!doctype html><html lang="{"zh-CN" if order[0] == "zh" else "en"}"><meta charset="utf-8">',
        f"<title>{e(_WORDS[order[0]]['title'])}</title>",
        "<style>body{font-family:'WenQuanYi Micro Hei',sans-serif;max-width:42em;margin:2em auto}"
        "dt{font-weight:bold;margin-top:.6em}"
        "section+section{margin-top:3em;border-top:1px solid #999}</style>",
    ]
    for code in order:
        w = _WORDS[code]
        label = type_label[0] if code == "zh" else type_label[1]
        parts += [
            f'<section lang="{"zh-CN" if code == "zh" else "en"}"><h1>{e(w["title"])}</h1>',
            f"<p>{e(_TO[code].get(relation, _TO[code]['self']))}"
            f"{' ' + e(addressee) if addressee else ''}{'：' if code == 'zh' else ':'}</p><dl>",
            f"<dt>{e(w['case'])}</dt><dd><code>{e(case_id)}</code></dd>",
            f"<dt>{e(w['type'])}</dt><dd>{e(label)}</dd>",
            f"<dt>{e(w['received'])}</dt><dd>{received.isoformat()}</dd>",
            f"<dt>{e(w['decided'])}</dt><dd>{refused.isoformat()}</dd>",
            f"<dt>{e(w['reason'])}</dt><dd>{e(reason)}</dd>",
            f"<dt>{e(w['remedy'])}</dt><dd>{e(remedy[code])}</dd>",
            f"<dt>{e(w['issuer'])}</dt><dd>{e(organisation or '—')}</dd></dl></section>",
        ]
    return "".join(parts) + "</html>"
