"""``piguard jobs``: the installation's jobs, run under leases as their own system principals."""

from __future__ import annotations

from pathlib import Path

import pytest

from piguard.installation import Installation
from tests.cli.test_cli import home, login_as, run

__all__ = ["home"]  # the fixture, imported for these tests


@pytest.mark.req("R-MIN-4")
def test_the_birthday_job_runs_from_the_runner_as_system_birthdays(home: Path) -> None:
    code, listed, _ = run("jobs", "list", "--json")
    assert code == 0 and isinstance(listed, dict)
    jobs = [
        "birthdays", "outbox", "rights_clock", "destruction_check", "retention", "incident_clock",
        "compliance_schedule", "compliance_report",
    ]  # fmt: skip
    assert [j["name"] for j in listed["jobs"]] == jobs
    code, ran, _ = run("jobs", "run", "--json")
    assert code == 0 and isinstance(ran, dict)
    assert {"name": "birthdays", "outcome": "ok", "count": 0} in ran["ran"]
    assert {r["name"] for r in ran["ran"]} == set(jobs)
    assert all(r["outcome"] == "ok" for r in ran["ran"]), ran  # system principals may run every job
    # Run once; not due again within the hour, on this node or any other.
    assert run("jobs", "run", "--json")[1] == {"ran": []}
    with Installation(home) as inst:
        [entry] = inst.audit.query(action="minors_reevaluate", limit=10)
        assert (entry.actor_id, entry.role, entry.decision) == ("system:birthdays", "system", "allow")
        rows = {row["name"]: row for row in inst.jobs.status()}
        assert (rows["birthdays"]["runs"], rows["birthdays"]["owner"]) == (1, None)
        assert {row["last_outcome"] for row in rows.values()} == {"ok"}


def test_starting_jobs_needs_an_administering_role(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    login_as(home, "customer_service", monkeypatch)
    code, out, _ = run("jobs", "run", "--force", "birthdays", "--json")
    assert code != 0 and isinstance(out, dict) and "administering" in str(out)
    monkeypatch.delenv("PIGUARD_TOKEN")
    code, out, _ = run("jobs", "run", "nope", "--json")
    assert code != 0 and "no job 'nope'" in str(out)
