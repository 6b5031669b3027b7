"""The check protocol and its registry (as Presidio's recognizers: a small class per check, one
file per area, one registry).

A check names the requirement IDs it proves and runs against one :class:`Env`: the caller's
context, the catalog, the gate, the readings of other capabilities (:class:`~..sources.Sources`)
and this capability's own governance records. It returns a :class:`CheckResult`; it never
returns ``pass`` without having looked, and a reading that is not wired makes it
``not_available``. An exception while it runs (a refusal, a broken store) is caught by
:func:`run_checks` and reported as ``fail`` naming the error, never as a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from piguard.catalog import Catalog
from piguard.compliance.model import CheckResult, CheckStatus
from piguard.compliance.schedule import LARGE_PROCESSOR
from piguard.compliance.sources import Sources
from piguard.errors import AccessDenied, Error
from piguard.gate.sdk import Kernel, RequestContext


@dataclass(frozen=True)
class Env:
    """What a check may look at."""

    ctx: RequestContext
    catalog: Catalog
    kernel: Kernel
    sources: Sources
    today: date
    #: Customers with data in the vault (data subjects).
    persons: int
    #: The current governance records by kind (``officer``, ``policy``, ``audit``): dicts.
    governance: Callable[[str], list[dict[str, Any]]]
    #: Persons above which a compliance audit is due every 2 years.
    audit_threshold: int = LARGE_PROCESSOR


class Check:
    """One live check; subclasses set the class attributes and :meth:`run`."""

    #: A stable dotted name (``audit.chain``).
    name: ClassVar[str]
    requirements: ClassVar[tuple[str, ...]]
    #: What it verifies, in Chinese and English (the report prints them).
    title: ClassVar[tuple[str, str]]

    def run(self, env: Env) -> CheckResult:
        raise NotImplementedError

    # Helpers for subclasses.
    def result(self, status: CheckStatus, summary: str, **evidence: Any) -> CheckResult:
        return CheckResult(self.name, self.requirements, status, summary, dict(evidence))

    def unavailable(self, what: str) -> CheckResult:
        return self.result("not_available", f"{what} is not installed: nothing to check yet")


class Registry:
    """The checks, by name (names unique)."""

    def __init__(self, checks: Iterable[Check] = ()) -> None:
        self._checks: dict[str, Check] = {}
        for check in checks:
            self.add(check)

    def add(self, check: Check) -> None:
        if check.name in self._checks:
            raise ValueError(f"check {check.name!r} is registered twice")
        self._checks[check.name] = check

    def __iter__(self) -> Any:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def for_requirement(self, requirement: str) -> list[Check]:
        return [c for c in self._checks.values() if requirement in c.requirements]

    def covered(self) -> dict[str, list[str]]:
        """Requirement ID -> the names of the checks that prove it."""
        out: dict[str, list[str]] = {}
        for check in self._checks.values():
            for req in check.requirements:
                out.setdefault(req, []).append(check.name)
        return out


def run_checks(checks: Sequence[Check], env: Env) -> list[CheckResult]:
    """Run ``checks``; a check that raises is a ``fail`` naming the error type and its message
    (piguard's errors carry no customer values), so nothing unverified passes."""
    results = []
    for check in checks:
        try:
            results.append(check.run(env))
        except AccessDenied as exc:
            results.append(check.result("fail", f"could not run: refused ({exc.reason})", error="refused"))
        except Error as exc:
            results.append(check.result("fail", f"could not run: {type(exc).__name__}", error=str(exc)))
        except Exception as exc:  # a failing check must not stop the report
            results.append(check.result("fail", f"could not run: {type(exc).__name__}", error="internal"))
    return results


def counted(items: Iterable[Mapping[str, Any]], key: str) -> dict[str, int]:
    """How many items have each value of ``key``."""
    out: dict[str, int] = {}
    for item in items:
        value = str(item.get(key))
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items()))
