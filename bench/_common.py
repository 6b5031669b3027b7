"""Shared pieces of the benchmarks: synthetic rows, fresh homes, percentiles, output."""

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

from piguard.demo import bank_card, resident_id
from piguard.installation import Installation, init_home
from piguard.service import RequestContext, Service
from piguard.vault.model import Actor

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌宇浩然子涵一诺欣怡"
CTX = RequestContext(Actor("bench", "bootstrap-admin"), "service", client="bench")


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


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
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
    with tempfile.TemporaryDirectory(prefix="piguard-bench-") as tmp:
        env = dict(os.environ)
        for k in (
            "PIGUARD_DATABASE_URL",
            "PIGUARD_KEYSTORE_URL",
            "PIGUARD_MASTER_KEY",
            "PIGUARD_MASTER_KEY_FILE",
        ):
            env.pop(k, None)
        if backend == "postgres":
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests.pg import fresh_database

            with fresh_database() as url:
                env["PIGUARD_DATABASE_URL"] = url
                home = Path(tmp) / "home"
                init_home(home, environ=env, expected_customers=expected)
                inst = Installation(home, environ=env)
                _without_accounts(inst)
                try:
                    yield inst
                finally:
                    inst.close()
        else:
            home = Path(tmp) / "home"
            init_home(home, environ=env, expected_customers=expected)
            inst = Installation(home, environ=env)
            _without_accounts(inst)
            try:
                yield inst
            finally:
                inst.close()


def _without_accounts(inst: Installation) -> None:
    """The gate as installed (consent checks, the audit trail) but without accounts, whose costs
    bench/gate.py measures on its own."""
    inst.service = Service(inst.vault, recorder=inst.audit, consent=inst.consent)


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def finish(figures: dict[str, Any]) -> None:
    figures["machine"] = machine()
    figures["date"] = date.today().isoformat()
    print(json.dumps(figures, ensure_ascii=False))
