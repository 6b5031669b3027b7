"""The action and level vocabulary has one source: piguard.catalog.vocabulary."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

from piguard.access import decision
from piguard.audit import rules
from piguard.catalog import vocabulary
from piguard.web import core, i18n, stats

SRC = Path(__file__).resolve().parents[2] / "src" / "piguard"


def test_actions_and_levels_come_from_the_literals() -> None:
    assert vocabulary.ACTIONS == get_args(vocabulary.Action)
    assert vocabulary.LEVELS == get_args(vocabulary.Level)
    assert set(vocabulary.DATA_ACTIONS) <= set(vocabulary.ACTIONS)


def test_users_derive_from_the_vocabulary() -> None:
    assert decision.ACTIONS == set(vocabulary.ACTIONS)
    assert decision.Level is vocabulary.Level
    assert core.ALL_ACTIONS == set(vocabulary.ACTIONS)
    assert stats.ACCESS_ACTIONS == vocabulary.DATA_ACTIONS
    # A yes/no match answers about a value: the monitoring rules count it as a read (issue 11, item 17).
    assert rules.READ_ACTIONS == vocabulary.DATA_ACTIONS | {"unmask", "export_row", "match"}


def test_the_console_has_labels_for_every_action_and_level() -> None:
    for key in [f"action.{a}" for a in vocabulary.ACTIONS] + [f"level.{lv}" for lv in vocabulary.LEVELS]:
        assert key in i18n.MESSAGES, key
        zh, en = i18n.MESSAGES[key]
        assert zh and en, key
    labelled = {k.split(".", 1)[1] for k in i18n.MESSAGES if k.startswith(("action.", "level."))}
    assert labelled == set(vocabulary.ACTIONS) | set(vocabulary.LEVELS)


def _word_lists(path: Path) -> list[tuple[int, set[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Set | ast.Tuple | ast.List):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if words and len(words) == len(node.elts):
                found.append((node.lineno, set(words)))
    return found


def test_no_module_spells_the_vocabulary_out_again() -> None:
    """A literal list of three or more actions, or of all the levels, belongs in vocabulary.py."""
    actions, levels = set(vocabulary.ACTIONS), set(vocabulary.LEVELS)
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "vocabulary.py":
            continue
        for line, words in _word_lists(path):
            if (len(words) >= 3 and words <= actions) or levels <= words:
                offenders.append(f"{path.relative_to(SRC)}:{line}")
    assert not offenders
