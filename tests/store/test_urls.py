"""Default database URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from piguard.errors import ConfigError
from piguard.store import default_urls

PG = "postgresql+psycopg://u:p@db.example/piguard"


def test_sqlite_files_in_home(tmp_path: Path) -> None:
    assert default_urls(tmp_path, {}) == (f"sqlite:///{tmp_path}/data.db", f"sqlite:///{tmp_path}/keys.db")


def test_postgres_data_url_puts_keys_on_the_same_server(tmp_path: Path) -> None:
    assert default_urls(tmp_path, {"PIGUARD_DATABASE_URL": PG}) == (PG, PG)


def test_explicit_key_store_url_wins(tmp_path: Path) -> None:
    env = {"PIGUARD_DATABASE_URL": PG, "PIGUARD_KEYSTORE_URL": "sqlite:////secure/keys.db"}
    assert default_urls(tmp_path, env) == (PG, "sqlite:////secure/keys.db")


def test_empty_variables_count_as_unset(tmp_path: Path) -> None:
    env = {"PIGUARD_DATABASE_URL": "", "PIGUARD_KEYSTORE_URL": ""}
    assert default_urls(tmp_path, env) == default_urls(tmp_path, {})


@pytest.mark.parametrize(
    "env",
    [
        {"PIGUARD_DATABASE_URL": "mysql://u:p@h/db"},
        {"PIGUARD_KEYSTORE_URL": "not a url"},
        {"PIGUARD_KEYSTORE_URL": "SQLITE_SAME"},
    ],
    ids=["unsupported", "malformed", "same-file"],
)
def test_bad_configurations(tmp_path: Path, env: dict[str, str]) -> None:
    env = {k: v.replace("SQLITE_SAME", f"sqlite:///{tmp_path}/data.db") for k, v in env.items()}
    with pytest.raises(ConfigError):
        default_urls(tmp_path, env)
