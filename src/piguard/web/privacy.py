"""The customer privacy centre at ``/privacy/``: the web edge of :mod:`piguard.privacy`.

Separate from the staff console: its own cookies (``pg_privacy``, a random value whose SHA-256 is
the session row; ``pg_privacy_ch`` for a pending code), its own CSP (no script at all), its own
templates and stylesheet (vendored, nothing external), zh-CN first and English. No staff route
accepts its cookie and it accepts none of theirs. Every page acts through the gate *as the
customer* (``customer:<id>``): the privacy capability for sign-in, the masked data and the step-up
reveal; the consent, rights and trail capabilities for consents, requests and the access history.

Hardening: a CSRF token per session (and a double-submit token before sign-in) plus an Origin
check on every POST; no customer value in a URL or a title (values travel in POST bodies and are
rendered only in pages served ``no-store``); every value escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import secrets
import time
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool

from piguard import errors
from piguard.catalog.vocabulary import SIGN_IN_ROLE
from piguard.consent.capability import Consent
from piguard.consent.model import CONSENT_KINDS, RECIPIENT_KINDS, Guardian
from piguard.gate import RequestContext
from piguard.gate.principals import system_context
from piguard.gate.trail import Trail
from piguard.installation import Installation
from piguard.privacy import Privacy, Session
from piguard.rights import Rights
from piguard.rights.model import REQUEST_TYPES, TYPE_LABELS
from piguard.web import i18n

__all__ = ["PREFIX", "mount_privacy_centre"]

PREFIX = "/privacy"
HERE = Path(__file__).resolve().parent
COOKIE = "pg_privacy"
CHALLENGE_COOKIE = "pg_privacy_ch"
REVEAL_COOKIE = "pg_privacy_rv"
#: The pending step-up challenge before a request's copy is downloaded.
PACKAGE_COOKIE = "pg_privacy_pk"
PRE_COOKIE = "pg_privacy_pre"
LANG_COOKIE = "pg_privacy_lang"
CHANNEL = "privacy_centre"
#: The sign-in answers no sooner than this after the request arrived (milliseconds;
#: ``PIGUARD_PRIVACY_ANSWER_FLOOR_MS``): a known identifier costs a message queued and an unknown one
#: does not, and the floor hides that difference (bench/privacy.py measures both).
ANSWER_FLOOR_MS = 400
#: No script, no frame, nothing from elsewhere: the pages are plain forms.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("个人信息隐私中心", "Privacy centre"),
    "skip": ("跳到正文", "Skip to content"),
    "lang": ("English", "中文"),
    "signin.title": ("登录", "Sign in"),
    "signin.intro": (
        "请输入您在我们这里登记的手机号码或电子邮箱，我们会向其发送一次性验证码。",
        "Enter the mobile number or email address you gave us; we will send a one-time code to it.",
    ),
    "signin.identifier": ("手机号码或电子邮箱", "Mobile number or email address"),
    "signin.send": ("发送验证码", "Send code"),
    "signin.guardian": (
        "我是不满十四周岁儿童的监护人（请填写儿童的手机号码或电子邮箱，验证码将发送至登记的监护人手机）",
        "I am the guardian of a child under 14 (give the child's mobile or email; the code goes to "
        "the guardian's mobile on record)",
    ),
    "guardian.acting": (
        "您正在以监护人身份代儿童查看和管理其个人信息，每项操作均会记录。",
        "You are acting as the guardian for a child in your care; each action is recorded as such.",
    ),
    "guardian.incomplete": (
        "儿童档案中缺少监护人的姓名、关系或身份证号码，无法以监护人身份办理。请携带身份证件到柜台办理。",
        "The child's record lacks the guardian's name, relationship or ID number, so this cannot be "
        "done as the guardian here. Please bring your ID document to a counter.",
    ),
    "code.title": ("输入验证码", "Enter the code"),
    "code.sent": (
        "如果该号码或邮箱在我们的记录中，验证码已发送，10 分钟内有效。",
        "If this number or address is on our records, a code has been sent to it (valid 10 minutes).",
    ),
    "code.label": ("六位验证码", "Six-digit code"),
    "code.submit": ("确认", "Confirm"),
    "code.refused": ("验证码不正确、已过期或已使用。", "The code is wrong, expired or already used."),
    "limited": ("尝试次数过多，请稍后再试。", "Too many attempts; please try again later."),
    "invalid": ("请检查输入的内容。", "Please check what you entered."),
    "nav.home": ("首页", "Home"),
    "nav.data": ("我的信息", "My data"),
    "nav.consents": ("同意管理", "Consents"),
    "nav.requests": ("我的请求", "My requests"),
    "nav.history": ("访问记录", "Access history"),
    "signout": ("退出登录", "Sign out"),
    "signout.all": ("退出所有设备", "Sign out everywhere"),
    "home.title": ("您好", "Welcome"),
    "home.intro": (
        "在这里您可以查看我们保存的您的个人信息、管理同意、提出请求和投诉，并查看谁访问过您的信息。",
        "Here you can see the personal information we hold about you, manage your consents, make requests "
        "and complaints, and see who accessed your data.",
    ),
    "data.title": ("我的信息", "My data"),
    "data.intro": (
        "信息默认脱敏显示。查看某一项完整内容前，需要再次输入验证码。",
        "Values are masked. To see one in full, confirm with a fresh code.",
    ),
    "data.field": ("项目", "Item"),
    "data.value": ("内容（脱敏）", "Value (masked)"),
    "data.show": ("显示", "Show"),
    "data.show_label": ("显示完整内容：", "Show in full: "),
    "data.never": ("不予显示", "never shown"),
    "data.shown": ("完整内容", "In full"),
    "data.back": ("返回我的信息", "Back to my data"),
    "reveal.title": ("再次验证", "Confirm it is you"),
    "consents.title": ("同意管理", "Consents"),
    "consents.intro": (
        "撤回同意与给予同意一样便捷；撤回不影响撤回前基于同意已进行的处理。",
        "Withdrawing is as easy as consenting; it does not affect processing done before.",
    ),
    "consents.purpose": ("用途", "Purpose"),
    "consents.kind": ("类型", "Kind"),
    "consents.state": ("状态", "State"),
    "consents.given": ("已同意", "Given"),
    "consents.none": ("未同意", "Not given"),
    "consents.withdraw": ("撤回", "Withdraw"),
    "consents.grant": ("同意", "Consent"),
    "consents.separate": ("单独同意", "Separate consents"),
    "kind.general": ("同意", "consent"),
    "kind.sensitive": ("处理敏感个人信息", "sensitive personal information"),
    "kind.provision": ("向他人提供", "provision to another party"),
    "kind.public_disclosure": ("公开", "public disclosure"),
    "kind.cross_border": ("向境外提供", "transfer abroad"),
    "consents.notice": ("告知版本", "Notice version"),
    "notices.title": ("生效中的隐私告知", "Notices in force"),
    "notices.version": ("版本", "version"),
    "notices.read": ("阅读全文", "Read it"),
    "consents.done": ("已记录您的选择。", "Your choice is recorded."),
    "marketing.title": ("营销与个性化", "Marketing and personalisation"),
    "marketing.optout": ("不接收营销信息", "No marketing messages"),
    "marketing.personalised": ("接受个性化推荐", "Personalised recommendations"),
    "marketing.save": ("保存", "Save"),
    "requests.title": ("我的请求", "My requests"),
    "requests.new": ("提出请求或投诉", "Make a request or complaint"),
    "requests.type": ("请求类型", "Type of request"),
    "requests.submit": ("提交", "Submit"),
    "requests.none": ("暂无请求。", "No requests yet."),
    "requests.status": ("状态", "Status"),
    "requests.due": ("答复期限", "Due by"),
    "requests.received": ("提交时间", "Received"),
    "requests.outcome": ("结果", "Outcome"),
    "requests.open": ("查看", "Open"),
    "requests.filed": ("您的请求已提交。", "Your request has been filed."),
    "requests.case": ("请求详情", "Request"),
    "requests.timeline": ("处理记录", "Timeline"),
    "requests.remedy": (
        "如对处理结果有异议，您可以向履行个人信息保护职责的部门投诉、举报，或依法向人民法院提起诉讼。",
        "If you disagree, you may complain to the personal information protection authority or sue in a "
        "people's court (PIPL 50).",
    ),
    "requests.download": ("下载副本", "Download the copy"),
    "package.title": ("下载前请输入验证码", "Enter the code to download"),
    "history.title": ("访问记录", "Access history"),
    "history.intro": (
        "谁（按岗位）在何时、为何种用途访问了您的信息。",
        "Who (by role) accessed your data, when and for what purpose.",
    ),
    "history.when": ("时间", "When"),
    "history.role": ("岗位", "Role"),
    "history.what": ("操作", "What"),
    "history.purpose": ("用途", "Purpose"),
    "history.none": ("暂无记录。", "Nothing yet."),
    "recipients.title": ("接收过您信息的合作方", "Partners who received your data"),
    "recipients.intro": (
        "依据协议向其提供过您的信息的合作方：名称、联系方式、所在国家或地区、用途和信息种类。",
        "Partners your data was provided to under an agreement: name, contact, country, purpose "
        "and kinds of data.",
    ),
    "recipients.who": ("接收方", "Recipient"),
    "recipients.contact": ("联系方式", "Contact"),
    "recipients.country": ("国家或地区", "Country"),
    "recipients.fields": ("信息种类", "Data"),
    "recipients.none": ("您的信息未提供给任何合作方。", "Your data was provided to no partner."),
    "error.title": ("出错了", "Something went wrong"),
    "error.forbidden": ("无法完成该操作。", "This cannot be done."),
    "error.not_found": ("没有找到。", "Not found."),
    "csrf": ("页面已过期，请返回重试。", "The page expired; go back and try again."),
}
STATUS = {
    "received": ("已收到", "received"),
    "verified": ("已核验身份", "identity verified"),
    "paused": ("暂停计时", "paused"),
    "in_progress": ("处理中", "in progress"),
    "completed": ("已完成", "completed"),
    "refused": ("已拒绝", "refused"),
}


class CsrfRefused(Exception):
    """A POST without a valid CSRF token or from another origin."""


class NeedSignIn(Exception):
    """No live privacy-centre session."""


def pick_lang(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("zh", "en"):
        return chosen
    accept = (request.headers.get("accept-language") or "").lower()
    return "en" if accept.startswith("en") else "zh"  # zh-CN first


class Centre:
    """The privacy centre over an opened installation."""

    def __init__(self, inst: Installation, *, answer_floor: float = ANSWER_FLOOR_MS / 1000) -> None:
        self.inst = inst
        self.answer_floor = answer_floor
        self.privacy = inst.capability(Privacy)
        self.catalog = inst.catalog
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates" / "privacy"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.router: APIRouter | None = None

    # ------------------------------------------------------------------ plumbing

    @staticmethod
    def gate_ctx() -> RequestContext:
        """The sign-in's own principal (before anyone is known)."""
        return system_context("privacy", SIGN_IN_ROLE)

    def session(self, request: Request) -> Session:
        found = self.privacy.session(request.cookies.get(COOKIE))
        if found is None:
            raise NeedSignIn()
        return found

    def render(
        self,
        request: Request,
        template: str,
        *,
        title: str,
        session: Session | None = None,
        status: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        lang = pick_lang(request)
        index = 0 if lang == "zh" else 1

        def t(key: str) -> str:
            return TEXTS[key][index]

        def term(table: dict[str, tuple[str, str]], key: str) -> str:
            pair = table.get(key)
            return pair[index] if pair else key

        page = self.env.get_template(template).render(
            t=t,
            lang=lang,
            prefix=PREFIX,
            title=t(title),
            session=session,
            csrf=session.csrf if session else "",
            status_name=lambda s: term(STATUS, s),
            type_name=lambda s: term(dict(TYPE_LABELS), s),
            purpose_name=lambda p: self._purpose(p, lang),
            term=lambda kind, name: i18n.term(kind, name, lang, self.catalog),
            when=lambda value: i18n.when(value, lang),
            field_names=lambda names: self._field_names(names, lang),
            **values,
        )
        response = HTMLResponse(page, status_code=status)
        secure(response)
        return response

    def _field_names(self, names: list[str], lang: str) -> str:
        """Field names (``field`` or ``record_type.field``) as the catalog labels them."""
        shown = []
        for name in names:
            record_type, _, field = name.rpartition(".")
            types = [record_type] if record_type else list(self.catalog.record_types)
            label = next(
                (
                    self.catalog.record_types[rt].fields[field].label
                    for rt in types
                    if rt in self.catalog.record_types and field in self.catalog.record_types[rt].fields
                ),
                None,
            )
            shown.append(str(getattr(label, lang, None) or field) if label is not None else field)
        return ("、" if lang == "zh" else ", ").join(shown)

    def _purpose(self, name: str, lang: str) -> str:
        purpose = self.catalog.purposes.get(name)
        if purpose is None:
            return name
        desc = purpose.description
        text = getattr(desc, lang, None) if desc is not None else None
        return str(text or name)

    async def posted(self, request: Request, session: Session | None) -> dict[str, str]:
        """The form of a POST after its origin and CSRF checks."""
        origin = request.headers.get("origin")
        if origin and origin != "null":
            if urlsplit(origin).netloc != request.headers.get("host", ""):
                raise CsrfRefused()
        form = await request.form()
        token = str(form.get("csrf") or "")
        expected = session.csrf if session else (request.cookies.get(PRE_COOKIE) or "")
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            raise CsrfRefused()
        return {k: str(v) for k, v in form.items()}


def _recipients(history: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """The recipient each ``(purpose, kind)`` consent named when last given (oldest record first)."""
    out: dict[tuple[str, str], str] = {}
    for record in history:
        if record["action"] == "grant" and record.get("recipient"):
            for purpose in record["purposes"]:
                out[(str(purpose), str(record["kind"]))] = str(record["recipient"])
    return out


def secure(response: Response) -> Response:
    """The centre's own headers: its CSP, no caching, no referrer."""
    response.headers["content-security-policy"] = CSP
    response.headers["cache-control"] = "no-store"
    response.headers["referrer-policy"] = "no-referrer"
    response.headers["x-frame-options"] = "DENY"
    response.headers["x-content-type-options"] = "nosniff"
    return response


def _cookie(response: Response, name: str, value: str, request: Request, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="strict", path=PREFIX,
        secure=request.url.scheme == "https", max_age=max_age,
    )  # fmt: skip


def _redirect(path: str) -> Response:
    return secure(RedirectResponse(PREFIX + path, status_code=303))


def register(router: APIRouter, centre: Centre) -> None:
    """The centre's routes."""

    @router.get("/")
    def home(request: Request) -> Response:
        found = centre.privacy.session(request.cookies.get(COOKIE))
        if found is None:
            pre = secrets.token_urlsafe(24)
            response = centre.render(request, "signin.html", title="signin.title", pre=pre, message=None)
            _cookie(response, PRE_COOKIE, pre, request)
            return response
        return centre.render(request, "home.html", title="home.title", session=found)

    @router.get("/lang/{code}")
    def lang(request: Request, code: str) -> Response:
        response = _redirect("/")
        if code in ("zh", "en"):
            _cookie(response, LANG_COOKIE, code, request, max_age=365 * 86400)
        return response

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        began = time.monotonic()
        form = await centre.posted(request, None)
        address = request.client.host if request.client else ""
        try:
            started = await run_in_threadpool(
                centre.privacy.start, centre.gate_ctx(), form.get("identifier", ""), address=address,
                guardian=form.get("guardian") == "1",
            )  # fmt: skip
        except errors.TooManyAttempts:
            return _signin_again(request, "limited", 429)
        except errors.ValidationError:
            return _signin_again(request, "invalid", 400)
        finally:
            # Known or unknown, the answer leaves at the same time (no enumeration by timing).
            await asyncio.sleep(max(0.0, centre.answer_floor - (time.monotonic() - began)))
        response = _redirect("/code")
        _cookie(response, CHALLENGE_COOKIE, started.challenge, request, max_age=600)
        return response

    def _signin_again(request: Request, message: str, status: int) -> Response:
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
        response = centre.render(
            request, "signin.html", title="signin.title", pre=pre, message=message, status=status
        )
        _cookie(response, PRE_COOKIE, pre, request)
        return response

    @router.get("/code")
    def code_form(request: Request) -> Response:
        pre = request.cookies.get(PRE_COOKIE) or ""
        return centre.render(
            request, "code.html", title="code.title", pre=pre, action=PREFIX + "/code", message=None
        )

    @router.post("/code")
    async def code(request: Request) -> Response:
        form = await centre.posted(request, None)
        try:
            session = await run_in_threadpool(
                centre.privacy.verify,
                centre.gate_ctx(),
                request.cookies.get(CHALLENGE_COOKIE) or "",
                form.get("code", ""),
            )
        except errors.AccessDenied:
            pre = request.cookies.get(PRE_COOKIE) or ""
            return centre.render(
                request, "code.html", title="code.title", pre=pre, action=PREFIX + "/code",
                message="code.refused", status=403,
            )  # fmt: skip
        response = _redirect("/")
        _cookie(response, COOKIE, session.cookie, request)
        response.delete_cookie(CHALLENGE_COOKIE, path=PREFIX)
        response.delete_cookie(PRE_COOKIE, path=PREFIX)
        return response

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        session = centre.session(request)
        form = await centre.posted(request, session)
        await run_in_threadpool(
            centre.privacy.sign_out, session.context(""), session, everywhere=form.get("everywhere") == "1"
        )
        response = _redirect("/")
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    # ------------------------------------------------------------------ data

    @router.get("/data")
    def data(request: Request) -> Response:
        session = centre.session(request)
        fields = centre.privacy.profile(session.context(), session)
        return centre.render(request, "data.html", title="data.title", session=session, fields=fields)

    @router.post("/data/show")
    async def show(request: Request) -> Response:
        session = centre.session(request)
        form = await centre.posted(request, session)
        try:
            token = await run_in_threadpool(
                centre.privacy.reveal_code, session.context(""), session, form.get("record_type", ""),
                form.get("field", ""), form.get("record_id", ""),
            )  # fmt: skip
        except errors.TooManyAttempts:
            return centre.render(
                request, "message.html", title="error.title", session=session, message="limited", status=429
            )
        response = _redirect("/data/verify")
        _cookie(response, REVEAL_COOKIE, token, request, max_age=600)
        return response

    @router.get("/data/verify")
    def reveal_form(request: Request) -> Response:
        session = centre.session(request)
        return centre.render(
            request, "code.html", title="reveal.title", session=session, pre=session.csrf,
            action=PREFIX + "/data/verify", message=None,
        )  # fmt: skip

    @router.post("/data/verify")
    async def reveal(request: Request) -> Response:
        session = centre.session(request)
        form = await centre.posted(request, session)
        try:
            record_type, _, field, value = await run_in_threadpool(
                centre.privacy.reveal,
                session.context(),
                session,
                request.cookies.get(REVEAL_COOKIE) or "",
                form.get("code", ""),
            )
        except errors.AccessDenied:
            return centre.render(
                request, "code.html", title="reveal.title", session=session, pre=session.csrf,
                action=PREFIX + "/data/verify", message="code.refused", status=403,
            )  # fmt: skip
        spec = centre.catalog.record_types[record_type].fields[field]
        label = spec.label.zh if pick_lang(request) == "zh" else spec.label.en
        response = centre.render(
            request, "shown.html", title="data.shown", session=session, label=label, value=value
        )
        response.delete_cookie(REVEAL_COOKIE, path=PREFIX)
        return response

    def guardian_incomplete(request: Request, session: Session) -> Response:
        """Nothing is recorded as the guardian's without the guardian's identity on the child's record."""
        return centre.render(
            request, "message.html", title="error.title", session=session, message="guardian.incomplete",
            status=403,
        )  # fmt: skip

    # ------------------------------------------------------------------ consents

    def consent_rows(session: Session) -> tuple[list[dict[str, Any]], Any]:
        """Each consent purpose with each kind of consent it may be given under: the general one,
        every separate one its purpose asks for (PIPL 29, 23, 25, 39), and any recorded before
        (a withdrawn consent stays listed, to be given again with one click). A separate consent
        that names its recipient is offered only with the recipient it named before."""
        consent = centre.inst.capability(Consent)
        shown = consent.show(session.context(), session.customer_id)
        given = shown["state"]["consents"]
        recipients = _recipients(shown["history"])
        rows = []
        for name, purpose in sorted(centre.catalog.purposes.items()):
            if purpose.legal_basis != "consent":
                continue
            kinds = {"general"} | set(given.get(name, {})) | set(purpose.separate_consent_for)
            kinds |= {str(r["kind"]) for r in shown["history"] if name in r["purposes"]}
            for kind in sorted(kinds, key=lambda k: CONSENT_KINDS.index(k) if k in CONSENT_KINDS else 99):
                entry = given.get(name, {}).get(kind)
                if entry is None and kind in RECIPIENT_KINDS and (name, kind) not in recipients:
                    continue  # nothing to name: given where the recipient is known (sharing's pages)
                rows.append(
                    {
                        "purpose": name,
                        "kind": kind,
                        "given": entry is not None,
                        "notice_version": entry.get("notice_version") if entry else None,
                    }
                )
        return rows, shown["state"]["marketing"]

    @router.get("/consents")
    def consents(request: Request, done: int = 0) -> Response:
        session = centre.session(request)
        rows, marketing = consent_rows(session)
        # The notices in force: the newest version of each kind (older ones stay in the ledger).
        newest: dict[str, Any] = {}
        for notice in centre.inst.capability(Consent).notices(session.context("")):
            if notice.kind not in newest or notice.version > newest[notice.kind].version:
                newest[notice.kind] = notice
        return centre.render(
            request, "consents.html", title="consents.title", session=session,
            general=[r for r in rows if r["kind"] == "general"],
            separate=[r for r in rows if r["kind"] != "general"],
            marketing=marketing, done=bool(done), notices=sorted(newest.values(), key=lambda n: n.kind),
        )  # fmt: skip

    @router.post("/consents")
    async def consents_change(request: Request) -> Response:
        session = centre.session(request)
        form = await centre.posted(request, session)
        consent = centre.inst.capability(Consent)
        purpose = form.get("purpose", "")
        kind = next((k for k in CONSENT_KINDS if k == form.get("kind", "general")), None)
        if kind is None:
            raise errors.ValidationError("no such kind of consent", "kind")
        if centre.catalog.purposes.get(purpose) is None or purpose not in centre.catalog.purposes:
            raise errors.ValidationError("no such purpose", "purpose")
        if form.get("action") == "withdraw":
            await run_in_threadpool(
                consent.withdraw, session.context(), session.customer_id, [purpose], kind=kind,
                channel=CHANNEL,
            )  # fmt: skip
            return _redirect("/consents?done=1")
        guardian: Guardian | None = None
        if session.guardian:
            # PIPL 31: a child's consent is the guardian's, recorded with the guardian's evidence
            # (relationship, keyed reference of the ID number on the child's record).
            found = await run_in_threadpool(centre.privacy.guardian, session.context(), session)
            if found is None:
                return guardian_incomplete(request, session)
            guardian = consent.guardian(found.relation, found.id_number)
        recipient: str | None = None
        if kind in RECIPIENT_KINDS:
            # PIPL 23, 39: given again to the recipient it named before, never one from the form.
            shown = await run_in_threadpool(consent.show, session.context(), session.customer_id)
            recipient = _recipients(shown["history"]).get((purpose, kind))
            if recipient is None:
                raise errors.ValidationError("this consent names a recipient none was given to", "kind")
        await run_in_threadpool(
            partial(consent.grant, guardian=guardian, recipient=recipient), session.context(),
            session.customer_id, [purpose], channel=CHANNEL, kinds=(kind,),
        )  # fmt: skip
        return _redirect("/consents?done=1")

    @router.post("/marketing")
    async def marketing(request: Request) -> Response:
        session = centre.session(request)
        form = await centre.posted(request, session)
        await run_in_threadpool(
            centre.inst.capability(Consent).set_marketing, session.context(), session.customer_id,
            form.get("opt_out") == "1", form.get("personalised") == "1", channel=CHANNEL,
        )  # fmt: skip
        return _redirect("/consents?done=1")

    # ------------------------------------------------------------------ requests

    @router.get("/requests")
    def requests_page(request: Request, done: int = 0) -> Response:
        session = centre.session(request)
        cases = centre.inst.capability(Rights).find(session.context(), customer_id=session.customer_id)
        return centre.render(
            request, "requests.html", title="requests.title", session=session, cases=cases,
            types=REQUEST_TYPES, done=bool(done), ready=centre.privacy.ready(session.context(""), session),
        )  # fmt: skip

    @router.post("/requests/download")
    async def package_code(request: Request) -> Response:
        session = centre.session(request)
        form = await centre.posted(request, session)
        try:
            token = await run_in_threadpool(
                centre.privacy.package_code, session.context(""), session, form.get("case_id", "")
            )
        except errors.TooManyAttempts:
            return centre.render(
                request, "message.html", title="error.title", session=session, message="limited", status=429
            )
        response = _redirect("/requests/download/verify")
        _cookie(response, PACKAGE_COOKIE, token, request, max_age=600)
        return response

    @router.get("/requests/download/verify")
    def package_form(request: Request) -> Response:
        session = centre.session(request)
        return centre.render(
            request, "code.html", title="package.title", session=session, pre=session.csrf,
            action=PREFIX + "/requests/download/verify", message=None,
        )  # fmt: skip

    @router.post("/requests/download/verify")
    async def package(request: Request) -> Response:
        session = centre.session(request)
        form = await centre.posted(request, session)
        try:
            doc = await run_in_threadpool(
                centre.privacy.package, session.context(), session,
                request.cookies.get(PACKAGE_COOKIE) or "", form.get("code", ""),
            )  # fmt: skip
        except errors.AccessDenied:
            return centre.render(
                request, "code.html", title="package.title", session=session, pre=session.csrf,
                action=PREFIX + "/requests/download/verify", message="code.refused", status=403,
            )  # fmt: skip
        # Served from memory, never written to a file; no value in the URL or the file's name.
        body = json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1, default=str)
        response = Response(body.encode("utf-8"), media_type="application/json; charset=utf-8")
        response.headers["Content-Disposition"] = 'attachment; filename="piguard-copy.json"'
        secure(response)
        response.delete_cookie(PACKAGE_COOKIE, path=PREFIX)
        return response

    @router.post("/requests")
    async def requests_file(request: Request) -> Response:
        session = centre.session(request)
        form = await centre.posted(request, session)
        kind = form.get("type", "")
        if kind not in REQUEST_TYPES:
            raise errors.ValidationError("no such request type", "type")
        rights = centre.inst.capability(Rights)
        if session.guardian:
            # Minors Regs 33: filed as the guardian's request, the guardian named as the child's
            # record names them (sealed in the case), like the rights desk's guardian intake.
            found = await run_in_threadpool(centre.privacy.guardian, session.context(), session)
            if found is None:
                return guardian_incomplete(request, session)
            await run_in_threadpool(
                partial(
                    rights.open, relation="guardian", relationship=found.relationship,
                    requester={"name": found.name, "document": found.id_number},
                ),
                session.context(), session.customer_id, kind, channel="web",
            )  # fmt: skip
        else:
            await run_in_threadpool(rights.open, session.context(), session.customer_id, kind, channel="web")
        return _redirect("/requests?done=1")

    @router.get("/requests/{case_id}")
    def request_page(request: Request, case_id: str) -> Response:
        session = centre.session(request)
        case = centre.inst.capability(Rights).show(session.context(), case_id)
        return centre.render(request, "request.html", title="requests.case", session=session, case=case)

    # ------------------------------------------------------------------ access history

    @router.get("/history")
    def history(request: Request) -> Response:
        session = centre.session(request)
        found = centre.inst.capability(Trail).history(session.context(), session.customer_id)
        received = centre.privacy.recipients(session.context(), session)
        return centre.render(
            request, "history.html", title="history.title", session=session, rows=found["history"],
            recipients=received,
        )  # fmt: skip


def mount_privacy_centre(app: FastAPI, inst: Installation, *, answer_floor: float | None = None) -> Centre:
    """Add the privacy centre under ``/privacy`` (none of its routes is in the OpenAPI schema).

    :param answer_floor: seconds the sign-in answer waits for at least (default
        ``PIGUARD_PRIVACY_ANSWER_FLOOR_MS`` or :data:`ANSWER_FLOOR_MS`).
    """
    if answer_floor is None:
        answer_floor = int(os.environ.get("PIGUARD_PRIVACY_ANSWER_FLOOR_MS", ANSWER_FLOOR_MS)) / 1000
    centre = Centre(inst, answer_floor=answer_floor)
    router = APIRouter(prefix=PREFIX)
    register(router, centre)
    app.include_router(router, include_in_schema=False)
    app.mount(PREFIX + "/static", StaticFiles(directory=HERE / "static" / "privacy"), name="privacy-static")
    centre.router = router
    app.state.privacy_centre = centre

    previous = app.exception_handlers.get(errors.Error)

    async def errors_here(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(PREFIX + "/") and isinstance(exc, errors.Error):
            key = "error.not_found" if isinstance(exc, errors.NotFound) else "error.forbidden"
            status = (
                404
                if isinstance(exc, errors.NotFound)
                else (400 if isinstance(exc, errors.ValidationError) else 403)
            )
            session = centre.privacy.session(request.cookies.get(COOKIE))
            return centre.render(
                request, "message.html", title="error.title", session=session, message=key, status=status
            )
        assert previous is not None
        result = previous(request, exc)
        response: Response = await result if hasattr(result, "__await__") else result
        return response

    async def need_sign_in(request: Request, exc: Exception) -> Response:
        return _redirect("/")

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return centre.render(request, "message.html", title="error.title", message="csrf", status=403)

    app.add_exception_handler(errors.Error, errors_here)
    app.add_exception_handler(NeedSignIn, need_sign_in)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    return centre
