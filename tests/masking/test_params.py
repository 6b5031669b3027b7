"""Parameter validation, the registry and the engine functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from piguard.errors import Conflict, ValidationError
from piguard.masking import Operator, apply_mask, check_params, get_operator, known_rules, register, registry

SECRET = "13800138000"  # a value that must never appear in a message

# (rule, params, parameter named in the message)
BAD_PARAMS: list[tuple[str, dict[str, Any], str]] = [
    ("keep", {"first": -1}, "first"),
    ("keep", {"first": True}, "first"),
    ("keep", {"last": "4"}, "last"),
    ("keep", {"last": 2.0}, "last"),
    ("keep", {"char": "**"}, "char"),
    ("keep", {"char": ""}, "char"),
    ("keep", {"char": " "}, "char"),
    ("keep", {"char": "\n"}, "char"),
    ("keep", {"middle": 1}, "middle"),
    ("mobile", {"keep_last": 3}, "keep_last"),
    ("mobile", {"keep_last": 4.0}, "keep_last"),
    ("mobile", {"keep_last": "4"}, "keep_last"),
    ("mobile_seed", {"keep_last": 4}, "keep_last"),
    ("resident_id", {"first": 7}, "first"),
    ("resident_id", {"last": 5}, "last"),
    ("bank_card", {"audience": "admin"}, "audience"),
    ("bank_card", {"audience": True}, "audience"),
    ("hash", {}, "key"),
    ("hash", {"key": "not bytes but text!"}, "key"),
    ("hash", {"key": b"short"}, "key"),
    ("redact", {"first": 1}, "first"),
    ("never", {"char": "#"}, "char"),
]


@pytest.mark.parametrize(("rule", "params", "param"), BAD_PARAMS)
def test_bad_parameter_is_named_and_value_is_not(rule: str, params: dict[str, Any], param: str) -> None:
    with pytest.raises(ValidationError) as info:
        apply_mask(rule, SECRET, **params)
    assert f"{param!r}" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(("rule", "params"), [("keep", {"first": 2, "last": 1, "char": "#"}), ("mobile", {})])
def test_check_params_accepts_good_declarations(rule: str, params: dict[str, Any]) -> None:
    check_params(rule, params)


@pytest.mark.parametrize(("rule", "params", "param"), [row for row in BAD_PARAMS if row[0] != "hash"])
def test_check_params_rejects_what_apply_mask_rejects(rule: str, params: dict[str, Any], param: str) -> None:
    with pytest.raises(ValidationError, match=repr(param)):
        check_params(rule, params)


def test_check_params_refuses_a_declared_hash_key() -> None:
    """A key in a catalog would put a secret in a configuration file."""
    check_params("hash", {})
    with pytest.raises(ValidationError, match="run time"):
        check_params("hash", {"key": b"k" * 32})


def test_unknown_rule() -> None:
    for call in (
        lambda: apply_mask("nope", SECRET),
        lambda: check_params("nope", {}),
        lambda: get_operator("nope"),
    ):
        with pytest.raises(ValidationError, match="unknown masking rule") as info:
            call()
        assert SECRET not in str(info.value)


def test_known_rules_is_the_contract_list() -> None:
    assert known_rules() == {
        "clear", "redact", "never", "hash", "keep", "name", "mobile", "mobile_seed",
        "resident_id", "bank_card", "address", "email", "date", "passport",
    }  # fmt: skip


def test_get_operator_names_match() -> None:
    for rule in known_rules():
        op = get_operator(rule)
        assert isinstance(op, Operator)
        assert op.name == rule


class _Upper(Operator):
    name: ClassVar[str] = "test_upper"

    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        return value.upper()


@pytest.fixture
def private_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register into a copy, so other tests still see only the built-in rules."""
    monkeypatch.setattr(registry, "_OPERATORS", dict(registry._OPERATORS))


@pytest.mark.usefixtures("private_registry")
def test_register_custom_operator() -> None:
    register(_Upper())
    assert "test_upper" in known_rules()
    assert apply_mask("test_upper", "ab") == "AB"
    with pytest.raises(Conflict):
        register(_Upper())
    register(_Upper(), replace=True)


@pytest.mark.usefixtures("private_registry")
def test_register_refuses_non_operator() -> None:
    with pytest.raises(TypeError):
        register(object())  # type: ignore[arg-type]


@pytest.mark.usefixtures("private_registry")
def test_builtin_cannot_be_replaced_by_accident() -> None:
    with pytest.raises(Conflict):
        register(get_operator("never"))
