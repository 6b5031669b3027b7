"""Find and mask personal information in free text and unmanaged stores (issue 7).

>>> [(f.type, f.start, f.end) for f in detect("客户张伟来电，手机13812345678")]
[('person', 2, 4), ('mobile', 9, 20)]
>>> mask_text("手机13812345678").text
'手机138****5678'

**Invariant:** nothing in ``piguard.detect`` reads the vault; findings carry
offsets and scores, never values; masked samples are the only text derived
from a value that leaves the package.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from piguard.native import mount

# Before any submodule is imported: the compiled build, when it matches the sources.
mount(__name__, __path__)

from piguard.detect.engine import AUDIENCES, DEFAULT_THRESHOLD, MODES, Detector, mask_value
from piguard.detect.finding import ALL_TYPES, Finding, MaskResult, Replacement

__all__ = [
    "ALL_TYPES",
    "AUDIENCES",
    "DEFAULT_THRESHOLD",
    "MODES",
    "Detector",
    "Finding",
    "MaskResult",
    "Replacement",
    "default_detector",
    "detect",
    "mask_free_text",
    "mask_text",
    "mask_value",
]


@cache
def default_detector() -> Detector:
    """Return the shared detector with the built-in recognizers (built on first use)."""
    return Detector()


def detect(text: str, *, types: Iterable[str] | None = None, mode: str = "default") -> list[Finding]:
    """Return the PI in ``text``; see :meth:`Detector.detect` (``mode`` ``default`` or ``bulk``)."""
    return default_detector().detect(text, types=None if types is None else frozenset(types), mode=mode)


def mask_text(text: str, *, audience: str = "staff") -> MaskResult:
    """Return ``text`` masked for ``audience``; see :meth:`Detector.mask_text`."""
    return default_detector().mask_text(text, audience=audience)


def mask_free_text(text: str) -> str:
    """``text`` with every PI finding masked for staff: the one way free text is stored where it
    cannot be erased or lives long (consent evidence, refused purposes in the audit trail, grant
    reasons, alert acknowledgements, disable reasons), as record notes are masked on write.

    >>> mask_free_text("回电 13812345678")
    '回电 138****5678'
    """
    return default_detector().mask_text(text).text
