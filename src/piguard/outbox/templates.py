"""Message templates, in Chinese and English, and the one renderer.

Templates are data: a name, and per locale a subject and a body with ``${name}`` placeholders
(:class:`string.Template`, which cannot run code or reach attributes, unlike a format string).
Every placeholder must be given and nothing else may be: a message that would go out with a
blank where the code should be is refused when it is queued, not discovered by the customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template
from typing import Final

from piguard.errors import ValidationError

__all__ = ["LOCALES", "TEMPLATES", "MessageTemplate", "render"]

LOCALES: Final = ("zh", "en")


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    subject: str
    body: str

    def placeholders(self) -> frozenset[str]:
        names: set[str] = set()
        for text in (self.subject, self.body):
            for match in Template.pattern.finditer(text):
                name = match.group("named") or match.group("braced")
                if name:
                    names.add(name)
        return frozenset(names)


def _t(zh: tuple[str, str], en: tuple[str, str]) -> dict[str, MessageTemplate]:
    return {"zh": MessageTemplate(*zh), "en": MessageTemplate(*en)}


TEMPLATES: Final[Mapping[str, Mapping[str, MessageTemplate]]] = {
    "verification_code": _t(
        (
            "身份验证码",
            "您的验证码为 ${code}，${minutes} 分钟内有效，仅可使用一次。如非本人操作，请忽略本消息。",
        ),
        (
            "Your verification code",
            "Your verification code is ${code}. It is valid for ${minutes} minutes and can be used once. "
            "If you did not ask for it, ignore this message.",
        ),
    ),
    "request_received": _t(
        ("我们已收到您的请求", "您的${kind}请求（编号 ${reference}）已受理，我们将在 ${due} 前答复。"),
        (
            "We have received your request",
            "Your ${kind} request (reference ${reference}) has been received; we will answer by ${due}.",
        ),
    ),
    "request_extended": _t(
        ("您的请求处理期限已延长", "您的请求（编号 ${reference}）处理期限延长至 ${due}，原因：${reason}。"),
        (
            "The deadline of your request was extended",
            "The deadline of your request (reference ${reference}) is now ${due}. Reason: ${reason}.",
        ),
    ),
    "package_ready": _t(
        (
            "您的个人信息副本已准备好",
            "您请求的个人信息副本（编号 ${reference}）可在 ${expires} 前通过以下一次性链接下载：${link}",
        ),
        (
            "Your copy of your personal information is ready",
            "The copy you asked for (reference ${reference}) can be downloaded once, "
            "until ${expires}: ${link}",
        ),
    ),
    "request_outcome": _t(
        ("您的请求已处理", "您的请求（编号 ${reference}）已处理：${outcome}"),
        (
            "Your request has been handled",
            "Your request (reference ${reference}) has been handled: ${outcome}",
        ),
    ),
    # R-DST-4: the notice before an inactive account is cleaned up.
    "inactive_notice": _t(
        (
            "账户长期未使用提醒",
            "您的账户已超过 ${years} 年未使用。如您在 ${deadline} 前未使用或联系我们，我们将注销该账户并删除"
            "您的个人信息（法律规定须保存的部分除外，仅作存储和保护）。",
        ),
        (
            "Your account has not been used",
            "Your account has not been used for more than ${years} years. Unless you use it or contact us "
            "by ${deadline}, we will close it and delete your personal information (except what the law "
            "requires us to keep, which is only stored and protected).",
        ),
    ),
    # PIPL 57 notices of a PI incident (the incident capability): what, why, the possible harm,
    # what was done, what the person can do, whom to ask. The guardian's version for a child under 14.
    "incident_notice": _t(
        (
            "个人信息安全事件告知",
            "${organisation}告知：因${cause}，您的以下个人信息可能受到影响：${pi_types}"
            "（事件编号 ${reference}）。"
            "可能的危害：${harm}。我们已采取的措施：${measures}。"
            "您可以：警惕冒用我们名义的短信和来电，修改密码，必要时向我们查询或投诉。联系方式：${contact}。",
        ),
        (
            "Notice of a personal information incident",
            "${organisation}: because of ${cause}, the following information about you may be affected: "
            "${pi_types} (incident ${reference}). Possible harm: ${harm}. What we have done: ${measures}. "
            "What you can do: watch for messages or calls in our name, change your password, and ask us "
            "or complain if needed. Contact: ${contact}.",
        ),
    ),
    "incident_notice_guardian": _t(
        (
            "关于您监护的未成年人的个人信息安全事件告知",
            "${organisation}告知监护人：因${cause}，您监护的未成年人的以下个人信息可能受到影响：${pi_types}"
            "（事件编号 ${reference}）。可能的危害：${harm}。我们已采取的措施：${measures}。"
            "请提醒孩子警惕陌生来电和信息，必要时向我们查询或投诉。联系方式：${contact}。",
        ),
        (
            "Notice about a child in your care: personal information incident",
            "${organisation} to the guardian: because of ${cause}, the following information about the "
            "child in your care may be affected: ${pi_types} (incident ${reference}). "
            "Possible harm: ${harm}. What we have done: ${measures}. "
            "Please warn the child about unknown calls and messages; ask us or complain if needed. "
            "Contact: ${contact}.",
        ),
    ),
    # To an organisation (a partner), not a customer: the partner deletes what it received.
    "partner_deletion_notice": _t(
        (
            "个人信息删除通知",
            "${partner}：根据双方协议，请删除我方向贵方提供的以下个人信息记录：记录标识 ${row_ref}"
            "（传输编号 ${transfers}），原因：${cause}。完成后请回复本通知编号 ${reference} 确认删除。",
        ),
        (
            "Notice to delete personal information",
            "${partner}: under our agreement, please delete the personal information record we provided "
            "to you with the reference ${row_ref} (transfers ${transfers}); cause: ${cause}. Once done, "
            "confirm the deletion quoting this notice's number ${reference}.",
        ),
    ),
}


#: Templates addressed to the customer's guardian (a child under 14, R-INC-6): the sender reads the
#: guardian's contact field of the channel's kind, or the account's own when the catalog has none.
TO_GUARDIAN: frozenset[str] = frozenset({"incident_notice_guardian"})


def check(template: str, locale: str, params: Mapping[str, str]) -> MessageTemplate:
    """The template for ``locale``, once ``params`` fit it exactly.

    :raises ValidationError: unknown template or locale, a missing or an unexpected parameter
        (named; values are never repeated).
    """
    versions = TEMPLATES.get(template)
    if versions is None:
        raise ValidationError(f"no message template {template!r}", "template")
    chosen = versions.get(locale)
    if chosen is None:
        raise ValidationError(f"template {template!r} has no locale {locale!r} (have {', '.join(versions)})")
    wanted = chosen.placeholders()
    missing, extra = wanted - params.keys(), params.keys() - wanted
    if missing:
        raise ValidationError(f"template {template!r} needs {', '.join(sorted(missing))}", "params")
    if extra:
        raise ValidationError(f"template {template!r} takes no {', '.join(sorted(extra))}", "params")
    return chosen


def render(template: str, locale: str, params: Mapping[str, str]) -> tuple[str, str]:
    """The subject and body of a message.

    :raises ValidationError: see :func:`check`.
    """
    chosen = check(template, locale, params)
    return Template(chosen.subject).substitute(params), Template(chosen.body).substitute(params)
