from __future__ import annotations

import base64
from pathlib import Path

import pytest

from piguard.crypto.master import Passphrase, generate_master_secret, load_master_secret
from piguard.errors import ConfigError


def test_generated_secret_loads_as_key() -> None:
    text = generate_master_secret()
    key = load_master_secret({"PIGUARD_MASTER_KEY": text})
    assert key == base64.b64decode(text) and len(key) == 32 and not isinstance(key, Passphrase)


def test_file_and_passphrase(tmp_path: Path) -> None:
    f = tmp_path / "master"
    text = generate_master_secret()
    f.write_text(text + "\n")
    assert load_master_secret({"PIGUARD_MASTER_KEY_FILE": str(f)}) == base64.b64decode(text)
    phrase = load_master_secret({"PIGUARD_MASTER_KEY": "x" * 32})  # 32 chars, yet a passphrase
    assert isinstance(phrase, Passphrase) and phrase == b"x" * 32
    assert "x" not in repr(phrase)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no master secret"),
        ({"PIGUARD_MASTER_KEY": ""}, "no master secret"),
        ({"PIGUARD_MASTER_KEY": "short"}, "at least 12"),
        ({"PIGUARD_MASTER_KEY": "a" * 44, "PIGUARD_MASTER_KEY_FILE": "/x"}, "only one"),
        ({"PIGUARD_MASTER_KEY_FILE": "/nonexistent/master"}, "cannot read"),
    ],
)
def test_clear_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_master_secret(env)
    assert "short" not in str(info.value)
