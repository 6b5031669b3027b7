"""Public disclosure (issue 15 item 8, R-SHR-8): only with each customer's separate consent for
public disclosure, a current impact assessment for the purpose (R-SHR-3), desensitised and logged
(R-SHR-4)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from piguard.errors import AccessDenied, ValidationError
from tests.access.conftest import TODAY, World
from tests.sharing.conftest import adult, consented, officer, purpose_assessment, sharer, sharing

RULES: dict[str, Any] = {"name": "mask", "address": {"rule": "generalise", "params": {"to": "city"}}}


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


@pytest.mark.req("R-SHR-8")
def test_only_customers_with_separate_consent_for_public_disclosure_are_disclosed(world: World) -> None:
    """R-SHR-8: a customer with general consent to the purpose but no separate public-disclosure
    consent, or with provision consent only, is left out and counted; the one who consented
    separately is disclosed, desensitised by the declared rules."""
    purpose_assessment(world, "public_disclosure")
    yes = consented(world, "public_disclosure", adult(1), kinds=("general", "public_disclosure"))
    general_only = consented(world, "public_disclosure", adult(2), kinds=("general",))
    provision_only = consented(world, values=adult(3))
    result = sharing(world).disclose(
        sharer(world),
        purpose="public_disclosure",
        fields=RULES,
        medium="官网中奖名单公示",
        customers=[yes, general_only, provision_only],
    )
    assert result.persons == 1
    assert result.left_out == {"no_consent": 2}
    [row] = _rows(result.content)
    assert row["name"] != adult(1)["name"] and row["name"].startswith(adult(1)["name"][0])
    assert row["address"] and row["address"] in adult(1)["address"]
    assert result.manifest["kind"] == "disclosure" and result.manifest["medium"] == "官网中奖名单公示"
    audited = world.inst.audit.query(action="disclose_row", limit=10)
    assert sorted(e.decision for e in audited) == ["allow", "deny", "deny"]


@pytest.mark.req("R-SHR-8")
def test_a_purpose_without_the_separate_consent_kind_discloses_nothing(world: World) -> None:
    """R-SHR-8: the purpose itself must require the public-disclosure consent; partner_provision's
    provision consent does not authorise publishing (refused and recorded)."""
    purpose_assessment(world, "partner_provision")
    cid = consented(world, values=adult(1))
    with pytest.raises(AccessDenied, match="R-SHR-8"):
        sharing(world).disclose(
            sharer(world),
            purpose="partner_provision",
            fields={"name": "mask"},
            medium="公告",
            customers=[cid],
        )
    [entry] = world.inst.audit.query(action="disclose", limit=10)
    assert entry.decision == "deny"


@pytest.mark.req("R-SHR-3")
def test_a_disclosure_without_a_current_impact_assessment_is_refused(world: World) -> None:
    """R-SHR-3: no PIPIA for the purpose, or only an expired one: refused with that reason."""
    cid = consented(world, "public_disclosure", adult(1), kinds=("general", "public_disclosure"))
    args: dict[str, Any] = {
        "purpose": "public_disclosure",
        "fields": {"name": "mask"},
        "medium": "公告",
        "customers": [cid],
    }
    with pytest.raises(AccessDenied, match="impact assessment"):
        sharing(world).disclose(sharer(world), **args)
    purpose_assessment(
        world,
        "public_disclosure",
        assessed_on=TODAY - timedelta(days=400),
        valid_until=TODAY - timedelta(days=1),
    )
    with pytest.raises(AccessDenied, match="impact assessment"):
        sharing(world).disclose(sharer(world), **args)
    purpose_assessment(world, "public_disclosure")
    assert sharing(world).disclose(sharer(world), **args).persons == 1


def test_pseudonyms_and_fields_outside_the_purpose_are_refused(world: World) -> None:
    """A published pseudonym has no recipient to key it for; a field the purpose does not cover is
    refused (R-COL-3) before anything is read."""
    cid = consented(world, "public_disclosure", adult(1), kinds=("general", "public_disclosure"))
    with pytest.raises(ValidationError, match="pseudonym"):
        sharing(world).disclose(
            sharer(world),
            purpose="public_disclosure",
            fields={"name": "pseudonymise"},
            medium="x",
            customers=[cid],
        )
    with pytest.raises(ValidationError, match="R-COL-3"):
        sharing(world).disclose(
            sharer(world), purpose="public_disclosure", fields={"mobile": "mask"}, medium="x", customers=[cid]
        )


@pytest.mark.req("R-SHR-4")
def test_a_disclosure_is_in_the_transfer_log_and_the_customers_history(world: World) -> None:
    """R-SHR-4: logged with time, kind, purpose, fields, rules, persons, content hash, operator."""
    purpose_assessment(world, "public_disclosure")
    cid = consented(world, "public_disclosure", adult(1), kinds=("general", "public_disclosure"))
    result = sharing(world).disclose(
        sharer(world), purpose="public_disclosure", fields=RULES, medium="公告", customers=[cid]
    )
    [row] = sharing(world).transfers(officer(world), customer_id=cid)
    assert row["id"] == result.transfer_id and row["kind"] == "disclosure"
    assert row["partner_id"] is None and row["persons"] == 1
    assert row["rules"] == {"name": "mask", "address": "generalise"}
    assert row["content_sha256"] == result.manifest["content_sha256"]
    assert row["operator"] == sharer(world).actor.id
