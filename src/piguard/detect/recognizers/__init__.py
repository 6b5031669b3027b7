"""The default recognizers, one module per family.

Registration order is the order of the combined regex's alternation: at one
position the first fragment that matches wins, so e-mail (whose local part may
be all digits), IPv4 and birth dates come before the generic digit run, and
all-letter-or-digit codes (USCC, passports, plates) after it.
"""

from __future__ import annotations

from piguard.native import mount

mount(__name__, __path__)  # The compiled recognizers, when they match the sources (piguard.native).

from piguard.detect.recognizer import Recognizer
from piguard.detect.recognizers.address import AddressRecognizer
from piguard.detect.recognizers.digits import DigitRunRecognizer
from piguard.detect.recognizers.email import EmailRecognizer
from piguard.detect.recognizers.identifiers import (
    BirthDateRecognizer,
    LicensePlateRecognizer,
    PassportRecognizer,
    UsccRecognizer,
)
from piguard.detect.recognizers.ip import IPv4Recognizer, IPv6Recognizer
from piguard.detect.recognizers.person import PersonRecognizer

__all__ = [
    "BUILTIN",
    "AddressRecognizer",
    "BirthDateRecognizer",
    "DigitRunRecognizer",
    "EmailRecognizer",
    "IPv4Recognizer",
    "IPv6Recognizer",
    "LicensePlateRecognizer",
    "PassportRecognizer",
    "PersonRecognizer",
    "UsccRecognizer",
    "default_recognizers",
]


#: The built-in recognizer classes. Bulk mode's coarse byte-level stage knows
#: their triggers (see piguard.detect.prefilter.coarse_lines) and is only used
#: when every wanted recognizer is one of them.
BUILTIN: frozenset[type[Recognizer]] = frozenset(
    {
        AddressRecognizer,
        BirthDateRecognizer,
        DigitRunRecognizer,
        EmailRecognizer,
        IPv4Recognizer,
        IPv6Recognizer,
        LicensePlateRecognizer,
        PassportRecognizer,
        PersonRecognizer,
        UsccRecognizer,
    }
)


def default_recognizers() -> list[Recognizer]:
    """Return fresh instances of every built-in recognizer, in registration order."""
    return [
        EmailRecognizer(),
        IPv4Recognizer(),
        BirthDateRecognizer(),
        DigitRunRecognizer(),
        UsccRecognizer(),
        PassportRecognizer(),
        LicensePlateRecognizer(),
        IPv6Recognizer(),
        AddressRecognizer(),
        PersonRecognizer(),
    ]
