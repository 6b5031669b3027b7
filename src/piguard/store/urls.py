"""Where the two databases live unless configured otherwise."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from piguard.errors import ConfigError
from piguard.store._engine import parse_url

DATA_URL_ENV = "PIGUARD_DATABASE_URL"
KEYSTORE_URL_ENV = "PIGUARD_KEYSTORE_URL"


def default_urls(home: Path, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The URLs of the DATA database and the KEY STORE.

    - ``PIGUARD_DATABASE_URL`` if set, else ``sqlite:///<home>/data.db``;
    - ``PIGUARD_KEYSTORE_URL`` if set; else, for a PostgreSQL data URL, the same URL
      (the key store then lives in its own schema, ``piguard_keys``, on that server);
      else ``sqlite:///<home>/keys.db``.

    The key store is never put in the data file: a restored copy of the data must not
    bring erased customers' keys back with it.

    :param home: the installation's home directory.
    :param environ: the environment to read (default :data:`os.environ`).
    :raises ConfigError: a URL is malformed or names an unsupported database, or both
        URLs name the same SQLite file.
    """
    env = os.environ if environ is None else environ
    home = home.resolve()
    data_url = env.get(DATA_URL_ENV) or f"sqlite:///{home / 'data.db'}"
    key_url = env.get(KEYSTORE_URL_ENV)
    if not key_url:
        if parse_url(data_url).get_backend_name() == "postgresql":
            key_url = data_url
        else:
            key_url = f"sqlite:///{home / 'keys.db'}"
    data, keys = parse_url(data_url), parse_url(key_url)
    if data.get_backend_name() == "sqlite" and keys.get_backend_name() == "sqlite":
        if data.database == keys.database:
            raise ConfigError("the key store must not share the data database's SQLite file")
    return data_url, key_url
