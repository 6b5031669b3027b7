"""Demo data is synthetic but valid: every generated value passes its field's validation."""

from __future__ import annotations

import pytest

from piguard import validate
from piguard.catalog import available_profiles, load_catalog, profile_path
from piguard.demo import DemoPeople, bank_card, resident_id
from piguard.validate import bank_card as card_rules
from piguard.validate import resident_id as rid_rules


@pytest.mark.parametrize("profile", available_profiles())
def test_every_generated_value_validates(profile: str) -> None:
    catalog = load_catalog(profile_path(profile))
    people = DemoPeople(7)
    generated = 0
    for _ in range(200):
        person = people.person()
        for rt in catalog.record_types.values():
            for fdef in rt.fields.values():
                value = people.value(fdef, person)
                if value is None:
                    continue
                validate.normalize(fdef.type, value, **fdef.type_options)
                generated += 1
    assert generated > 1000


def test_ids_and_cards_are_checksummed_and_minors_exist() -> None:
    import random
    from datetime import date

    rng = random.Random(1)
    assert rid_rules.is_valid(resident_id(rng, date(2015, 6, 1), True))
    assert card_rules.is_valid(bank_card(rng))
    people = DemoPeople(3)
    ages = [people.person()["minor"] for _ in range(400)]
    assert 0 < sum(ages) < 100


@pytest.mark.req("R-MIN-1", "R-INC-6")
def test_a_demo_minor_has_a_guardian_reachable_on_their_own_mobile() -> None:
    """Guardian notices (incidents, privacy centre) go to the guardian's number, not the child's."""
    catalog = load_catalog(profile_path("default"))
    people = DemoPeople(3)
    minors = [p for p in (people.person() for _ in range(400)) if p["minor"]]
    assert minors
    field = catalog.record_types["customer"].fields["guardian_mobile"]
    for person in minors:
        given = people.value(field, person)
        assert given is not None and given != person["mobile"]
        assert validate.normalize(field.type, given, **field.type_options)
