"""One place explains the masking model (issue 11, item 19): docs/masking.md is generated from the
catalog by scripts/masking-doc, and this test keeps it true."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from piguard.access.visibility import reach
from piguard.catalog import load_catalog, profile_path

ROOT = Path(__file__).resolve().parents[2]


def test_masking_doc_matches_the_demo_catalog() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "masking-doc"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_readme_links_the_masking_model() -> None:
    assert "docs/masking.md" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.req("R-USE-1", "R-USE-2", "R-USE-4")
def test_reach_says_what_each_role_sees_and_whom_to_ask() -> None:
    roles = {r.role: r for r in reach(load_catalog(profile_path("default")))}
    finance = {f.field: f for f in roles["finance"].fields}
    assert finance["bank_account.account_no"].kind == "grant"
    assert finance["bank_account.account_no"].ask == ("officer",)  # who approves
    assert finance["order.amount"].kind == "step_up"
    cs = {f.field: f for f in roles["customer_service"].fields}
    assert (cs["customer.mobile"].kind, cs["customer.mobile"].mask) == ("masked", "mobile")
    assert cs["bank_account.account_no"].kind == "deny"
    assert cs["customer.membership_level"].kind == "clear"
    # A grant cannot help: who sees it in clear (the sharing officer desensitises it for partners).
    assert cs["customer.name"].ask == ("front_desk", "sharing_officer")
    assert all(f.kind == "deny" for f in roles["admin"].fields)
    assert "system" not in roles and "notifier" not in roles  # built-in roles are nobody to ask
