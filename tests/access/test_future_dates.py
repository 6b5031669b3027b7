"""Future dates (issue 11, item 13): whether a date may lie after today is the field's rule in the
catalog (``future: allowed|refused``); a record type may order two of its dates (``date_order``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from piguard.catalog import load_catalog
from piguard.errors import CatalogError, ValidationError
from piguard.validate.resident_id import today_in_china
from tests.access.conftest import ADULT, World

SHIPPED = Path(__file__).parents[2] / "src" / "piguard" / "catalogs"


def test_hotel_stay_with_check_out_tomorrow_can_be_registered(sqlite_world: World) -> None:
    today = today_in_china()
    cid = sqlite_world.customer()
    record_id = sqlite_world.stay(cid, today, today + timedelta(days=1))
    assert record_id
    # A reservation made ahead: both dates in the future.
    assert sqlite_world.stay(cid, today + timedelta(days=30), today + timedelta(days=32), room="0301")


def test_check_out_before_check_in_is_refused(sqlite_world: World) -> None:
    today = today_in_china()
    cid = sqlite_world.customer()
    with pytest.raises(ValidationError, match="must not be before check_in") as caught:
        sqlite_world.stay(cid, today, today - timedelta(days=1))
    assert caught.value.field == "check_out"


def test_birth_date_in_the_future_is_still_refused(sqlite_world: World) -> None:
    tomorrow = (today_in_china() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError, match="in the future") as caught:
        sqlite_world.customer({**ADULT, "birth_date": tomorrow, "resident_id": "", "mobile": "13900139000"})
    assert caught.value.field == "birth_date"


@pytest.mark.parametrize("name", sorted(p.stem for p in SHIPPED.glob("*.yaml")))
def test_every_shipped_date_field_declares_its_future_rule(name: str) -> None:
    text = (SHIPPED / f"{name}.yaml").read_text(encoding="utf-8")
    assert "not_future" not in text  # one way to say it
    catalog = load_catalog(SHIPPED / f"{name}.yaml")
    for rt, field in catalog.iter_fields():
        if field.type == "date":
            expected = "allowed" if field.name in ("check_in", "check_out") else "refused"
            assert field.future == expected, f"{rt}.{field.name}"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (SHIPPED / "default.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "catalog.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_future_rule_is_checked_when_the_catalog_loads(tmp_path: Path) -> None:
    # The old spelling still means the same, and may not contradict the new one.
    legacy = load_catalog(
        _variant(tmp_path, "        future: refused\n", "        type_options: {not_future: false}\n")
    )
    assert legacy.record_types["customer"].fields["birth_date"].future == "allowed"
    with pytest.raises(CatalogError, match="contradicts future"):
        load_catalog(
            _variant(
                tmp_path,
                "        future: refused\n",
                "        future: refused\n        type_options: {not_future: false}\n",
            )
        )
    with pytest.raises(CatalogError, match="future"):
        load_catalog(_variant(tmp_path, "        future: refused\n", "        future: sometimes\n"))
    with pytest.raises(CatalogError, match="date fields only"):
        load_catalog(
            _variant(tmp_path, "        type: mobile\n", "        type: mobile\n        future: allowed\n")
        )
    with pytest.raises(CatalogError, match="not a date field"):
        load_catalog(
            _variant(tmp_path, "date_order: [[check_in, check_out]]", "date_order: [[check_in, room_no]]")
        )
