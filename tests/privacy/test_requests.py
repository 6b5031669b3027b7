"""Requests and complaints in the privacy centre: filed, followed and their outcome read, in the
customer's language (R-RGT-1, R-RGT-3, R-RGT-4, NDSMR 20)."""

from __future__ import annotations

import re

import pytest

from piguard.rights import Rights
from tests.privacy.test_browser import staff
from tests.privacy.test_pages import _csrf, sign_in
from tests.web.conftest import Site
from tests.web.test_language import english_words


def _visible(html: str) -> str:
    """The page's text without tags, data values and the language switch (a rough ``innerText``)."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<[^>]*data-value[^>]*>.*?</span>", " ", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", main.split(">", 1)[1])


@pytest.mark.req("R-RGT-1", "R-RGT-3")
def test_a_complaint_is_filed_and_followed(site: Site) -> None:
    """R-RGT-1 (NDSMR 20): a complaint is filed like any request, listed with its status and due
    date, and its page shows type, status and the timeline, named in Chinese."""
    c = sign_in(site)
    token = _csrf(c.get("/privacy/requests").text)
    r = c.post("/privacy/requests", data={"csrf": token, "type": "complaint"})
    assert r.status_code == 200 and 'data-type="complaint"' in r.text
    case_id = re.search(r"/privacy/requests/(req_[0-9a-f]+)", r.text)
    assert case_id
    page = c.get(f"/privacy/requests/{case_id.group(1)}")
    assert page.status_code == 200
    assert '<dd class="type">投诉</dd>' in page.text and '<dd class="status">已收到</dd>' in page.text
    assert 'data-event="opened"' in page.text
    assert english_words(_visible(page.text)) == []


@pytest.mark.req("R-RGT-4")
def test_a_refusal_is_read_with_its_reason_and_remedy(site: Site) -> None:
    """R-RGT-4 (PIPL 50): a refused request shows its outcome, the reason the officer gave and the
    remedy; never which member of staff acted."""
    c = sign_in(site)
    token = _csrf(c.get("/privacy/requests").text)
    c.post("/privacy/requests", data={"csrf": token, "type": "deletion"})
    officer = staff(site, "officer")
    rights = site.inst.capability(Rights)
    [case] = rights.find(officer, customer_id=site.customer_id)
    rights.refuse(officer, case.id, reason="账户尚有未结清的贷款，依法须保留")
    page = c.get(f"/privacy/requests/{case.id}").text
    assert '<dd class="outcome">已拒绝</dd>' in page
    assert "账户尚有未结清的贷款，依法须保留" in page and 'class="remedy"' in page
    assert officer.actor.id not in page and officer.actor.name not in page
    english = c.get(f"/privacy/requests/{case.id}", headers={"accept-language": "en"})
    assert "refused" in english.text and "deletion" in english.text
