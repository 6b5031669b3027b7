"""The run's seed (tests/_seed.py): printed, taken from PIGUARD_TEST_SEED, given to random and Hypothesis."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests._seed import ENV, seed_of, session_seed

ROOT = Path(__file__).resolve().parents[1]


def test_seed_from_the_environment_or_fresh() -> None:
    assert session_seed({ENV: "1234"}) == 1234
    assert session_seed({ENV: " 0x10 "}) == 16
    assert 0 <= session_seed({}) < 2**32
    with pytest.raises(pytest.UsageError, match="not an integer"):
        session_seed({ENV: "abc"})


def test_rng_is_seeded_per_test(rng: random.Random, request: pytest.FixtureRequest) -> None:
    assert rng.random() == random.Random(f"{seed_of(request.config)}:{request.node.nodeid}").random()


def test_a_run_shows_and_uses_its_seed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # A subprocess: the seed goes into Hypothesis's global state, which must not leak into this run.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv(ENV, "123")
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest('pytest_plugins = ["tests._seed"]')
    pytester.makepyfile(
        """
        import random

        from hypothesis import core, given, strategies as st

        def test_random_is_seeded_per_test(request):
            assert random.random() == random.Random(f"123:{request.node.nodeid}").random()

        def test_hypothesis_gets_the_seed():
            assert core.global_force_seed == 123

        @given(st.integers())
        def test_fails(n):
            assert n != n
        """
    )
    shown = "piguard test seed: 123 (random, hypothesis; repeat with PIGUARD_TEST_SEED=123);"
    for args in ([], ["-q"]):  # the report header, or a line of its own where -q hides the header
        result = pytester.runpytest_subprocess(*args)
        result.assert_outcomes(passed=2, failed=1)
        result.stdout.fnmatch_lines(
            [shown + " hypothesis profile 'piguard-dev'", "*piguard test seed was 123: repeat with *=123"]
        )
        assert sum(line.startswith(shown) for line in result.stdout.lines) == 1
