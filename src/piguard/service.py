"""Deprecated: the gate moved to :mod:`piguard.gate`. Kept as a thin re-export while callers move."""

from piguard.access.events import AccessEvent, AccessRecorder, MemoryRecorder
from piguard.gate import FieldView, Gate, RequestContext
from piguard.gate.decide import NOTE_PI_TYPES

Service = Gate

__all__ = [
    "NOTE_PI_TYPES",
    "AccessEvent",
    "AccessRecorder",
    "FieldView",
    "MemoryRecorder",
    "RequestContext",
    "Service",
]
