"""Word lists shipped in ``piguard/detect/data`` (no download at run time)."""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["words"]


@cache
def words(name: str) -> tuple[str, ...]:
    """Return the whitespace-separated words of a data file, ``#`` comments skipped.

    :param name: file name inside ``piguard/detect/data``, e.g. ``"given_chars.txt"``.
    :returns: the words in file order, without duplicates.
    """
    text = resources.files("piguard.detect").joinpath("data", name).read_text(encoding="utf-8")
    seen: dict[str, None] = {}
    for line in text.splitlines():
        for word in line.split("#", 1)[0].split():
            seen[word] = None
    return tuple(seen)
