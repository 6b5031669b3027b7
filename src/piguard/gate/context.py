"""What every gate call carries in (:class:`RequestContext`) and what a field looks like on the way
out (:class:`FieldView`). Plain data: the kernel, the capabilities and the edges all share it."""

from __future__ import annotations

from dataclasses import dataclass

from piguard.principal import Actor


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who asks, why, and from where. Every gate call takes one."""

    actor: Actor
    purpose: str
    client: str | None = None
    address: str | None = None
    session: str | None = None


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field as the gate lets it out: the value as decided, its level and the deciding rule."""

    value: str | None
    level: str
    rule: str
