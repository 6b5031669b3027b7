"""The committed OpenAPI document (``openapi.json``): built from the app, compared in CI.

The routes do not depend on an installation's catalog or keys, so the document is built
over a throwaway home; ``scripts/openapi`` writes it and ``tests/api/test_openapi.py`` fails
when the committed copy and the app disagree.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from piguard.crypto.keyring import generate_master_secret


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI 3.1 document."""
    from piguard.api.app import create_app
    from piguard.installation import Installation, init_home

    with tempfile.TemporaryDirectory(prefix="piguard-openapi-") as tmp:
        key = Path(tmp) / "master.key"
        key.write_text(generate_master_secret())
        env = {"PIGUARD_MASTER_KEY_FILE": str(key)}
        init_home(Path(tmp) / "home", environ=env, expected_customers=1000)
        with Installation(Path(tmp) / "home", environ=env) as inst:
            return create_app(inst).openapi()


def render(document: dict[str, Any]) -> str:
    """The canonical text of a document: sorted keys, two-space indent, UTF-8, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
