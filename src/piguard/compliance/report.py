"""The compliance report: every requirement of the checklist with its status and evidence.

Per requirement, the live checks that name it (:mod:`.checks`), the tests that name it (read
from the suite's ``requirements-map.json``, with their outcomes and the commit they ran at) and
the gaps. The status is derived, never declared:

- ``fail``: a live check failed, or a test naming it failed;
- ``pass``: every live check passed (at least one) and no test failed;
- ``record``: the evidence is a record on file (officer, policies, training, audits), none failed;
- ``partial``: some evidence holds and part is missing (a check not available, or tests only);
- ``not_available``: nothing proves it yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from piguard.compliance.model import CheckResult, RequirementResult, RequirementStatus
from piguard.compliance.requirements import Requirement

SCHEMA = "piguard.compliance.report/1"
PROVING = frozenset({"passed"})
FAILING = frozenset({"failed", "error"})


def load_test_map(path: Path | None) -> dict[str, Any] | None:
    """The suite's requirement map (``test-artifacts/requirements-map.json``), or None."""
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "requirements" in data else None


def _tests_for(req: str, tests: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if tests is None:
        return []
    outcomes = tests.get("outcomes", {})
    return [
        {"test": n, "outcome": outcomes.get(n, "not run")} for n in tests.get("requirements", {}).get(req, [])
    ]


def status_of(
    checks: Sequence[CheckResult], tests: Sequence[Mapping[str, Any]]
) -> tuple[RequirementStatus, list[str]]:
    """A requirement's status and its gaps (see the module docstring)."""
    statuses = [c.status for c in checks]
    outcomes = [str(t["outcome"]) for t in tests]
    gaps: list[str] = []
    gaps += [f"{c.check}: {c.summary}" for c in checks if c.status == "not_available"]
    gaps += [f"{c.check}: {c.summary}" for c in checks if c.status == "fail"]
    gaps += [f"test failed: {t['test']}" for t in tests if t["outcome"] in FAILING]
    if not checks:
        gaps.append("no live check")
    if not tests:
        gaps.append("no test result names it")
    elif not any(o in PROVING for o in outcomes):
        gaps.append("its tests did not run in the recorded test run")
    if "fail" in statuses or any(o in FAILING for o in outcomes):
        return "fail", gaps
    missing = "not_available" in statuses
    if "pass" in statuses:
        return ("partial" if missing else "pass"), gaps
    if "record" in statuses:
        return ("partial" if missing else "record"), gaps
    if any(o in PROVING for o in outcomes):
        return "partial", gaps
    return "not_available", gaps


def assemble(
    requirements: Sequence[Requirement],
    results: Sequence[CheckResult],
    tests: Mapping[str, Any] | None,
) -> list[RequirementResult]:
    """One :class:`RequirementResult` per requirement, in checklist order."""
    out = []
    for req in requirements:
        checks = tuple(r for r in results if req.id in r.requirements)
        found = _tests_for(req.id, tests)
        status, gaps = status_of(checks, found)
        out.append(RequirementResult(req.id, req.title, req.kind, status, checks, tuple(found), tuple(gaps)))
    return out


def summary(requirements: Sequence[RequirementResult]) -> dict[str, int]:
    counts = {s: 0 for s in ("pass", "fail", "partial", "record", "not_available")}
    for r in requirements:
        counts[r.status] += 1
    return counts
