"""FieldAadBuilder is a fast path of field_aad and must produce identical bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from piguard.crypto.context import FieldAadBuilder, field_aad

text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)


@given(text, text, st.integers(0, 2**32 - 1), text, text)
def test_builder_matches_field_aad(tenant: str, rt: str, version: int, record_id: str, field: str) -> None:
    builder = FieldAadBuilder(tenant, rt, version)
    assert builder(record_id, field) == field_aad(tenant, rt, record_id, field, version)
    assert builder(record_id, field) == field_aad(tenant, rt, record_id, field, version)  # cached path


def test_builder_distinguishes_ambiguous_splits() -> None:
    builder = FieldAadBuilder("t", "customer", 1)
    assert builder("42", "mobile") != builder("4", "2mobile")
