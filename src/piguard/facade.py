"""Attributes a facade class keeps on one of its parts.

:class:`~piguard.access.AccessControl` and :class:`~piguard.audit.AuditLog` are facades
over smaller parts that share their settings. Callers read and sometimes assign those
settings on the facade (``inst.access.passwords = ...``, ``audit.on_freeze = ...``); a
:class:`Forward` makes such an assignment land where the parts read it, so the facade
holds no copy that could drift from theirs.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast, overload

T = TypeVar("T")


class Forward(Generic[T]):
    """A data descriptor reading and writing the attribute of the same name on ``obj.<part>``.

    In a class body, ``passwords = Forward[Passwords]("context")`` makes ``facade.passwords``
    mean ``facade.context.passwords``, for reading and for assigning.
    """

    __slots__ = ("_name", "_part")

    def __init__(self, part: str) -> None:
        self._part = part
        self._name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> Forward[T]: ...

    @overload
    def __get__(self, obj: object, owner: type[Any] | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type[Any] | None = None) -> Forward[T] | T:
        if obj is None:
            return self
        return cast(T, getattr(getattr(obj, self._part), self._name))

    def __set__(self, obj: object, value: T) -> None:
        setattr(getattr(obj, self._part), self._name, value)
