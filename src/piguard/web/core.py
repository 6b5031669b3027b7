"""The console's shared machinery: sessions, the signed-in staff member, CSRF checks, rendering.

Every page reaches data through :attr:`Console.gate` (records operations, per-field
decisions) and the capabilities mounted on it (:meth:`Console.capability`), which decide and
record; accounts, sign-in and grant requests go through the account service
(:attr:`Console.access`), which records its own events. The console records nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from piguard import errors
from piguard.access import BOOTSTRAP_ROLE
from piguard.catalog import Role
from piguard.catalog.vocabulary import ACTIONS, PRIVILEGED_ACTIONS
from piguard.gate import Gate, RequestContext
from piguard.gate.sdk import Actor
from piguard.installation import Installation
from piguard.web import i18n
from piguard.web.session import (
    COOKIE,
    LANG_COOKIE,
    PRELOGIN_COOKIE,
    ConsoleSession,
    SessionStore,
    same,
)

C = TypeVar("C")

HERE = Path(__file__).resolve().parent
PREFIX = "/console"
#: Every console action a role may hold; the bootstrap administrator holds them all.
ALL_ACTIONS: frozenset[str] = frozenset(ACTIONS)


class NeedLogin(Exception):
    """No live console session: the browser goes to the login page (``expired`` says why)."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


class CsrfRefused(Exception):
    """A POST without this session's CSRF token, or from another origin."""


@dataclass(frozen=True, slots=True)
class Staff:
    """The signed-in staff member of this request, freshly authenticated."""

    actor: Actor
    session: ConsoleSession
    role: Role | None
    lang: str

    def can(self, action: str) -> bool:
        if self.actor.role == BOOTSTRAP_ROLE:
            return True
        return self.role is not None and action in self.role.actions

    @property
    def purposes(self) -> list[str]:
        return sorted(self.role.purposes) if self.role is not None else []


class Console:
    """The console over one installation.

    :param idle_timeout: a session idle this long must sign in again.
    """

    def __init__(self, inst: Installation, *, idle_timeout: timedelta) -> None:
        self.inst = inst
        #: The gate: the records operations and the per-field decisions.
        self.gate: Gate = inst.gate
        #: The account service: sign-in, accounts, grants, training.
        self.access = inst.access
        self.catalog = inst.catalog
        self.clock = inst.gate.clock
        self.sessions: SessionStore = inst.node_state.console_sessions(self.clock, idle_timeout)
        #: The console's routes (set by :func:`piguard.web.mount_console`), for route audits.
        self.router: APIRouter | None = None
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,  # every value is escaped unless a template marks it safe (only our SVG)
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # ------------------------------------------------------------------ who is asking

    def lang(self, request: Request) -> str:
        return i18n.pick_lang(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))

    def staff(self, request: Request) -> Staff:
        """The signed-in staff member, re-authenticated and rate-charged on every request.

        :raises NeedLogin: no session, an idle-expired one, or a token the access layer refuses
            (disabled user, revoked or expired session).
        """
        session, expired = self.sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise NeedLogin(expired)
        try:
            actor = self.access.authenticate(session.token)
        except errors.AuthenticationFailed:
            self.sessions.drop(request.cookies.get(COOKIE))
            raise NeedLogin(True) from None
        limiter = getattr(request.app.state, "limiter", None)
        if limiter is not None:
            limiter.charge(f"p:{actor.id}")
        return Staff(actor, session, self.catalog.roles.get(actor.role), self.lang(request))

    def require(self, staff: Staff, *actions: str) -> None:
        """:raises AccessDenied: the role holds none of ``actions`` (the page is not for it)."""
        if not any(staff.can(a) for a in actions):
            raise errors.AccessDenied(
                f"role '{staff.actor.role}' may not open this page",
                key="page_forbidden",
                params={"role": staff.actor.role},
            )

    async def posted(self, request: Request) -> FormData:
        """The form of a POST, after checking its origin and this session's CSRF token.

        :raises CsrfRefused: a missing or wrong token, or a cross-origin request.
        """
        self.check_origin(request)
        form = await request.form()
        session, _ = await run_in_threadpool(self.sessions.get, request.cookies.get(COOKIE))
        token = form.get("csrf")
        if session is None:
            raise NeedLogin(True)
        if not isinstance(token, str) or not same(token, session.csrf):
            raise CsrfRefused()
        return form

    @staticmethod
    def check_origin(request: Request) -> None:
        """Refuse a POST whose ``Origin`` names another site (defence in depth beside SameSite)."""
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = request.headers.get("host", "")
            if urlsplit(origin).netloc != host:
                raise CsrfRefused()

    def field_names(self, fields: object, lang: str) -> str:
        """Qualified field names (``record_type.field``, a list or ``*``) by their catalog labels."""
        items = [fields] if isinstance(fields, str) else list(fields or [])  # type: ignore[call-overload]
        out = []
        for item in items:
            text = str(item)
            if text == "*":
                out.append("*")
                continue
            record_type, _, name = text.partition(".")
            try:
                out.append(i18n.label(self.catalog.field(record_type, name).label, lang, text))
            except (KeyError, errors.Error):
                out.append(text)
        return "、".join(out) if lang == "zh" else ", ".join(out)

    def least_privileged_role(self, roles: list[str]) -> str:
        """The role a new account gets unless the administrator picks another: the one that can
        do least (no approving, administering or auditing; fewest actions and clear fields)."""
        fields = [(rt.name, f) for rt in self.catalog.record_types.values() for f in rt.fields.values()]

        def weight(name: str) -> tuple[int, int, int, int, str]:
            role = self.catalog.roles[name]
            levels = [role.level_for(f, rt).level for rt, f in fields]
            return (
                len(role.actions & PRIVILEGED_ACTIONS),
                levels.count("clear"),
                levels.count("masked"),
                len(role.actions),
                name,
            )

        return min(roles, key=weight) if roles else ""

    def say(self, staff: Staff | str, exc: BaseException) -> str:
        """``exc`` told in the staff member's (or the given) language: never an English
        sentence on a Chinese page (see :func:`piguard.web.i18n.error_text`)."""
        lang = staff if isinstance(staff, str) else staff.lang
        return i18n.error_text(exc, lang, self.catalog)

    def ctx(self, request: Request, staff: Staff, purpose: str) -> RequestContext:
        address = request.client.host if request.client else None
        return RequestContext(staff.actor, purpose, client="console", address=address)

    def capability(self, kind: type[C]) -> C:
        """The mounted capability of this class (consent, trail...)."""
        return self.gate.capability(kind)

    # ------------------------------------------------------------------ rendering

    def render(
        self,
        request: Request,
        template: str,
        *,
        title: str,
        staff: Staff | None = None,
        status: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        """Render ``template``; ``title`` is a message key (titles never carry customer values)."""
        lang = staff.lang if staff is not None else self.lang(request)
        t = i18n.translator(lang)
        page = self.env.get_template(template).render(
            t=t,
            lang=lang,
            other_lang="en" if lang == "zh" else "zh",
            title=t(title),
            term=lambda kind, name: i18n.term(kind, name, lang, self.catalog),
            when=lambda value, seconds=False: i18n.when(value, lang, seconds=seconds),
            EMPTY=t("value.empty"),
            field_names=lambda fields: self.field_names(fields, lang),
            staff=staff,
            csrf=staff.session.csrf if staff is not None else "",
            flashes=staff.session.take_flashes() if staff is not None else [],
            here=request.url.path,
            prefix=PREFIX,
            idle_seconds=int(self.sessions.idle_timeout.total_seconds()),
            **values,
        )
        return HTMLResponse(page, status_code=status)

    def redirect(self, path: str) -> RedirectResponse:
        return RedirectResponse(PREFIX + path, status_code=303)

    # ------------------------------------------------------------------ cookies

    @staticmethod
    def secure(request: Request) -> bool:
        return request.url.scheme == "https"

    def set_session_cookie(self, response: Response, request: Request, value: str) -> None:
        response.set_cookie(
            COOKIE,
            value,
            httponly=True,
            samesite="strict",
            secure=self.secure(request),
            path=PREFIX,
        )

    def set_prelogin(self, response: Response, request: Request, token: str) -> None:
        """Set the login form's CSRF token, double-submitted as a cookie (there is no session yet)."""
        response.set_cookie(
            PRELOGIN_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=self.secure(request),
            path=PREFIX,
            max_age=3600,
        )

    @staticmethod
    def prefix_path(path: str) -> str:
        return PREFIX + path


def safe_next(value: str | None) -> str:
    """A same-site console path to go back to, never an open redirect."""
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value.split("?", 1)[0]
    return PREFIX + "/"
