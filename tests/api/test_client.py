"""The Python SDK against the real app: records, search, grants, errors as piguard.errors types."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.access.conftest import ADULT
from tests.web.conftest import Site, build_site

from piguard import errors
from piguard.api.app import create_app
from piguard.api.hardening import Limits
from piguard.client import Client, RetryLater


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(tmp_path)
    try:
        yield built
    finally:
        built.inst.close()


@pytest.fixture
def pg(site: Site) -> Iterator[Client]:
    with Client("http://testserver", http=TestClient(site.app)) as client:
        yield client


def test_staff_login_read_masked_search_and_grants(site: Site, pg: Client) -> None:
    name, password, code = site.creds("finance")
    pg.login(name, password, code)
    assert pg.whoami()["role"] == "finance"
    record = pg.read("bank_account", site.account_id, purpose="service")
    assert record.levels["account_no"] == "masked" and record.fields["account_no"] == "************1111"
    assert [r.customer_id for r in pg.search("name", ADULT["name"], purpose="service")] == [site.customer_id]
    grant = pg.request_grant(
        purpose="service", reason="KYC", customer_id=site.customer_id, fields=["bank_account.account_no"]
    )
    officer = Client("http://testserver", http=TestClient(site.app))
    officer.login(*site.creds("officer"))
    officer.decide_grant(grant["id"], approve=True)
    assert (
        pg.read("bank_account", site.account_id, purpose="service").fields["account_no"] == "6222020000001111"
    )
    with pytest.raises(errors.AccessDenied):
        pg.read("customer", site.customer_id, purpose="marketing")
    with pytest.raises(errors.NotFound):
        officer.decide_grant("grt_nope", approve=True)
    pg.logout()
    with pytest.raises(errors.AuthenticationFailed):
        pg.whoami()


def test_api_key_client_and_errors(site: Site) -> None:
    anonymous = Client("http://testserver", http=TestClient(site.app))
    with pytest.raises(errors.AuthenticationFailed):
        anonymous.key_status()
    with pytest.raises(errors.AuthenticationFailed):
        anonymous.login("demo_finance", "wrong", "000000")
    admin = Client("http://testserver", http=TestClient(site.app))
    admin.login(*site.creds("admin"))
    key = admin.add_client("crm", "customer_service")["api_key"]
    # A client of a role that sees data in clear needs a second person (separation of duties).
    officer = Client("http://testserver", http=TestClient(site.app))
    officer.login(*site.creds("officer"))
    officer.approve_user("crm")
    crm = Client("http://testserver", api_key=key, http=TestClient(site.app))
    ref = crm.create("customer", {"name": "李雷", "mobile": "13900001111"}, purpose="service")
    assert (
        crm.read("customer", ref.id, purpose="service", fields=["mobile"]).fields["mobile"] == "139****1111"
    )
    with pytest.raises(errors.ValidationError) as bad:
        crm.create("customer", {"name": "李雷", "mobile": "12345"}, purpose="service")
    assert bad.value.field == "mobile" and "12345" not in str(bad.value)
    admin.revoke_client("crm")
    with pytest.raises(errors.AuthenticationFailed):
        crm.search("mobile", "13900001111", purpose="service")


def test_rate_limit_becomes_retry_later(site: Site) -> None:
    app = create_app(site.inst, limits=Limits(rate_per_second=0.01, burst=1))
    pg = Client("http://testserver", http=TestClient(app))
    pg.login(*site.creds("auditor"))
    pg.read("customer", site.customer_id, purpose="security_audit")  # the burst of one
    with pytest.raises(RetryLater) as caught:
        pg.read("customer", site.customer_id, purpose="security_audit")
    assert caught.value.retry_after >= 1 and isinstance(caught.value, errors.QuotaExceeded)


@pytest.mark.req("R-USE-1")
def test_sdk_reset_user_ends_the_users_session_and_refuses_self_reset_r_use_1(site: Site) -> None:
    admin = Client("http://testserver", http=TestClient(site.app))
    admin.login(*site.creds("admin"))
    finance = Client("http://testserver", http=TestClient(site.app))
    finance.login(*site.creds("finance"))
    with pytest.raises(errors.AccessDenied):
        finance.reset_user(site.staff["admin"]["name"])
    with pytest.raises(errors.AccessDenied, match="your own credentials"):
        admin.reset_user(site.staff["admin"]["name"])
    out = admin.reset_user(site.staff["finance"]["name"])
    assert out["status"] == "reset" and out["one_time_password"]
    with pytest.raises(errors.AuthenticationFailed, match="account reset"):
        finance.whoami()


@pytest.mark.req("R-USE-4")
def test_match_through_the_sdk_answers_yes_or_no(site: Site, pg: Client) -> None:
    """Issue 11, item 17: the SDK's match check, a refusal typed as AccessDenied."""
    pg.login(*site.creds("customer_service"))
    assert pg.match(site.customer_id, "mobile", "+86 138 0013 8000", purpose="service") is True
    assert pg.match(site.customer_id, "mobile", "13800138001", purpose="service") is False
    with pytest.raises(errors.AccessDenied):
        pg.match(site.customer_id, "bank_card", ADULT["bank_card"], purpose="service")
