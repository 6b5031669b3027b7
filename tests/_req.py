"""The ``req`` marker: which numbered requirements a test checks, and the map of them.

A test names the requirements of ``shared/requirements.md`` it checks with one marker::

    @pytest.mark.req("R-USE-4")
    def test_mobile_shows_at_most_seven_digits() -> None: ...

    pytestmark = pytest.mark.req("R-AUD-1", "R-AUD-2")  # every test of the module

The marker is the source: names and docstrings may repeat an ID for the reader, but a
test whose name (``..._r_use_4``) or docstring prefix (``"R-USE-4: ..."``) names an ID
its markers lack fails collection, so the two cannot drift apart.

At collection every argument is checked: it must have the shape ``R-XXX-N`` and, when
the requirements file is reachable, be one of the IDs it defines (``**R-XXX-N**``).
The file is ``$PIGUARD_REQUIREMENTS_MD`` if set, else ``<repo>/../shared/requirements.md``
(in CI a copy of ``shared/`` sits beside the clone); without it only the shape is checked.
An unknown ID stops the run before any test executes, naming the test and the ID.

At the end of every run ``test-artifacts/requirements-map.json`` (under the rootdir, or
``--req-map PATH``) lists each requirement's tests and their outcomes; the compliance
report reads it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

#: The shape of a requirement ID.
REQ_ID = re.compile(r"R-[A-Z]{3}-\d+")
_DEFINED = re.compile(r"\*\*(R-[A-Z]{3}-\d+)\*\*")
_NAME_ID = re.compile(r"(?:^|_)(r_[a-z]{3}_\d+)(?=_|$|\[)", re.IGNORECASE)
_DOC_HEAD = re.compile(r"^\s*((?:R-[A-Z]{3}-\d+)(?:[^:\n]*?))\s*:")

DEFAULT_REQUIREMENTS = Path(__file__).resolve().parents[1].parent / "shared" / "requirements.md"
MAP_SCHEMA = 1
MARKER = "req(*ids): the requirements (R-XXX-N) of shared/requirements.md a test checks"


def requirements_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The requirements checklist to validate against, or None when it is not reachable."""
    env = os.environ if environ is None else environ
    configured = env.get("PIGUARD_REQUIREMENTS_MD")
    path = Path(configured) if configured else DEFAULT_REQUIREMENTS
    return path if path.is_file() else None


def known_ids(path: Path | None) -> frozenset[str] | None:
    """The IDs the checklist defines (written ``**R-XXX-N**``); None without a file."""
    if path is None:
        return None
    return frozenset(_DEFINED.findall(path.read_text(encoding="utf-8")))


def check_ids(args: Iterable[object], known: frozenset[str] | None) -> list[str]:
    """Problems with one marker's arguments: empty, not a string, bad shape, unknown ID."""
    values = list(args)
    if not values:
        return ["req marker without a requirement ID"]
    problems = []
    for value in values:
        if not isinstance(value, str) or not REQ_ID.fullmatch(value):
            problems.append(f"{value!r} is not a requirement ID (expected the shape R-XXX-N)")
        elif known is not None and value not in known:
            problems.append(f"{value} is not a requirement of the checklist")
    return problems


def named_ids(name: str, doc: str | None) -> set[str]:
    """IDs a test's name (``r_use_4``) or docstring prefix (``R-USE-4 / R-MIN-1: ...``) names."""
    found = {m.group(1).upper().replace("_", "-") for m in _NAME_ID.finditer(name)}
    head = _DOC_HEAD.match(doc or "")
    if head:
        found |= set(REQ_ID.findall(head.group(1)))
    return found


def item_ids(item: pytest.Item) -> list[str]:
    """The requirement IDs of a collected test, from its own, its class's and its module's markers."""
    ids: list[str] = []
    for marker in item.iter_markers("req"):
        ids += [a for a in marker.args if isinstance(a, str)]
    return sorted(set(ids))


def _commit(root: Path) -> str | None:
    """The commit under test: ``$PIGUARD_TEST_COMMIT``, else ``git rev-parse HEAD`` (with ``+dirty``
    when the work tree has changes), else None."""
    if os.environ.get("PIGUARD_TEST_COMMIT"):
        return os.environ["PIGUARD_TEST_COMMIT"]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def _outcome(report: pytest.TestReport) -> str | None:
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return "xpassed" if report.passed else "xfailed"
        return report.outcome
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if hasattr(report, "wasxfail") else "skipped"
    return None


@dataclass(eq=False)  # pluggy keeps plugins in sets: hashable by identity
class RequirementMap:
    """Collects requirement IDs at collection and outcomes while the tests run."""

    config: pytest.Config
    known: frozenset[str] | None
    source: Path | None
    tests: dict[str, list[str]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        problems = []
        for item in items:
            for marker in item.iter_markers("req"):
                if marker.kwargs:
                    problems.append(f"{item.nodeid}: req marker takes IDs only, not {sorted(marker.kwargs)}")
                problems += [f"{item.nodeid}: {p}" for p in check_ids(marker.args, self.known)]
            ids = item_ids(item)
            function = getattr(item, "function", None)
            if function is not None:
                missing = named_ids(getattr(item, "originalname", item.name), function.__doc__) - set(ids)
                problems += [
                    f"{item.nodeid}: names {i} but has no @pytest.mark.req({i!r})" for i in sorted(missing)
                ]
            if ids:
                self.tests[item.nodeid] = ids
        if problems:
            where = f"the IDs of {self.source}" if self.source else "the shape R-XXX-N (no requirements file)"
            raise pytest.UsageError(
                f"invalid requirement markers (checked against {where}):\n  " + "\n  ".join(problems)
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid not in self.tests:
            return
        outcome = _outcome(report)
        if outcome is None:
            return
        previous = self.outcomes.get(report.nodeid)
        if previous in ("failed", "error"):
            return  # a teardown error after a failure keeps the failure
        if outcome == "error" and previous is not None:
            outcome = "failed"  # failed in teardown after the call
        self.outcomes[report.nodeid] = outcome

    def as_dict(self) -> dict[str, Any]:
        by_req: dict[str, list[str]] = {}
        for nodeid, ids in self.tests.items():
            for i in ids:
                by_req.setdefault(i, []).append(nodeid)
        return {
            "schema": MAP_SCHEMA,
            # Which code the outcomes are of (the compliance report shows it beside each test).
            "commit": _commit(self.config.rootpath),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": str(self.source) if self.source else None,
            "args": list(self.config.invocation_params.args),
            "requirements": {i: sorted(nodes) for i, nodes in sorted(by_req.items())},
            "outcomes": {n: self.outcomes.get(n, "not run") for n in sorted(self.tests)},
            "untested": sorted(self.known - by_req.keys()) if self.known is not None else None,
        }

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        option = self.config.getoption("req_map")
        path = Path(option) if option else self.config.rootpath / "test-artifacts" / "requirements-map.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--req-map",
        dest="req_map",
        default=None,
        help="where to write the requirement -> tests map (default: test-artifacts/requirements-map.json)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not any(line.split(":")[0].split("(")[0].strip() == "req" for line in config.getini("markers")):
        config.addinivalue_line("markers", MARKER)  # pyproject registers it; pytester runs do not
    source = requirements_file()
    config.pluginmanager.register(RequirementMap(config, known_ids(source), source), "piguard-req-map")
