"""The numbered requirement checklist (``requirements.md``, a copy of ``shared/requirements.md``
shipped with the package): every ID, its title line and its kind (E, R, E/R).

``tests/compliance/test_requirements.py`` fails when the copy drifts from the shared file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SOURCE = Path(__file__).with_name("requirements.md")
_LINE = re.compile(r"^- \*\*(R-[A-Z]{3}-\d+)\*\* (.*?)(?:\s\*\*(E/R|E|R)\*\*.*)?$")


@dataclass(frozen=True)
class Requirement:
    """One requirement: ``id`` (``R-XXX-N``), its text (sources stripped) and its kind."""

    id: str
    title: str
    kind: str


def parse(text: str) -> list[Requirement]:
    """The requirements defined in a checklist text, in order (a line ``- **R-XXX-N** ...``)."""
    found = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        title = match.group(2).split(" Source:", 1)[0].strip()
        found.append(Requirement(match.group(1), title, match.group(3) or ""))
    return found


@lru_cache(maxsize=1)
def requirements() -> tuple[Requirement, ...]:
    """The shipped checklist."""
    return tuple(parse(SOURCE.read_text(encoding="utf-8")))
