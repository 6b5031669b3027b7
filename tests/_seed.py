"""One seed per run, printed, for ``random`` and Hypothesis; deterministic Hypothesis settings in CI.

The seed is ``$PIGUARD_TEST_SEED`` if set, else drawn fresh. It is shown in the report header
(and again under a failing run), so ``PIGUARD_TEST_SEED=<seed> pytest ...`` repeats the run:

- ``random`` is seeded with it at start-up and, before each test, with ``<seed>:<node id>``,
  so a test sees the same values whatever ran before it; the ``rng`` fixture gives a private
  ``random.Random`` seeded the same way;
- Hypothesis gets it as ``--hypothesis-seed`` unless that is given. Derandomisation stays off:
  each run explores new inputs, the seed tells which.

Hypothesis profiles: ``piguard-ci`` (loaded when ``$CI`` is set) keeps no example database, so
a run depends on the seed alone, and prints the reproduction blob of a failure;
``piguard-dev`` (otherwise) keeps the database in ``.hypothesis/`` and prints the blob too.
``--hypothesis-profile`` still wins.
"""

from __future__ import annotations

import os
import random
import secrets

import pytest
from hypothesis import settings

ENV = "PIGUARD_TEST_SEED"
CI_PROFILE = "piguard-ci"
DEV_PROFILE = "piguard-dev"

settings.register_profile(CI_PROFILE, database=None, derandomize=False, print_blob=True)
settings.register_profile(DEV_PROFILE, derandomize=False, print_blob=True)

_SEED = pytest.StashKey[int]()
_HYPOTHESIS_SEED = pytest.StashKey[str]()


def session_seed(environ: dict[str, str] | os._Environ[str] | None = None) -> int:
    """``$PIGUARD_TEST_SEED`` as an integer, or a fresh 32-bit seed."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV, "").strip()
    if not raw:
        return secrets.randbits(32)
    try:
        return int(raw, 0)
    except ValueError:
        raise pytest.UsageError(f"{ENV}={raw!r} is not an integer") from None


def seed_of(config: pytest.Config) -> int:
    return config.stash[_SEED]


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's own pytest_configure reads its options
def pytest_configure(config: pytest.Config) -> None:
    seed = session_seed()
    config.stash[_SEED] = seed
    random.seed(seed)
    if getattr(config.option, "hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(seed)
    config.stash[_HYPOTHESIS_SEED] = str(config.option.hypothesis_seed)
    settings.load_profile(CI_PROFILE if os.environ.get("CI") else DEV_PROFILE)


def pytest_sessionstart(session: pytest.Session) -> None:
    # -q hides the report header; the seed is shown anyway.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and session.config.option.verbose < 0:
        reporter.write_line(_describe(session.config))


def pytest_report_header(config: pytest.Config) -> str:
    return _describe(config)


def _describe(config: pytest.Config) -> str:
    seed = seed_of(config)
    hypothesis_seed = config.stash[_HYPOTHESIS_SEED]
    same = hypothesis_seed == str(seed)
    used_by = "random, hypothesis" if same else f"random; hypothesis {hypothesis_seed}"
    return (
        f"piguard test seed: {seed} ({used_by}; repeat with {ENV}={seed}); "
        f"hypothesis profile {settings.get_current_profile_name()!r}"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    random.seed(f"{seed_of(item.config)}:{item.nodeid}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
    if exitstatus == pytest.ExitCode.TESTS_FAILED:
        seed = seed_of(terminalreporter.config)
        terminalreporter.write_line(f"piguard test seed was {seed}: repeat with {ENV}={seed}")


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """A private random source for the test, from the run's seed and the test's node id."""
    return random.Random(f"{seed_of(request.config)}:{request.node.nodeid}")
