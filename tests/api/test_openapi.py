"""The committed openapi.json is the app's schema, and it describes a hardened API (issue 6 §1)."""

from __future__ import annotations

import json
from pathlib import Path

from piguard.api.schema import openapi_document, render

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_matches_the_app() -> None:
    committed = (ROOT / "openapi.json").read_text(encoding="utf-8")
    assert committed == render(openapi_document()), "openapi.json is out of date: run scripts/openapi"


def test_schema_is_openapi_31_with_problems_and_security() -> None:
    doc = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    assert doc["openapi"].startswith("3.1")
    schemes = doc["components"]["securitySchemes"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schemes)
    read = doc["paths"]["/v1/records/{record_type}/{record_id}"]["get"]
    assert "application/problem+json" in read["responses"]["401"]["content"]
    assert "429" in read["responses"] and "413" in read["responses"]
    # The console is not part of the API contract.
    assert not any(path.startswith("/console") for path in doc["paths"])
    # Search values travel in bodies: no operation takes a "value" query parameter.
    for item in doc["paths"].values():
        for op in item.values():
            assert not any(p.get("in") == "query" and p["name"] == "value" for p in op.get("parameters", []))
