"""The console links each record type's import template (issue 11 §15), in the staff's language."""

from __future__ import annotations

from tests.web.conftest import Site
from tests.web.test_security import client


def test_console_home_links_import_templates_for_staff_who_write(site: Site) -> None:
    c = client(site, "customer_service")
    home = c.get("/console/")
    assert home.status_code == 200 and 'href="/console/import-template/customer"' in home.text
    zh = c.get("/console/import-template/customer")
    assert zh.status_code == 200 and zh.headers["content-type"].startswith("text/csv")
    assert zh.content.decode("utf-8").startswith("\ufeff姓名,")
    c.get("/console/lang/en")
    en = c.get("/console/import-template/customer")
    assert en.content.decode("utf-8").startswith("\ufeffName,")
    assert c.get("/console/import-template/no_such_type").status_code == 404


def test_console_import_template_is_not_offered_to_roles_that_cannot_write(site: Site) -> None:
    c = client(site, "auditor")
    assert "import-template" not in c.get("/console/").text
    assert c.get("/console/import-template/customer").status_code == 403
