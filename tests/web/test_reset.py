"""Issue 11 item 18: credential reset in the console (R-USE-1).

An administrator resets a user on the users page; the user's console session ends on the next
click; the user sets a new password and enrols a new TOTP secret on ``/console/reset`` (forms
with the double-submitted token, like the login form), then signs in. Driven through the real
app (TestClient) over a real SQLite installation; the zh page is read in Chromium.
"""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.web.conftest import Site, csrf, prelogin
from tests.web.test_browser import ARGS, CHROMIUM
from tests.web.test_browser import login as browser_login
from tests.web.test_language import VISIBLE_TEXT, english_words
from tests.web.test_security import client

NEW_PASSWORD = "a much longer new password 7"


def _reset(site: Site, admin: TestClient, role: str) -> str:
    """Reset the demo user of ``role`` from the users page; return the one-time password shown."""
    token = csrf(admin.get("/console/admin/users").text)
    name = site.staff[role]["name"]
    page = admin.post(f"/console/admin/users/{name}/reset", data={"csrf": token})
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'<code id="one-time-password">([^<]+)</code>', page.text)
    assert found, "no one-time password shown"
    return found.group(1)


def _begin(c: TestClient, name: str, one_time: str) -> Any:
    form = c.get("/console/reset")
    return c.post(
        "/console/reset", data={"prelogin": prelogin(form.text), "name": name, "one_time": one_time}
    )


def _secret(page: str) -> tuple[str, str]:
    found = re.search(r'<code id="reset-totp">([A-Z2-7]+)</code>', page)
    ticket = re.search(r'name="ticket" value="([^"]+)"', page)
    assert found and ticket, page[:500]
    return found.group(1), ticket.group(1)


def _complete(c: TestClient, page: str, password: str, repeat: str, code: str) -> Any:
    _, ticket = _secret(page)
    return c.post(
        "/console/reset/complete",
        data={
            "prelogin": prelogin(page),
            "ticket": ticket,
            "password": password,
            "repeat": repeat,
            "totp": code,
        },
        follow_redirects=False,
    )


def _login(site: Site, name: str, password: str, code: str) -> Any:
    c = TestClient(site.app, base_url="http://testserver")
    page = c.get("/console/login")
    return c.post(
        "/console/login",
        data={"prelogin": prelogin(page.text), "name": name, "password": password, "totp": code},
    )


@pytest.mark.req("R-USE-1")
def test_console_reset_ends_the_users_session_and_new_credentials_let_them_sign_in_r_use_1(
    site: Site,
) -> None:
    victim = client(site, "customer_service")
    assert victim.get("/console/").status_code == 200
    admin = client(site, "admin")
    one_time = _reset(site, admin, "customer_service")
    # The user's console session ends on the very next click.
    after = victim.get("/console/", follow_redirects=False)
    assert after.status_code == 303 and "/console/login" in after.headers["location"]
    listed = admin.get("/console/admin/users").text
    name = site.staff["customer_service"]["name"]
    assert f'data-user="{name}"' in listed and "待重设凭据" in listed
    assert one_time not in listed  # shown once, in the reset's own response
    # The old password and old TOTP are refused.
    site.clock.advance(timedelta(seconds=31))
    name, old_password, old_code = site.creds("customer_service")
    assert _login(site, name, old_password, old_code).status_code == 401

    user = TestClient(site.app, base_url="http://testserver")
    enrol = _begin(user, name, one_time)
    assert enrol.status_code == 200
    secret, _ = _secret(enrol.text)
    assert "<svg" in enrol.text  # the QR code, inline
    code = pyotp.TOTP(secret).at(site.clock.now())
    # Two different new passwords, then a wrong code: the form comes back, the reset still pending.
    differ = _complete(user, enrol.text, NEW_PASSWORD, NEW_PASSWORD + "x", code)
    assert differ.status_code == 422 and "两次输入的新密码不一致" in differ.text
    wrong = _complete(user, differ.text, NEW_PASSWORD, NEW_PASSWORD, old_code)
    assert wrong.status_code == 401 and "动态码错误" in wrong.text
    weak = _complete(user, wrong.text, "short", "short", code)
    assert weak.status_code == 422 and "至少需要 12 个字符" in weak.text
    done = _complete(user, weak.text, NEW_PASSWORD, NEW_PASSWORD, code)
    assert done.status_code == 303 and done.headers["location"].endswith("/console/login?m=reset")
    assert "新凭据已保存" in user.get(done.headers["location"]).text
    # The one-time password is used up; the new credentials sign in.
    again = _begin(TestClient(site.app, base_url="http://testserver"), name, one_time)
    assert again.status_code == 401
    site.clock.advance(timedelta(seconds=31))
    signed_in = _login(site, name, NEW_PASSWORD, pyotp.TOTP(secret).at(site.clock.now()))
    assert signed_in.status_code == 200 and signed_in.url.path == "/console/"


@pytest.mark.req("R-USE-1")
def test_console_reset_forms_need_their_token_and_refuse_self_reset(site: Site) -> None:
    admin = client(site, "admin")
    admin_name = site.staff["admin"]["name"]
    users = admin.get("/console/admin/users").text
    # No reset button for oneself, and the route refuses it anyway, in Chinese.
    assert f"/admin/users/{admin_name}/reset" not in users
    own = admin.post(f"/console/admin/users/{admin_name}/reset", data={"csrf": csrf(users)})
    assert own.status_code == 422 and "不能用此方式重置自己的凭据" in own.text
    # Without the session's CSRF token the reset is refused and nothing changes.
    victim = site.staff["customer_service"]["name"]
    forged = admin.post(f"/console/admin/users/{victim}/reset", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert site.inst.access.principal(victim)["status"] == "active"
    # The user's forms without the double-submitted token are refused too.
    bare = TestClient(site.app, base_url="http://testserver")
    assert bare.post("/console/reset", data={"name": victim, "one_time": "x"}).status_code == 403
    # An officer holds no administer action: the route refuses.
    officer = client(site, "officer")
    token = csrf(officer.get("/console/").text)
    refused = officer.post(f"/console/admin/users/{victim}/reset", data={"csrf": token})
    assert refused.status_code == 403
    assert site.inst.access.principal(victim)["status"] == "active"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.browser
@pytest.mark.req("R-USE-1")
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_zh_reset_pages_show_no_english_ui_strings_and_complete_in_chromium(
    browser: Any, served: Site
) -> None:
    site = served
    admin = browser_login(browser, site, "admin")
    name = site.staff["finance"]["name"]
    admin.goto(f"{site.base_url}/console/admin/users")
    admin.click(f'tr[data-user="{name}"] button.reset')
    one_time = admin.locator("#one-time-password").inner_text()
    found = {"users": english_words(admin.evaluate(VISIBLE_TEXT))}
    admin.context.close()

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{site.base_url}/console/login")
    page.click("#reset-link")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    found["reset"] = english_words(page.evaluate(VISIBLE_TEXT))
    page.fill("#reset-name", name)
    page.fill("#one-time", one_time)
    page.click("#reset-continue")
    secret = page.locator("#reset-totp").inner_text()
    assert page.locator("#reset-qr svg").count() == 1
    found["enrol"] = english_words(page.evaluate(VISIBLE_TEXT))
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#repeat-password", NEW_PASSWORD + "!")
    page.fill("#reset-code", pyotp.TOTP(secret).at(site.clock.now()))
    page.click("#reset-save")
    found["mismatch"] = english_words(page.evaluate(VISIBLE_TEXT))
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#repeat-password", NEW_PASSWORD)
    page.fill("#reset-code", pyotp.TOTP(secret).at(site.clock.now()))
    page.click("#reset-save")
    page.wait_for_url(f"{site.base_url}/console/login?m=reset")
    found["done"] = english_words(page.evaluate(VISIBLE_TEXT))
    site.clock.advance(timedelta(seconds=31))
    page.fill("#name", name)
    page.fill("#password", NEW_PASSWORD)
    page.fill("#totp", pyotp.TOTP(secret).at(site.clock.now()))
    page.click("#login")
    page.wait_for_url(f"{site.base_url}/console/")
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
