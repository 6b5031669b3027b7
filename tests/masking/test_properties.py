"""Property tests: whatever the input, no rule shows more than it allows (R-USE-4, R-STO-3)."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from piguard.masking import apply_mask

pytestmark = pytest.mark.req("R-USE-4")

DIGITS = st.sampled_from("0123456789")
SEPARATORS = st.sampled_from([" ", "-", ""])
ANY_TEXT = st.text(max_size=40)
MIXED_TEXT = st.text(alphabet=st.sampled_from("0123456789 -+()Xx张三欧阳@.é中*"), max_size=40)
# Text made only of what a rule counts or keeps as formatting: on such values masking is idempotent.
# (Elsewhere a hidden letter becomes "*", which a second pass counts as a slot.)
PHONE_TEXT = st.text(alphabet=st.sampled_from("0123456789 -+()*１"), max_size=30)
ID_TEXT = st.text(alphabet=st.sampled_from("0123456789Xx -*E张"), max_size=30)
CN_PREFIX = re.compile(r"\s*(\(?\+86|0086|86)")


def visible(original: str, masked: str, keep: str = "") -> list[int]:
    """Positions where ``masked`` shows a character of ``original``.

    Mask characters and the characters in ``keep`` (formatting) do not count.
    """
    assert len(original) == len(masked)
    return [
        i
        for i, (a, b) in enumerate(zip(original, masked, strict=True))
        if a == b and a != "*" and a not in keep
    ]


def visible_digits(original: str, masked: str) -> int:
    return sum(1 for i in visible(original, masked) if original[i].isdecimal())


def longest_visible_digit_run(original: str, masked: str) -> int:
    """Longest run of consecutive original digits (separators skipped) shown in ``masked``."""
    best = run = 0
    for a, b in zip(original, masked, strict=True):
        if not a.isdecimal():
            continue
        run = run + 1 if a == b else 0
        best = max(best, run)
    return best


def only_hides(original: str, masked: str) -> bool:
    """``masked`` equals ``original`` except that some characters became ``*``."""
    return len(original) == len(masked) and all(
        a == b or b == "*" for a, b in zip(original, masked, strict=True)
    )


@st.composite
def grouped_digits(draw: st.DrawFn, min_size: int = 0, max_size: int = 22) -> str:
    digits = draw(st.lists(DIGITS, min_size=min_size, max_size=max_size))
    return "".join(d + draw(SEPARATORS) if i % 4 == 3 else d for i, d in enumerate(digits))


# mobile -------------------------------------------------------------------------------------------


@given(
    national=grouped_digits(),
    prefix=st.sampled_from(["", "+86 ", "+86", "0086-", "(+86)"]),
    keep_last=st.sampled_from([2, 4]),
)
def test_mobile_shows_at_most_3_plus_keep_last_national_digits(
    national: str, prefix: str, keep_last: int
) -> None:
    """R-USE-4: a mobile shows at most 3 + keep_last digits, and half of a short one."""
    assume(not CN_PREFIX.match(national))
    out = apply_mask("mobile", prefix + national, keep_last=keep_last)
    assert out.startswith(prefix)
    rest = out[len(prefix) :]
    assert only_hides(national, rest)
    n = sum(ch.isdecimal() for ch in national)
    shown = visible_digits(national, rest)
    assert shown <= 3 + keep_last
    assert longest_visible_digit_run(national, rest) <= max(3, keep_last)
    if n < 11:
        assert shown <= n // 2


@given(value=MIXED_TEXT)
def test_mobile_seed_on_any_text(value: str) -> None:
    """R-USE-4: the seed format shows at most 3 + 2 digits of any text without a country prefix."""
    assume(not CN_PREFIX.match(value))
    out = apply_mask("mobile_seed", value)
    assert only_hides(value, out)
    assert visible_digits(value, out) <= 5
    assert longest_visible_digit_run(value, out) <= 3


@given(value=PHONE_TEXT, keep_last=st.sampled_from([2, 4]))
def test_mobile_is_idempotent(value: str, keep_last: int) -> None:
    once = apply_mask("mobile", value, keep_last=keep_last)
    assert apply_mask("mobile", once, keep_last=keep_last) == once


# resident_id --------------------------------------------------------------------------------------


@pytest.mark.req("R-MIN-1")
@given(
    body=st.lists(DIGITS, min_size=17, max_size=17),
    check=st.sampled_from("0123456789X"),
    first=st.integers(0, 6),
    last=st.integers(0, 4),
)
def test_resident_id_birth_date_always_hidden_r_use_4(
    body: list[str], check: str, first: int, last: int
) -> None:
    """R-USE-4 / R-MIN-1: positions 7-14 (birth date) of any 18-char ID are masked, whatever the params."""
    value = "".join(body) + check
    out = apply_mask("resident_id", value, first=first, last=last)
    assert only_hides(value, out)
    assert out[6:14] == "********"
    assert len(visible(value, out)) <= first + last


@given(value=st.lists(DIGITS, min_size=15, max_size=15).map("".join))
def test_resident_id_legacy_15_shows_3_plus_3(value: str) -> None:
    out = apply_mask("resident_id", value)
    assert out[3:12] == "*" * 9
    assert only_hides(value, out)


@given(value=MIXED_TEXT)
def test_resident_id_on_any_text(value: str) -> None:
    out = apply_mask("resident_id", value)
    assert only_hides(value, out)
    slots = [ch for ch in value if ch.isalnum() or ch == "*"]
    shown = len(visible(value, out, keep=" -+()@."))
    assert shown <= 7
    if len(slots) not in (15, 18):
        assert shown <= len(slots) // 2


@given(value=ID_TEXT)
def test_resident_id_and_passport_are_idempotent(value: str) -> None:
    for rule in ("resident_id", "passport"):
        once = apply_mask(rule, value)
        assert apply_mask(rule, once) == once


# bank_card ----------------------------------------------------------------------------------------


@given(value=st.one_of(grouped_digits(), PHONE_TEXT))
def test_bank_card_staff_shows_at_most_10_digits(value: str) -> None:
    """R-USE-4: staff see at most first 6 + last 4; cards under 12 digits only the last 4."""
    out = apply_mask("bank_card", value, audience="staff")
    assert only_hides(value, out)
    # A "*" in the input counts as an already hidden digit (that is what keeps masking idempotent).
    n = sum(ch.isdecimal() or ch == "*" for ch in value)
    shown = visible_digits(value, out)
    assert shown <= 10
    assert longest_visible_digit_run(value, out) <= 6
    if n < 12:
        assert shown <= 4
    if n < 8:
        assert shown <= n // 2
    assert apply_mask("bank_card", out, audience="staff") == out


@given(value=grouped_digits(min_size=8), extra=st.lists(DIGITS, min_size=1, max_size=8).map("".join))
def test_bank_card_customer_hides_length(value: str, extra: str) -> None:
    """R-USE-4: customers see ``**** 1234``; a longer number with the same ending masks the same."""
    out = apply_mask("bank_card", value, audience="customer")
    digits = [ch for ch in value if ch.isdecimal()]
    assert out == "**** " + "".join(digits[-4:])
    assert apply_mask("bank_card", extra + value, audience="customer") == out
    assert apply_mask("bank_card", out, audience="customer") == out


@given(value=MIXED_TEXT, audience=st.sampled_from(["staff", "customer"]))
def test_bank_card_on_any_text(value: str, audience: str) -> None:
    out = apply_mask("bank_card", value, audience=audience)
    assert sum(ch.isdecimal() for ch in out) <= 10


# keep, passport -----------------------------------------------------------------------------------


@given(value=ANY_TEXT, first=st.integers(0, 50), last=st.integers(0, 50), char=st.sampled_from("*#x"))
def test_keep_preserves_length_and_hides_half(value: str, first: int, last: int, char: str) -> None:
    out = apply_mask("keep", value, first=first, last=last, char=char)
    assert len(out) == len(value)
    shown = [i for i in range(len(value)) if out[i] != char]
    assert len(shown) <= min(first + last, len(value) // 2)
    assert all(out[i] == value[i] for i in shown)
    assert apply_mask("keep", out, first=first, last=last, char=char) == out


@given(value=MIXED_TEXT)
def test_passport_shows_at_most_4_and_half(value: str) -> None:
    out = apply_mask("passport", value)
    assert only_hides(value, out)
    slots = sum(ch.isalnum() or ch == "*" for ch in value)
    assert len(visible(value, out, keep=" -+()@.")) <= min(4, slots // 2)


# name ---------------------------------------------------------------------------------------------

SURNAMES = st.sampled_from(["张", "王", "李", "欧阳", "诸葛", "司马", "慕容", "𠇔"])
GIVEN = st.text(alphabet=st.sampled_from("三丰娜伟芳明华𠀾"), max_size=4)


@given(surname=SURNAMES, given_name=GIVEN)
def test_chinese_name_shows_surname_only(surname: str, given_name: str) -> None:
    value = surname + given_name
    out = apply_mask("name", value)
    assert len(out) == len(value)
    assert set(out[len(surname) :]) <= {"*"}
    assert "*" in out  # never shown whole
    assert apply_mask("name", out) == out


@given(value=st.text(alphabet=st.sampled_from(string.ascii_letters + " 张三é-'"), max_size=40))
def test_name_shows_at_most_one_letter_per_word(value: str) -> None:
    out = apply_mask("name", value)
    assert only_hides(value, out)
    words = value.split()
    assert len(visible(value, out, keep=" ")) <= len(words)
    if value.strip():
        assert "*" in out
    assert apply_mask("name", out) == out


# address, email, date ------------------------------------------------------------------------------


@given(value=ANY_TEXT)
def test_address_always_ends_in_fixed_mask(value: str) -> None:
    out = apply_mask("address", value)
    assert out.endswith("****")
    kept = out[:-4]
    assert value.startswith(kept.rstrip()) or value.lstrip().startswith(kept.strip())
    assert apply_mask("address", out) == out


@given(value=st.text(alphabet=st.sampled_from("abc123 路号"), max_size=30))
def test_address_without_division_keeps_two_characters(value: str) -> None:
    assert apply_mask("address", value) == value[: min(2, len(value) // 2)] + "****"


LOCAL_PART = st.text(min_size=1, max_size=20).filter(
    lambda s: "@" not in s and not any(c.isspace() for c in s)
)


@given(local=LOCAL_PART, domain=st.from_regex(r"[a-z0-9]{1,10}\.[a-z]{2,6}", fullmatch=True))
@example(local="*0", domain="0.aa")  # found by a CI seed
def test_email_shows_first_character_and_domain(local: str, domain: str) -> None:
    out = apply_mask("email", f"{local}@{domain}")
    # The first character is shown, unless it is the mask character itself (then the value reads
    # as masked already and the mask stays idempotent, showing less).
    head = local[0] if len(local) >= 2 and local[0] != "*" else ""
    assert out == f"{head}***@{domain}"
    assert apply_mask("email", out) == out


@given(value=ANY_TEXT)
def test_email_on_any_text(value: str) -> None:
    out = apply_mask("email", value)
    assert out == "******" or re.fullmatch(r"[^@]?\*\*\*@.+", out, re.DOTALL)


@given(
    year=st.integers(1900, 2099),
    month=st.integers(1, 12),
    day=st.integers(1, 28),
    sep=st.sampled_from(["-", "/", "."]),
)
def test_date_shows_year_only(year: int, month: int, day: int, sep: str) -> None:
    value = f"{year}{sep}{month:02d}{sep}{day:02d}"
    out = apply_mask("date", value)
    assert out == f"{year}{sep}**{sep}**"
    assert apply_mask("date", out) == out


@given(value=MIXED_TEXT)
def test_date_shows_at_most_four_digits(value: str) -> None:
    out = apply_mask("date", value)
    assert only_hides(value, out)
    assert visible_digits(value, out) <= 4
    assert apply_mask("date", out) == out


# redact, never, hash -------------------------------------------------------------------------------


@pytest.mark.req("R-STO-3")
@given(a=ANY_TEXT, b=ANY_TEXT)
def test_redact_and_never_do_not_depend_on_input_r_sto_3(a: str, b: str) -> None:
    """R-STO-3: C3 data is never displayed; redact does not even reveal the length."""
    assert apply_mask("never", a) == apply_mask("never", b) == "[hidden]"
    assert apply_mask("redact", a) == apply_mask("redact", b) == "******"


@given(value=ANY_TEXT, key1=st.binary(min_size=16, max_size=64), key2=st.binary(min_size=16, max_size=64))
def test_hash_deterministic_per_key_and_differs_across_keys(value: str, key1: bytes, key2: bytes) -> None:
    out = apply_mask("hash", value, key=key1)
    assert re.fullmatch(r"hmac-sha256:[0-9a-f]{16}", out)
    assert apply_mask("hash", value, key=key1) == out
    if key1 != key2:
        assert apply_mask("hash", value, key=key2) != out


@given(value=st.text(alphabet=st.characters(categories=["Cs", "Lo", "Nd"]), max_size=10))
def test_hash_accepts_lone_surrogates(value: str) -> None:
    assert apply_mask("hash", value, key=b"k" * 16).startswith("hmac-sha256:")


# every rule, any input ------------------------------------------------------------------------------


@given(
    value=ANY_TEXT,
    rule=st.sampled_from(
        [
            "clear",
            "redact",
            "never",
            "keep",
            "name",
            "mobile",
            "mobile_seed",
            "resident_id",
            "bank_card",
            "address",
            "email",
            "date",
            "passport",
        ]
    ),
)
def test_every_rule_handles_any_text(value: str, rule: str) -> None:
    out = apply_mask(rule, value)
    assert isinstance(out, str)
