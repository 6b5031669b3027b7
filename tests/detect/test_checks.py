"""The fast checks of piguard.detect.checks agree with piguard.validate (one rule, two speeds)."""

from __future__ import annotations

import ipaddress
import random
import re

import pytest
from stdnum.cn import ric

from piguard.detect.checks import ipv4_ok, luhn_ok, mobile_ok, resident_id_18_ok
from piguard.validate import bank_card, mobile, resident_id

RNG = random.Random(20261122)


def _digits(n: int) -> str:
    return "".join(RNG.choice("0123456789") for _ in range(n))


@pytest.mark.parametrize("length", [10, 11, 15, 16, 17, 18, 19])
def test_luhn_matches_validate(length: int) -> None:
    for _ in range(3000):
        number = _digits(length)
        assert luhn_ok(number) == bank_card.luhn_ok(number), number


def _plausible_id() -> str:
    # Real dates (and some impossible ones) so the date checks are exercised,
    # with the right check character half the time.
    year = RNG.choice([RNG.randint(1790, 2030), RNG.randint(1950, 2010)])
    month = RNG.randint(0, 13)
    day = RNG.randint(0, 32)
    body = f"{_digits(6)}{year:04d}{month:02d}{day:02d}{_digits(3)}"
    check = ric.calc_check_digit(body + "0") if RNG.random() < 0.5 else RNG.choice("0123456789X")
    return body + check


def test_resident_id_matches_validate() -> None:
    cases = [_plausible_id() for _ in range(20000)] + [
        _digits(17) + RNG.choice("0123456789X") for _ in range(5000)
    ]
    cases += ["11010519491231002X", "440524188001010014", "11010520000229002X", "11010519000229001X"]
    valid = 0
    for number in cases:
        expected = resident_id.is_valid(number)
        assert resident_id_18_ok(number) == expected, number
        valid += expected
    assert valid > 1000  # The valid side is exercised too.


def test_mobile_matches_validate() -> None:
    for _ in range(20000):
        number = "1" + _digits(10)
        assert mobile_ok(number) == mobile.is_valid(number), number


def test_ipv4_matches_ipaddress() -> None:
    for _ in range(20000):
        octets = [
            RNG.choice([str(RNG.randint(0, 299)), f"0{RNG.randint(0, 99)}", "0", "00"]) for _ in range(4)
        ]
        value = ".".join(octets)
        try:
            ipaddress.IPv4Address(value)
            expected = True
        except ValueError:
            expected = False
        assert ipv4_ok(value) == expected, value


def test_email_matches_validate() -> None:
    from piguard.detect.checks import email_candidate_ok
    from piguard.detect.recognizers.email import EmailRecognizer
    from piguard.validate import email

    pattern = re.compile(EmailRecognizer().pattern)  # an instance: compiled classes keep it per instance
    alphabet = "abcXYZ019._%+-"
    tested = 0
    for _ in range(20000):
        local = RNG.choice("aZ0") + "".join(RNG.choice(alphabet) for _ in range(RNG.randint(0, 70)))
        labels = [
            "".join(RNG.choice("ab9-") for _ in range(RNG.randint(1, 70))) for _ in range(RNG.randint(1, 4))
        ]
        value = f"{local}@{'.'.join(labels)}.{RNG.choice(['cn', 'com', 'x', 'org'])}"
        m = pattern.search(value)
        if m is None:
            continue
        tested += 1
        candidate = m.group()
        assert email_candidate_ok(candidate) == email.is_valid(candidate), candidate
    assert tested > 2500
