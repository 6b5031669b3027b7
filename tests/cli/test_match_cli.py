"""``piguard match`` (issue 11, item 17): the stated value comes from standard input, never argv,
and the answer is yes or no only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.test_cli import home, login_as, run, runner, write

from piguard.cli.main import app

__all__ = ["home"]  # the fixture, imported


@pytest.mark.req("R-USE-4")
def test_match_reads_the_value_from_stdin_and_answers_yes_or_no(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path, "one.jsonl", json.dumps({"name": "张三", "mobile": "13912344865"}).encode() + b"\n"
    )
    code, data, _ = run("import", str(path), "--json")
    assert code == 0 and isinstance(data, dict)
    cid = data["ids"][0]
    login_as(home, "customer_service", monkeypatch)
    base = ["match", "--customer", cid, "--field", "mobile", "--purpose", "service"]
    said = runner.invoke(app, [*base, "--json"], input="+86 139 1234 4865\n")
    assert said.exit_code == 0, said.output
    assert json.loads(said.stdout) == {"customer_id": cid, "field": "mobile", "match": True}
    wrong = runner.invoke(app, base, input="13912344866\n")
    assert wrong.exit_code == 0 and "match: no" in wrong.stdout
    assert "13912344866" not in wrong.stdout + wrong.stderr
    # The value is not an argument at all: argv would keep it in shell history and ps.
    extra = runner.invoke(app, [*base, "13912344865"])
    assert extra.exit_code != 0
    # A field customer service may not read is refused, not answered "no".
    card = ["match", "--customer", cid, "--field", "bank_card", "-p", "service", "--json"]
    refused = runner.invoke(app, card, input="6222021234567890128\n")
    assert refused.exit_code == 4 and json.loads(refused.stdout)["error"] == "forbidden"
