"""SecretBox: small secrets in the database are sealed and bound to their row."""

from __future__ import annotations

import os

import pytest

from piguard.crypto.aead import Suite
from piguard.crypto.secretbox import SecretBox
from piguard.errors import InvalidCiphertext


@pytest.mark.parametrize("suite", list(Suite))
def test_round_trip_and_binding(suite: Suite) -> None:
    root = os.urandom(32)
    box = SecretBox(root, suite, "totp")
    sealed = box.seal("JBSWY3DPEHPK3PXP", "usr_1")
    assert "JBSWY3DPEHPK3PXP" not in sealed and len(sealed) <= 255
    assert box.open(sealed, "usr_1") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidCiphertext):
        box.open(sealed, "usr_2")  # copied onto another principal's row
    with pytest.raises(InvalidCiphertext):
        SecretBox(root, suite, "other-use").open(sealed, "usr_1")  # another use, another key
    with pytest.raises(InvalidCiphertext):
        box.open(sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1], "usr_1")
    with pytest.raises(InvalidCiphertext):
        box.open("JBSWY3DPEHPK3PXP", "usr_1")  # a plaintext seed is not accepted as sealed
    assert "hidden" in repr(box)
