"""The kind registry: normalize(), known_types() and check_options()."""

from __future__ import annotations

from typing import Any

import pytest

import piguard.validate
from piguard.errors import ValidationError
from piguard.validate import check_options, known_types, normalize

CONTRACT_TYPES = frozenset(
    "text name gender date resident_id mobile landline phone bank_card email uscc passport "
    "money integer enum address boolean".split()
)


def test_exported_members() -> None:
    assert piguard.validate.__all__ == [
        "check_options",
        "known_types",
        "match_key",
        "normalize",
        "normalizer",
    ]


def test_known_types_cover_the_contract() -> None:
    assert CONTRACT_TYPES <= known_types()


@pytest.mark.parametrize("type_name", ["", "Mobile", "ssn", "text "])
def test_unknown_type(type_name: str) -> None:
    with pytest.raises(ValidationError, match="unknown value type"):
        normalize(type_name, "x")
    with pytest.raises(ValidationError, match="unknown value type"):
        check_options(type_name, {})


def check(type_name: str, options: dict[str, Any], reason: str | None) -> None:
    """``reason`` is a fragment of the expected error, or ``None`` when the options are fine."""
    if reason is None:
        check_options(type_name, options)
    else:
        with pytest.raises(ValidationError, match=reason):
            check_options(type_name, options)


@pytest.mark.parametrize(
    ("type_name", "options", "reason"),
    [
        ("text", {}, None),
        ("text", {"max_length": 10, "multiline": False}, None),
        ("text", {"max_length": 0}, "must be between"),
        ("text", {"max_length": True}, "must be an integer"),
        ("text", {"max_length": "10"}, "must be an integer"),
        ("text", {"multiline": 1}, "must be true or false"),
        ("text", {"max_lenght": 10}, "unknown option 'max_lenght'"),
        ("name", {"max_length": 32}, None),
        ("address", {"max_length": 300}, None),
        ("gender", {"values": ["M"]}, "unknown option"),
        ("date", {"not_future": False, "min_year": 1800}, None),
        ("date", {"min_year": 0}, "must be between"),
        ("resident_id", {"today": "2024-01-01"}, "unknown option"),
        ("bank_card", {"on_bad_checksum": "warn"}, None),
        ("bank_card", {"on_bad_checksum": "ignore"}, "must be one of 'reject', 'warn'"),
        ("passport", {"country": "DE"}, None),
        ("passport", {"country": "DEU"}, "ISO 3166-1"),
        ("money", {"max_digits": 18, "allow_negative": True}, None),
        ("money", {"max_digits": 2}, "must be between"),
        ("integer", {"min": 0, "max": 150}, None),
        ("integer", {"min": None}, None),
        ("integer", {"min": 1.5}, "must be an integer"),
        ("integer", {"min": 5, "max": 1}, "reversed"),
        ("enum", {"values": ["a", "b"]}, None),
        ("enum", {}, "needs option 'values'"),
        ("enum", {"values": []}, "non-empty list"),
        ("enum", {"values": "ab"}, "non-empty list"),
        ("enum", {"values": ["a", " b"]}, "without surrounding spaces"),
        ("enum", {"values": ["a", "A"]}, "must not repeat"),
        ("enum", {"values": ["a", 1]}, "non-empty strings"),
    ],
)
def test_check_options(type_name: str, options: dict[str, Any], reason: str | None) -> None:
    check(type_name, options, reason)


def test_normalize_checks_options_first() -> None:
    with pytest.raises(ValidationError, match="unknown option"):
        normalize("mobile", "13800138000", region="CN")
    with pytest.raises(ValidationError, match="needs option 'values'"):
        normalize("enum", "a")
    assert normalize("passport", "x1234567", country="DE") == "X1234567"


def test_normalizer_is_normalize_bound_once() -> None:
    from piguard.validate import normalizer

    bound = normalizer("text", max_length=5)
    assert bound(" abc ") == piguard.validate.normalize("text", " abc ", max_length=5) == "abc"
    with pytest.raises(ValidationError):
        bound("abcdefgh")
    with pytest.raises(ValidationError):
        normalizer("text", max_lenght=5)
    with pytest.raises(ValidationError):
        normalizer("enum")
