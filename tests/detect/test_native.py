"""The compiled detector (piguard.native): the same findings as the sources, never a stale build.

R-USE-4 (masking in logs and notes) rests on the detector; the compiled build must not change
one finding, and an edited source must never run as its old compiled self.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from piguard import native

ROOT = Path(__file__).resolve().parents[2]

# Findings and masked texts of the generated notes, the held-out notes, a log in bulk mode and
# a mixed text, as JSON: what each build prints to be compared.
_DUMP = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import piguard.detect.engine as engine
from piguard.detect import Detector
from piguard.detect.corpus import generate, generate_log
from tests.detect.heldout import generate as heldout
det = Detector()
texts = [d.text for d in generate(800, seed=7)] + [d.text for d in heldout(400, seed=11)]
out = {"engine": engine.__file__, "notes": [], "masked": []}
for t in texts:
    out["notes"].append([list(f) for f in det.detect(t)])
    out["masked"].append(det.mask_text(t, audience="customer").text)
log = generate_log(1500, seed=3)
out["bulk"] = [list(f) for f in det.detect(log, mode="bulk")]
out["types"] = [list(f) for f in det.detect(texts[0] + texts[1], types={"mobile", "person"})]
print(json.dumps(out, ensure_ascii=False))
"""


def _dump(env: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", _DUMP, str(ROOT)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _engine_file(env: dict[str, str]) -> str:
    code = "import piguard.detect.engine as e; print(e.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def built() -> native.NativeStatus:
    state = native.status()
    if not state.active:
        pytest.skip(f"no usable native build: {state.reason}")
    return state


@pytest.mark.req("R-USE-4")
def test_ci_runs_the_compiled_detector() -> None:
    # make setup builds it; in CI a silent fall-back to pure Python would leave it untested.
    if os.environ.get("CI") != "true":
        pytest.skip("only enforced in CI")
    state = native.status()
    assert state.active, state.reason


@pytest.mark.req("R-USE-4")
def test_compiled_and_pure_find_exactly_the_same(built: native.NativeStatus) -> None:
    compiled = _dump({})
    pure = _dump({"PIGUARD_PURE": "1"})
    assert compiled["engine"].endswith(".so") and pure["engine"].endswith(".py")
    assert sum(map(len, compiled["notes"])) > 3000  # the comparison covers real findings
    assert compiled["bulk"]
    for key in ("notes", "masked", "bulk", "types"):
        assert compiled[key] == pure[key], key


@pytest.mark.req("R-USE-4")
def test_a_changed_source_disables_the_whole_build(built: native.NativeStatus, tmp_path: Path) -> None:
    copy = tmp_path / "native"
    shutil.copytree(built.directory, copy)
    assert _engine_file({"PIGUARD_NATIVE_DIR": str(copy)}).endswith(".so")
    stamp = json.loads((copy / native.STAMP).read_text(encoding="utf-8"))
    stamp["modules"]["piguard.detect.recognizers.digits"] = "0" * 64  # as if digits.py was edited
    (copy / native.STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    # Not one module of the group is used: engine.py did not change, but it calls digits natively.
    assert _engine_file({"PIGUARD_NATIVE_DIR": str(copy)}).endswith("engine.py")


def _stamp(directory: Path, **changes: Any) -> None:
    stamp: dict[str, Any] = {
        "interpreter": native.interpreter_tag(),
        "modules": native.source_digests(),
        "files": {m: f"tree/{m}.so" for m in native.MODULES},
    }
    stamp.update(changes)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / native.STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    for name in stamp["files"].values():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(b"")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"interpreter": "cpython-39-other"}, "built for cpython-39-other"),
        ({"modules": {}}, "sources changed since the build"),
        ({"files": {}}, "build incomplete"),
    ],
)
def test_an_unusable_build_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any], reason: str
) -> None:
    monkeypatch.delenv("PIGUARD_PURE", raising=False)
    _stamp(tmp_path, **changes)
    problem = native._check(tmp_path)
    assert problem is not None and reason in problem


def test_a_matching_stamp_is_usable_and_pure_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIGUARD_PURE", raising=False)
    _stamp(tmp_path)
    assert native._check(tmp_path) is None
    monkeypatch.setenv("PIGUARD_PURE", "1")
    assert native._check(tmp_path) == "PIGUARD_PURE is set"
    monkeypatch.delenv("PIGUARD_PURE")
    assert "no build in" in (native._check(tmp_path / "absent") or "")
