"""The sharing page ends agreements and makes anonymised extracts (issue 15): the console's forms for
``Sharing.end_agreement`` (R-DST-5: an entrustment ends with the return-or-delete outcome and the
evidence's hash, computed from the uploaded file, which is not kept) and ``Sharing.extract``
(R-STO-4: k, and l on a sensitive attribute, reached or refused), each a gate operation."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import zipfile
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from httpx import Client, Response

from piguard.consent import shipped_notice
from piguard.consent.capability import Consent
from piguard.errors import AccessDenied
from piguard.gate import RequestContext
from piguard.sharing import Sharing
from piguard.sharing.capability import DIRECT_IDENTIFIERS
from tests.access.conftest import SETUP
from tests.sharing.conftest import DOC, USCC, adult
from tests.web.conftest import BOOT, Site, csrf
from tests.web.test_security import client
from tests.web.test_sharing_page import _flashed_error, _officer, _page
from tests.web.test_sharing_requests import _agreement

LEVELS = ("standard", "silver", "gold", "platinum")


def _entrustment(site: Site, officer: RequestContext) -> str:
    """An entrusted processor and an entrustment agreement with it (active from today)."""
    sharing = site.inst.capability(Sharing)
    today = site.inst.gate.today()
    partner = sharing.add_partner(
        officer,
        name="云算数据处理有限公司",
        uscc_code=USCC,
        contact="dpo@yunsuan.example",
        country="CN",
        role="entrusted",
        security_basis="ISO/IEC 27701",
        assessed_on=today - timedelta(days=10),
        assessment_expires=today + timedelta(days=300),
        assessor="CNAS",
    )
    return sharing.add_agreement(
        officer,
        partner_id=partner.id,
        type="entrustment",
        purpose="entrusted_processing",
        fields={"mobile": "mask"},
        method="SFTP",
        safeguards="encrypted",
        starts_on=today,
        ends_on=today + timedelta(days=90),
        document_sha256=DOC,
    ).id


def _end(c: Client, agreement_id: str, data: dict[str, str], evidence: tuple[str, bytes] | None) -> Response:
    """The end form as a browser posts it: multipart, with the file part empty when none is chosen."""
    name, content = evidence if evidence is not None else ("", b"")
    return c.post(
        f"/console/sharing/agreements/{agreement_id}/end",
        data={"csrf": csrf(_page(c)), **data},
        files={"evidence": (name, content, "application/pdf")},
    )


def _state(site: Site, officer: RequestContext, agreement_id: str) -> str:
    return site.inst.capability(Sharing).agreements(officer, agreement_id)[0].state


@pytest.mark.req("R-DST-5")
def test_ending_an_entrustment_without_its_evidence_is_refused_and_leaves_it_active(site: Site) -> None:
    """R-DST-5: an entrustment ends only with whether the processor returned or deleted the data
    and the evidence: without the outcome, without a file or hash, with an empty file or a pasted
    hash that is not the file's, the page says why and the agreement stays active."""
    officer = _officer(site)
    agreement_id = _entrustment(site, officer)
    site.clock.advance(timedelta(seconds=31))
    c = client(site, "officer")
    page = _page(c)
    assert f'action="/console/sharing/agreements/{agreement_id}/end"' in page
    assert 'enctype="multipart/form-data"' in page
    # An entrustment's form offers no "not applicable" outcome.
    assert "不适用（非委托处理）" not in page

    no_outcome = _end(c, agreement_id, {"outcome": ""}, None)
    assert "returned or deleted the data" in _flashed_error(no_outcome.text)
    assert "R-DST-5" in _flashed_error(no_outcome.text)
    no_evidence = _end(c, agreement_id, {"outcome": "deleted", "evidence_sha256": ""}, None)
    assert _flashed_error(no_evidence.text) == "evidence_sha256: a SHA-256 digest in hex"
    empty = _end(c, agreement_id, {"outcome": "deleted"}, ("删除证明.pdf", b""))
    assert _flashed_error(empty.text) == "evidence: the evidence file is empty"
    mismatch = _end(
        c, agreement_id, {"outcome": "deleted", "evidence_sha256": "ab" * 32}, ("证明.pdf", b"%PDF")
    )
    assert "not the uploaded file's" in _flashed_error(mismatch.text)

    assert _state(site, officer, agreement_id) == "active"
    assert site.inst.audit.query(action="agreement_end", decision="allow", limit=10) == []
    assert f'action="/console/sharing/agreements/{agreement_id}/end"' in mismatch.text


@pytest.mark.req("R-DST-5")
def test_the_uploaded_evidence_files_sha256_is_recorded_and_the_file_is_not_kept(
    site: Site, tmp_path: Path
) -> None:
    """R-DST-5: the recorded evidence hash is the SHA-256 of the uploaded bytes; the page shows the
    end date, the outcome and the hash, offers no end form any more, and the file's bytes are
    nowhere under the installation's home (its database included)."""
    sharing, officer = site.inst.capability(Sharing), _officer(site)
    agreement_id = _entrustment(site, officer)
    evidence = b"%PDF-1.7\n" + b"deletion certificate " + secrets.token_hex(24).encode() + b"\n%%EOF\n"
    site.clock.advance(timedelta(seconds=31))
    c = client(site, "officer")
    done = _end(c, agreement_id, {"outcome": "deleted", "evidence_sha256": ""}, ("删除证明.pdf", evidence))
    assert "协议已终止" in done.text

    [ended] = sharing.agreements(officer, agreement_id)
    assert ended.state == "ended" and ended.end_outcome == "deleted"
    assert ended.end_evidence_sha256 == hashlib.sha256(evidence).hexdigest()
    assert ended.ended_at is not None
    row = done.text.split(f'data-agreement="{agreement_id}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-state="ended"' in row and "已终止" in row and "终止于 2026-03-02" in row
    assert 'data-outcome="deleted"' in row and "已删除" in row
    assert f"<code data-evidence>{hashlib.sha256(evidence).hexdigest()}</code>" in row
    assert "/end" not in row and "/suspend" not in row
    [entry] = site.inst.audit.query(action="agreement_end", limit=10)
    assert entry.decision == "allow" and entry.detail["agreement"] == agreement_id

    marker = evidence.split(b"\n")[1]
    kept = [p for p in tmp_path.rglob("*") if p.is_file() and marker in p.read_bytes()]
    assert kept == []

    again = _end(c, agreement_id, {"outcome": "deleted"}, ("删除证明.pdf", evidence))
    assert _flashed_error(again.text) == "the agreement has ended already"
    c.get("/console/lang/en")
    en = _page(c)
    assert "Ended 2026-03-02" in en and "deleted" in en and "Evidence hash" in en


@pytest.mark.req("R-SHR-1")
@pytest.mark.req("R-DST-5")
def test_a_share_under_an_agreement_ended_on_the_page_is_refused(site: Site) -> None:
    """R-SHR-1: an approved share downloads while its agreement is active; once the officer ends
    the agreement on the page (a provision: the outcome and a pasted hash, no file chosen), the next
    approved share's download is refused with the reason and nothing more is logged."""
    agreement_id, officer = _agreement(site)
    sharing = site.inst.capability(Sharing)
    site.clock.advance(timedelta(seconds=31))
    name, password, code = site.creds("sharing_officer")
    sharer = RequestContext(
        site.inst.access.authenticate(site.inst.access.login(name, password, code).token), "", client="test"
    )
    first, second = (
        sharing.request_share(sharer, agreement_id, fields=["mobile"], customers=[site.customer_id])["id"]
        for _ in range(2)
    )
    for request_id in (first, second):
        sharing.decide_share(officer, request_id, approve=True)

    site.clock.advance(timedelta(seconds=31))
    requester = client(site, "sharing_officer")
    got = requester.post(f"/console/sharing/requests/{first}/download", data={"csrf": csrf(_page(requester))})
    assert got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        assert any(n.endswith(".csv") for n in archive.namelist())
    assert len(sharing.transfers(officer)) == 1

    site.clock.advance(timedelta(seconds=31))
    c = client(site, "officer")
    page = _page(c)
    assert "不适用（非委托处理）" in page  # a provision may end without an outcome
    done = _end(c, agreement_id, {"outcome": "returned", "evidence_sha256": "CD" * 32}, None)
    assert "协议已终止" in done.text
    [ended] = sharing.agreements(officer, agreement_id)
    assert (ended.state, ended.end_outcome, ended.end_evidence_sha256) == ("ended", "returned", "cd" * 32)

    refused = requester.post(
        f"/console/sharing/requests/{second}/download", data={"csrf": csrf(_page(requester))}
    )
    assert refused.headers["content-type"].startswith("text/html")
    assert _flashed_error(refused.text) == "the agreement is ended: no transfer under it (R-SHR-1)"
    assert len(sharing.transfers(officer)) == 1
    with pytest.raises(AccessDenied, match="the agreement is ended"):
        sharing.share(sharer, agreement_id, fields=["mobile"], customers=[site.customer_id])


# ---------------------------------------------------------------------- anonymised extracts


def _population(site: Site, n: int) -> list[str]:
    """``n`` distinct adults who consented to analytics (and the site's own customer, who did not)."""
    consent = site.inst.capability(Consent)
    setup = RequestContext(SETUP, "", client="test")
    if not consent.notices(setup):
        _, zh, en = shipped_notice("privacy")
        consent.publish_notice(setup, zh, en, title="Privacy notice")
    ids = []
    for i in range(n):
        born = date(1960 + (i * 7) % 40, 1 + i % 12, 1 + i % 27)
        values = adult(i, birth_date=born.isoformat(), gender="MF"[i % 2], membership_level=LEVELS[i % 4])
        cid = site.inst.service.create(RequestContext(BOOT, "service", client="test"), "customer", values)
        consent.grant(setup, cid.customer_id, ["analytics"], channel="app", kinds=["general"])
        ids.append(cid.customer_id)
    return ids


def _extract(c: Client, **over: str) -> Response:
    form = {
        "purpose": "analytics",
        "fields": "gender, birth_date，membership_level",
        "quasi": "gender,birth_date",
        "k": "5",
        "sensitive": "membership_level",
        "l": "2",
        "format": "csv",
    }
    form.update(over)
    return c.post("/console/sharing/extracts", data={"csrf": csrf(_page(c)), **form})


@pytest.mark.req("R-STO-4")
def test_an_extract_download_meets_k_and_l_recomputed_here_and_has_no_direct_identifier(site: Site) -> None:
    """R-STO-4: the downloaded file's every quasi-identifier group has at least k rows and l
    distinct sensitive values (recomputed here), it has exactly the fields asked for and no
    direct identifier column or value; the transfer log records it. Naming a direct identifier
    is refused with the reason and downloads nothing."""
    sharing, officer = site.inst.capability(Sharing), _officer(site)
    _population(site, 40)
    site.clock.advance(timedelta(seconds=31))
    c = client(site, "sharing_officer")
    page = _page(c)
    assert 'id="extract"' in page and 'value="analytics" selected' in page
    assert "<code>birth_date</code>" in page and "<code>mobile</code>" not in page.split('id="extract"')[1]

    got = _extract(c)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["content-disposition"].startswith('attachment; filename="ext_')
    text = got.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and set(rows[0]) == {"gender", "birth_date", "membership_level"}
    catalog = site.inst.catalog.record_types["customer"].fields
    assert not [f for f in rows[0] if catalog[f].type in DIRECT_IDENTIFIERS or catalog[f].searchable]
    groups = Counter((r["gender"], r["birth_date"]) for r in rows)
    diverse: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        diverse[(r["gender"], r["birth_date"])].add(r["membership_level"])
    assert min(groups.values()) >= 5 and min(len(v) for v in diverse.values()) >= 2
    assert "1390000" not in text and "@example.com" not in text and "欧阳" not in text
    assert "1990" not in text  # birth dates leave generalised, never as the day

    [log] = sharing.transfers(officer)
    assert log["kind"] == "extract" and log["persons"] == len(rows) and log["purpose"] == "analytics"
    assert log["content_sha256"] == hashlib.sha256(got.content).hexdigest()
    [entry] = site.inst.audit.query(action="extract", limit=10)
    assert entry.decision == "allow" and entry.detail["k"] == min(groups.values())

    lines = _extract(c, format="jsonl")
    assert lines.headers["content-disposition"].endswith('.jsonl"')
    assert all(
        set(json.loads(x)) == {"gender", "birth_date", "membership_level"} for x in lines.text.splitlines()
    )

    direct = _extract(c, fields="mobile,gender", quasi="gender", sensitive="", l="")
    assert direct.headers["content-type"].startswith("text/html")
    assert _flashed_error(direct.text) == "mobile: a direct identifier never appears in an anonymised extract"
    assert len(sharing.transfers(officer)) == 2


@pytest.mark.req("R-STO-4")
def test_an_unreachable_k_shows_the_reason_and_downloads_nothing(site: Site) -> None:
    """R-STO-4: a k the population cannot reach is refused: the page says so, no file is sent and
    nothing is logged as an extract; a k that is not a number is refused before any read."""
    sharing, officer = site.inst.capability(Sharing), _officer(site)
    _population(site, 8)
    site.clock.advance(timedelta(seconds=31))
    c = client(site, "sharing_officer")
    refused = _extract(c, k="20", sensitive="", l="")
    assert refused.status_code == 200 and refused.headers["content-type"].startswith("text/html")
    assert "content-disposition" not in refused.headers
    reason = _flashed_error(refused.text)
    assert reason.startswith("k: k=20 cannot be reached") and "suppressed" in reason
    assert sharing.transfers(officer) == []
    assert site.inst.audit.query(action="extract", decision="allow", limit=10) == []

    read = len(site.inst.audit.query(action="extract_row", limit=1000))
    assert read == 9  # the target was measured on everyone read: 8 consented, 1 left out
    assert _flashed_error(_extract(c, k="五").text) == "k: a whole number from 2 to 1000"
    assert _flashed_error(_extract(c, l="1").text) == "l: a whole number from 2 to 100"
    assert len(site.inst.audit.query(action="extract_row", limit=1000)) == read


@pytest.mark.req("R-DST-5")
@pytest.mark.req("R-STO-4")
@pytest.mark.parametrize("role", ["auditor", "sharing_officer", "officer", "customer_service"])
def test_a_role_without_the_operations_action_gets_403(site: Site, role: str) -> None:
    """Ending needs agreement_end's action (approve), an extract needs extract's (export), as the
    API's routes: a post from a role without it is 403 and changes nothing; the page shows a role
    only the forms it may use."""
    officer = _officer(site)
    agreement_id = _entrustment(site, officer)
    _population(site, 8)
    site.clock.advance(timedelta(seconds=31))
    c = client(site, role)
    token = csrf(c.get("/console/").text)
    end = c.post(
        f"/console/sharing/agreements/{agreement_id}/end",
        data={"csrf": token, "outcome": "deleted"},
        files={"evidence": ("删除证明.pdf", b"%PDF-1.7 evidence", "application/pdf")},
    )
    extract = c.post(
        "/console/sharing/extracts",
        data={"csrf": token, "purpose": "analytics", "fields": "gender", "quasi": "gender", "k": "2"},
    )
    assert end.status_code == (200 if role == "officer" else 403)
    assert extract.status_code == (200 if role == "sharing_officer" else 403)
    if role != "officer":
        assert _state(site, officer, agreement_id) == "active"
    if role != "sharing_officer":
        assert site.inst.audit.query(action="extract", limit=10) == []
        assert site.inst.audit.query(action="extract_row", limit=10) == []
    if role in ("auditor", "sharing_officer"):
        text = _page(c)
        assert f"/sharing/agreements/{agreement_id}/end" not in text
        assert ('id="extract"' in text) == (role == "sharing_officer")
