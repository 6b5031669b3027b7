"""Issue 11 item 18: the console speaks the user's language, and its oversight pages are usable.

The browser test reads every console page in Chinese in headless Chromium and flags each
ASCII word of visible text that is neither a data value (``<code>``, ``[data-value]``) nor
an allowed token (units, acronyms, the product's name). The other tests drive the pages
through the real app (TestClient) over a real SQLite installation.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from piguard.audit import AlertDraft
from piguard.catalog.vocabulary import BUILTIN_ROLES
from piguard.consent.capability import OPERATIONS as CONSENT_OPERATIONS
from piguard.gate.record_operations import OPERATIONS as RECORD_OPERATIONS
from piguard.gate.trail import OPERATIONS as TRAIL_OPERATIONS
from piguard.outbox import Outbox
from piguard.rights import OPERATIONS as RIGHTS
from piguard.web import i18n
from tests.web.conftest import BOOT, Site, csrf
from tests.web.test_browser import ARGS, CHROMIUM
from tests.web.test_browser import login as browser_login
from tests.web.test_security import client

#: ASCII words a Chinese page may show outside data values: units, acronyms, the product.
ALLOWED = {"piguard", "UTC", "API", "TOTP", "CSV", "JSON", "Lines", "URI", "ID", "English"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

#: Visible text of the page without data values: ids and values are marked up as such.
VISIBLE_TEXT = """() => {
  const root = document.body.cloneNode(true);
  root.querySelectorAll('code, [data-value], script, style, svg title').forEach(n => n.remove());
  const options = [...document.querySelectorAll('select option')].map(o => o.textContent);
  const holders = [...document.querySelectorAll('input[placeholder]')].map(i => i.placeholder);
  return [root.innerText, document.title, ...options, ...holders].join('\\n');
}"""


def english_words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w not in ALLOWED]


def test_english_word_checker_flags_ui_words_and_spares_allowed_tokens() -> None:
    assert english_words("审计日志 2026-03-02 10:00 北京时间 (UTC+8) TOTP CSV piguard") == []
    assert english_words("角色 finance may not read") == ["finance", "may", "not", "read"]
    assert english_words("状态 OK") == ["OK"]


def test_time_is_beijing_time_with_the_zone() -> None:
    assert i18n.when("2026-12-02T13:40:00.000000Z", "zh") == "2026-12-02 21:40 北京时间"
    assert i18n.when("2026-12-02T13:40:00+00:00", "en") == "2026-12-02 21:40 (UTC+8)"
    assert i18n.when(None, "zh") == "—"


def test_every_gate_operation_has_a_chinese_name() -> None:
    # The audit viewer names each entry's action; an operation without a name shows its code.
    missing = [
        op.name
        for op in (*RECORD_OPERATIONS, *TRAIL_OPERATIONS, *CONSENT_OPERATIONS, *Outbox.operations, *RIGHTS)
        if not i18n.has_term("audit_action", op.name)
    ]
    assert missing == []


def test_refusal_is_said_in_chinese_from_its_message_code(site: Site) -> None:
    c = client(site, "customer_service")
    page = c.get("/console/audit")
    assert page.status_code == 403
    assert "角色「客服」无权打开此页面。" in page.text
    assert "may not" not in page.text
    c.cookies.set("pg_lang", "en", path="/console")
    assert "may not open this page" in c.get("/console/audit").text


def test_gate_refusal_on_a_record_page_is_said_in_chinese(site: Site) -> None:
    # customer_service may not act for aml_kyc: the gate's refusal carries key role_purpose.
    c = client(site, "customer_service")
    page = c.get(
        f"/console/customers/{site.customer_id}/records/bank_account/{site.account_id}?purpose=aml_kyc"
    )
    assert page.status_code == 403
    assert "may not" not in page.text and "role '" not in page.text
    assert "客服" in page.text


def test_console_404_is_a_page_not_json(site: Site) -> None:
    c = client(site, "officer")
    page = c.get("/console/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "页面不存在。" in page.text and "Not Found" not in page.text
    # The API keeps its problem documents.
    assert c.get("/v1/no/such/route").headers["content-type"].startswith("application/")


def _walk(site: Site) -> Any:
    """An officer who read the customer twice and had one read refused; returns the client."""
    c = client(site, "officer")
    c.get(f"/console/customers/{site.customer_id}?purpose=service")
    c.get(f"/console/customers/{site.customer_id}?purpose=service")
    client(site, "customer_service").get(
        f"/console/customers/{site.customer_id}/records/bank_account/{site.account_id}?purpose=aml_kyc"
    )
    return c


@pytest.mark.req("R-AUD-1")
def test_audit_viewer_lists_newest_first_with_customer_and_staff_names(site: Site) -> None:
    c = _walk(site)
    page = c.get(f"/console/audit?customer_id={site.customer_id}")
    assert page.status_code == 200
    seqs = [int(s) for s in re.findall(r'data-seq="(\d+)"', page.text)]
    assert len(seqs) >= 3 and seqs == sorted(seqs, reverse=True)
    # The customer column names the customer asked for (the trail holds keyed refs only).
    assert page.text.count(f'<td class="customer"><code>{site.customer_id}</code>') == len(seqs)
    # Staff by name, not by principal id.
    officer = site.staff["officer"]
    assert f"<span data-value>{officer['name']}</span>" in page.text
    assert site.inst.access.principal(officer["name"])["id"] not in re.sub(r'href="[^"]*"', "", page.text)


@pytest.mark.req("R-AUD-1")
def test_audit_viewer_filters_by_outcome_and_action(site: Site) -> None:
    c = _walk(site)
    refused = c.get("/console/audit?outcome=deny")
    assert refused.status_code == 200
    decisions = re.findall(r'<span class="badge (deny|clear)">', refused.text)
    assert decisions and set(decisions) == {"deny"}
    reads = c.get("/console/audit?action=read")
    actions = set(re.findall(r'data-action="([a-z_]+)"', reads.text))
    assert actions == {"read"}


@pytest.mark.req("R-AUD-1")
def test_audit_export_is_the_filtered_view_through_audit_export_and_is_audited(site: Site) -> None:
    c = _walk(site)
    log = site.inst.audit
    before = len(log.query(action="audit_export", limit=1000))
    response = c.get(f"/console/audit/export?format=csv&customer_id={site.customer_id}&action=read")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows and {r["action"] for r in rows} == {"read"}
    assert [int(r["seq"]) for r in rows] == sorted((int(r["seq"]) for r in rows), reverse=True)
    assert site.staff["officer"]["name"] in {r["actor_name"] for r in rows}
    exports = log.query(action="audit_export", limit=1000)
    assert len(exports) == before + 1 and exports[-1].detail.get("entries") == len(rows)
    lines = c.get("/console/audit/export?format=jsonl&outcome=deny").text.splitlines()
    assert lines and all(json.loads(line)["decision"] == "deny" for line in lines)
    # Without the audit action, no export: refused and recorded like any refusal.
    assert client(site, "finance").get("/console/audit/export").status_code == 403


def test_alert_links_to_its_evidence_in_the_audit_viewer(site: Site) -> None:
    c = _walk(site)
    entries = site.inst.audit.query(limit=1000)
    first, last = entries[1].seq, entries[3].seq
    site.inst.audit._raise_alert(  # the monitoring rules' own entry point; a synthetic alert
        AlertDraft(
            "mass_access",
            "high",
            site.inst.access.principal(site.staff["officer"]["name"])["id"],
            "x",
            first,
            last,
            detail={"customers": 7},
        )
    )
    page = c.get("/console/alerts")
    link = re.search(r'class="evidence" href="([^"]+)"', page.text)
    assert link is not None
    assert "短时间内访问了 7 位不同客户" in page.text and "大量访问客户" in page.text
    evidence = c.get(link.group(1).replace("&amp;", "&"))
    seqs = [int(s) for s in re.findall(r'data-seq="(\d+)"', evidence.text)]
    assert seqs == list(range(last, first - 1, -1))


def test_add_user_and_add_client_forms_default_to_the_least_privileged_role(site: Site) -> None:
    c = client(site, "admin")
    least = site.app.state.console.least_privileged_role(
        sorted(r for r in site.inst.catalog.roles if r not in BUILTIN_ROLES)
    )
    role = site.inst.catalog.roles[least]
    assert not role.actions & {"administer", "approve", "audit", "export", "erase"}
    for path, select in (("/console/admin/users", "user-role"), ("/console/admin/clients", "client-role")):
        page = c.get(path).text
        block = page[page.index(f'id="{select}"') :]
        block = block[: block.index("</select>")]
        assert re.findall(r'<option value="([a-z_]+)" selected>', block) == [least], path


def test_api_key_expiry_is_shown(site: Site) -> None:
    c = client(site, "admin")
    token = csrf(c.get("/console/admin/clients").text)
    c.post("/console/admin/clients", data={"csrf": token, "name": "crm", "role": "auditor", "days": "30"})
    page = c.get("/console/admin/clients").text
    row = page[page.index('data-client="crm"') :]
    row = row[: row.index("</tr>")]
    listed = site.inst.access.list_principals(BOOT, "client")
    expected = next(p for p in listed if p["name"] == "crm")["key_expires_at"]
    assert expected and i18n.when(expected, "zh") in row
    assert "2026-04-01" in row  # START (2026-03-02) + 30 days, Beijing time


@pytest.mark.req("R-USE-4")
def test_empty_and_hidden_values_have_distinct_marks(site: Site) -> None:
    # Finance reads the customer under aml_kyc: some fields are refused (hidden), none shown as "—".
    c = client(site, "finance")
    page = c.get(f"/console/customers/{site.customer_id}?purpose=aml_kyc").text
    hidden = re.findall(r'data-level="deny">.*?<td class="value">(.*?)</td>', page, re.S)
    assert hidden and all("hidden-mark" in cell and "［已隐藏］" in cell for cell in hidden)
    assert all("—" not in cell for cell in hidden)


# ---------------------------------------------------------------------------------- browser


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
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_zh_console_pages_show_no_english_ui_strings(browser: Any, served: Site) -> None:
    site = served
    site.inst.audit._raise_alert(
        AlertDraft(
            "failed_logins",
            "medium",
            site.inst.access.principal(site.staff["finance"]["name"])["id"],
            "5 failed logins",
            1,
            2,
            detail={"count": 5},
        )
    )
    cid, acc = site.customer_id, site.account_id
    visits = {
        "officer": [
            "/console/",
            "/console/search",
            f"/console/customers/{cid}?purpose=service",
            f"/console/customers/{cid}/records/bank_account/{acc}?purpose=aml_kyc",
            "/console/approvals",
            "/console/audit",
            f"/console/audit?customer_id={cid}&outcome=allow",
            "/console/alerts",
            "/console/admin/roles",
            "/console/admin/training",
            "/console/no/such/page",
        ],
        "admin": [
            "/console/",
            "/console/admin/users",
            "/console/admin/clients",
            "/console/dashboard",
            "/console/admin/jobs",
        ],
        "finance": [
            f"/console/customers/{cid}?purpose=aml_kyc",
            f"/console/customers/{cid}/records/bank_account/{acc}?purpose=aml_kyc",
            "/console/audit",  # refused: the role may not audit
        ],
    }
    found: dict[str, list[str]] = {}
    for role, paths in visits.items():
        page = browser_login(browser, site, role)
        for path in paths:
            page.goto(site.base_url + path)
            assert page.locator("html").get_attribute("lang") == "zh-CN"
            words = english_words(page.evaluate(VISIBLE_TEXT))
            if words:
                found[f"{role} {path}"] = sorted(set(words))
        page.context.close()
    assert found == {}
