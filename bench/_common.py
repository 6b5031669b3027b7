"""Shared pieces of the benchmarks: synthetic rows, fresh homes, staff contexts, percentiles, output.

Installations are opened as installed (the real gate, access control, consent ledger and audit
trail), only with cheap argon2 parameters so that creating bench users is fast. Writes (imports,
key rotation) use the bootstrap credential, which may only write and administer; every read and
search goes through a real staff user from :func:`staff_context`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from argon2 import PasswordHasher

from piguard.access import AccessControl
from piguard.access.credentials import Passwords, totp_now
from piguard.access.decision import BOOTSTRAP_ROLE
from piguard.demo import bank_card, resident_id
from piguard.gate import RequestContext
from piguard.installation import Installation, init_home
from piguard.vault.model import Actor

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌宇浩然子涵一诺欣怡"
#: The bootstrap credential: writes (imports) and administration only; it reads nothing.
BOOT = Actor("bench", BOOTSTRAP_ROLE)
CTX = RequestContext(BOOT, "service", client="bench")
#: Cheap argon2id parameters (time 1, 8 KiB, 1 lane): bench users are created in milliseconds.
CHEAP_PASSWORDS = Passwords(PasswordHasher(1, 8, 1))
#: Step-up lasts the whole run (the default 10 minutes could lapse during a full run).
STEP_UP_TTL = timedelta(days=1)


def synthetic_rows(n: int, seed: int = 7) -> list[dict[str, str]]:
    """``n`` valid, distinct customer rows (fast: no faker), same for every run with the same seed."""
    rng = random.Random(seed)
    rows = []
    start = date(1950, 1, 1)
    for i in range(n):
        birth = start + timedelta(days=rng.randrange(0, 50 * 365))
        rows.append(
            {
                "name": rng.choice(SURNAMES)
                + rng.choice(GIVEN)
                + (rng.choice(GIVEN) if rng.random() < 0.6 else ""),
                "gender": "F" if i % 2 else "M",
                "birth_date": birth.isoformat(),
                "resident_id": resident_id(rng, birth, i % 2 == 1),
                "mobile": f"13{rng.randrange(10)}{i:08d}",
                "email": f"user{i}@example.com",
                "address": f"北京市朝阳区建国路{rng.randrange(1, 999)}号{rng.randrange(1, 30)}层",
                "bank_card": bank_card(rng),
            }
        )
    return rows


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(samples_s: list[float]) -> dict[str, float]:
    us = [s * 1e6 for s in samples_s]
    return {
        "p50_us": round(percentile(us, 50), 1),
        "p99_us": round(percentile(us, 99), 1),
        "mean_us": round(statistics.fmean(us), 1),
    }


def parser(description: str, *, customers: bool = False) -> argparse.ArgumentParser:
    """The benchmarks' common options; ``customers``: also ``--customers N`` (0: the bench's default)."""
    p = argparse.ArgumentParser(description=description)
    if customers:
        p.add_argument("--customers", type=int, default=0, help="how many customers (default: the full size)")
    p.add_argument("--quick", action="store_true", help="small sizes; finishes within 60 s")
    p.add_argument(
        "--backend",
        choices=["sqlite", "postgres", "both"],
        default="sqlite",
        help="postgres needs PIGUARD_TEST_PG_URL (scripts/pg-test-server start)",
    )
    return p


def backends(choice: str) -> list[str]:
    wanted = ["sqlite", "postgres"] if choice == "both" else [choice]
    if "postgres" in wanted and not os.environ.get("PIGUARD_TEST_PG_URL"):
        print("postgres skipped: PIGUARD_TEST_PG_URL not set", file=sys.stderr)
        wanted.remove("postgres")
    return wanted


@contextmanager
def fresh_installation(backend: str, expected: int) -> Iterator[Installation]:
    """A new home on ``backend``, opened as installed (cheap password hashing only)."""
    with tempfile.TemporaryDirectory(prefix="piguard-bench-") as tmp:
        env = dict(os.environ)
        for k in (
            "PIGUARD_DATABASE_URL",
            "PIGUARD_KEYSTORE_URL",
            "PIGUARD_MASTER_KEY",
            "PIGUARD_MASTER_KEY_FILE",
        ):
            env.pop(k, None)
        home = Path(tmp) / "home"
        if backend == "postgres":
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests.pg import fresh_database

            with fresh_database() as url:
                env["PIGUARD_DATABASE_URL"] = url
                yield from _opened(home, env, expected)
        else:
            yield from _opened(home, env, expected)


def _opened(home: Path, env: dict[str, str], expected: int) -> Iterator[Installation]:
    init_home(home, environ=env, expected_customers=expected)
    inst = Installation(home, environ=env, passwords=CHEAP_PASSWORDS)
    try:
        yield inst
    finally:
        inst.close()


def staff_session(
    inst: Installation,
    role: str,
    purpose: str,
    *,
    name: str | None = None,
    access: AccessControl | None = None,
    client: str = "bench",
) -> tuple[RequestContext, str]:
    """A request context of a real staff user of catalog ``role`` asking for ``purpose``, and
    the user's session token.

    The user is created by the bootstrap administrator, trained (NDA agreement and PIPL
    course, today), logged in with password and TOTP (so stepped up, for
    :data:`STEP_UP_TTL`) and authenticated from the session token, as the API's edge does.

    :param name: the user name (default ``bench_<role>``); one user per name.
    :param access: the access control to create the user in (default: the installation's).
    """
    ac = access or inst.access
    ac.step_up_ttl = STEP_UP_TTL
    name = name or f"bench_{role}"
    user = ac.add_user(BOOT, name, role)
    today = ac.training.today()
    ac.record_training(BOOT, name, kind="agreement", course="NDA", completed_on=today)
    ac.record_training(BOOT, name, kind="course", course="PIPL", completed_on=today, score=100)
    login = ac.login(name, user["password"], totp_now(user["totp_secret"], ac.clock.now()))
    actor = ac.authenticate(login.token)
    assert ac.stepped_up(actor), f"{name} is not stepped up"
    return RequestContext(actor, purpose, client=client), login.token


def staff_context(
    inst: Installation,
    role: str,
    purpose: str,
    *,
    name: str | None = None,
    access: AccessControl | None = None,
    client: str = "bench",
) -> RequestContext:
    """See :func:`staff_session`; the context only."""
    return staff_session(inst, role, purpose, name=name, access=access, client=client)[0]


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def finish(figures: dict[str, Any]) -> None:
    figures["machine"] = machine()
    figures["date"] = date.today().isoformat()
    print(json.dumps(figures, ensure_ascii=False))
