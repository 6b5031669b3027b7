"""The README works as written, top to bottom (issue 11, item 19).

Every ``sh`` block of README.md runs, as printed, in one bash session (``set -euo pipefail``: any
failing command fails the test) from a scratch directory that looks like the repository root, on a
fresh demo home; the Python SDK example runs at its place against the server the HTTP block
started. A block is left out only when a ``<!-- readme-test: skip (why) -->`` line precedes it.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP = "<!-- readme-test: skip"
_BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.S | re.M)


def blocks(text: str) -> list[tuple[str, str]]:
    """The README's ``(language, code)`` blocks that run, in order."""
    out = []
    for match in _BLOCK.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        if not before.startswith(SKIP):
            out.append((match[1], match[2]))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_readme_blocks_are_found() -> None:
    found = blocks(README.read_text(encoding="utf-8"))
    assert [lang for lang, _ in found].count("python") == 1
    assert sum(lang == "sh" for lang, _ in found) >= 2
    # `make demo` serves until Ctrl-C: its block is skipped, and no block that runs calls it.
    assert not re.search(r"^make (demo|test)", "".join(code for _, code in found), re.M)


def test_readme_runs_as_printed(tmp_path: Path) -> None:
    # The scratch directory is the repository root as far as the README can tell.
    for name in (".venv", "scripts", "catalogs", "docs", "src"):
        (tmp_path / name).symlink_to(ROOT / name)
    script = ["set -euo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for index, (lang, code) in enumerate(blocks(README.read_text(encoding="utf-8"))):
        script.append(f"echo '::readme block {index}::' >&2")
        if lang == "sh":
            script.append(code)
        else:
            example = tmp_path / f"readme_block_{index}.py"
            example.write_text(code, encoding="utf-8")
            script.append(f"python {shlex.quote(example.name)} > {shlex.quote(example.stem)}.out")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIGUARD_")}
    env.update(PIGUARD_PORT=str(_free_port()), PIGUARD_JOB_INTERVAL="0", COLUMNS="100")
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    where = re.findall(r"::readme block (\d+)::", done.stderr)
    assert done.returncode == 0, (
        f"README block {where[-1] if where else '?'} failed (exit {done.returncode}):\n"
        f"{done.stderr[-3000:]}\n--- stdout ---\n{done.stdout[-3000:]}"
    )
    out = done.stdout
    # What the README's comments promise is what happened.
    assert "accepted 5, rejected 1" in out and "checksum does not match" in out
    assert "李**" in out and "185****0320" in out
    assert "grant grt_" in out and ": approved" in out
    (sdk,) = [p.read_text(encoding="utf-8").splitlines() for p in tmp_path.glob("readme_block_*.out")]
    assert sdk[0] == "138****8000 masked"  # the API key's read
    assert sdk[1].startswith("5 [")  # the dry-run import: five accepted, the bad row rejected
    assert sdk[2].startswith("mobile ")  # the ValidationError names the field, not the value
    assert sdk[-1] == "clear"  # finance, after the officer's approval


def test_build_artefacts_are_not_committed() -> None:
    """``src/piguard.egg-info`` (written by ``pip install -e``) is ignored, never committed."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    assert not [p for p in listed.stdout.splitlines() if ".egg-info" in p]
    assert "*.egg-info/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
