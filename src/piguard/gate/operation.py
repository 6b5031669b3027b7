"""Operations declared as data: the one list of everything the gate can be asked to do.

Every call through the gate names an :class:`Operation`. Its ``name`` is the audit event
name (unique across the installation); ``actions`` the catalog actions of which a role must
hold one; ``subject`` whether it is about one customer, many or none; ``purpose`` whether the
caller must state a purpose; ``requirements`` the requirement IDs it serves; ``detail`` the
keys (and their kinds) it may add to its audit entry. The audit scrubber keeps exactly the
declared keys unhashed (:func:`detail_allow_list`), so a capability cannot leak a value into
the trail by adding an undeclared key: the kernel refuses it, and the scrubber would hash it.

``piguard operations --json`` prints :meth:`Registry.describe`; the compliance report and the
no-bypass tests read the same list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from piguard.catalog.vocabulary import Action

Subject = Literal["customer", "many", "none"]

#: What a declared detail value may be; each kind has one validator in the audit scrubber.
DetailKind = Literal["int", "bool", "names", "token", "levels", "flags", "reason", "principal"]
DETAIL_KINDS: Final[tuple[DetailKind, ...]] = get_args(DetailKind)


@dataclass(frozen=True, slots=True)
class Operation:
    """One thing the gate can do, as data (see the module docstring)."""

    name: str
    actions: tuple[Action, ...]
    subject: Subject
    capability: str
    purpose: bool = True
    writes: bool = False
    requirements: tuple[str, ...] = ()
    detail: Mapping[str, DetailKind] = field(default_factory=dict)
    summary: str = ""
    #: The only purposes it runs for (empty: any purpose the role may act for). The outbox's
    #: sending runs for ``notification`` alone, so no staff role can send (or spoil) a message.
    purposes: tuple[str, ...] = ()
    #: Runs as the customer it is about, whoever started its parent (a data subject's own copy,
    #: read with the customer's rights so the officer completing the request never sees it).
    as_customer: bool = False
    #: The operation this one is a step of (an export's rows, an import's summary): it runs only
    #: inside its parent, whose refusals are recorded under the parent's name.
    part_of: str | None = None
    #: Creates or proves the relationship a row scope rests on (a hotel stay's registration and
    #: check-in): the ``active_stay`` row scope does not apply, since the subject is by definition
    #: outside it until it succeeds; the handler carries its own proof (an ID match, an approval)
    #: and never returns customer values. The ``own`` scope of a customer principal still holds.
    relationship: bool = False

    def __post_init__(self) -> None:
        if not self.actions:
            raise ValueError(f"operation {self.name!r} declares no catalog action")
        if self.purposes and not self.purpose:
            raise ValueError(f"operation {self.name!r} names purposes but needs none")
        for key, kind in self.detail.items():
            if kind not in DETAIL_KINDS:
                raise ValueError(f"operation {self.name!r}: detail key {key!r} has unknown kind {kind!r}")

    @property
    def action(self) -> Action:
        """The catalog action that is checked first (and named in refusals)."""
        return self.actions[0]

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "capability": self.capability,
            "actions": list(self.actions),
            "subject": self.subject,
            "purpose_required": self.purpose,
            "purposes": list(self.purposes),
            "as_customer": self.as_customer,
            "writes": self.writes,
            "requirements": list(self.requirements),
            "detail_keys": dict(sorted(self.detail.items())),
            "summary": self.summary,
            "part_of": self.part_of,
            "relationship": self.relationship,
        }


class Registry:
    """Every declared operation of an installation, by name; names are unique."""

    def __init__(self, operations: Iterable[Operation] = ()) -> None:
        self._ops: dict[str, Operation] = {}
        self._kinds: dict[str, DetailKind] = {}
        for op in operations:
            self.add(op)

    def add(self, op: Operation) -> Operation:
        """Declare ``op``.

        :raises ValueError: the name is taken, or a detail key is declared with another kind elsewhere
            (the scrubber's allow-list is one mapping, so a key means one kind everywhere).
        """
        if op.name in self._ops:
            raise ValueError(f"operation {op.name!r} is declared twice")
        if op.part_of is not None and op.part_of not in self._ops:
            raise ValueError(f"operation {op.name!r} is part of undeclared {op.part_of!r}")
        for key, kind in op.detail.items():
            if self._kinds.get(key, kind) != kind:
                raise ValueError(f"detail key {key!r} is declared as {self._kinds[key]} and as {kind}")
        self._ops[op.name] = op
        for key, kind in op.detail.items():
            self._kinds[key] = kind
        return op

    def __getitem__(self, name: str) -> Operation:
        return self._ops[name]

    def __contains__(self, name: object) -> bool:
        return name in self._ops

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._ops.values())

    def __len__(self) -> int:
        return len(self._ops)

    def detail_kinds(self) -> dict[str, DetailKind]:
        """Declared detail key -> kind, over every operation (the scrubber's allow-list)."""
        return dict(self._kinds)

    def describe(self) -> list[dict[str, Any]]:
        return [op.describe() for op in sorted(self._ops.values(), key=lambda o: (o.capability, o.name))]
