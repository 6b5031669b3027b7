"""The desensitisation operator interface, in the masking registry's style (Presidio's ``Operator``).

A rule of an agreement names one operator and its parameters for one field; the share validates
every rule when the agreement is recorded and again before it operates, so a bad parameter fails
the agreement, never a share half-way. Parameters in :attr:`Desensitiser.runtime_params` (a key,
today's date) are supplied by the capability at run time and may never be declared in an
agreement.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from piguard.errors import ValidationError


class Desensitiser(ABC):
    """One way a field leaves piguard (masked, pseudonymised, generalised or suppressed)."""

    name: ClassVar[str]
    params: ClassVar[frozenset[str]] = frozenset()
    runtime_params: ClassVar[frozenset[str]] = frozenset()
    #: Whether the operator reads the clear value (a suppression never does).
    needs_value: ClassVar[bool] = True

    def check_declared(self, params: Mapping[str, Any]) -> None:
        """Check parameters as an agreement declares them.

        :raises ValidationError: unknown parameter, a run-time one declared, or a bad value.
        """
        for param in sorted(params):
            if param not in self.params:
                raise ValidationError(f"rule {self.name!r}: unknown parameter {param!r}", "fields")
            if param in self.runtime_params:
                raise ValidationError(
                    f"rule {self.name!r}: parameter {param!r} is supplied at run time", "fields"
                )
        self.check_values(params)

    def validate(self, params: Mapping[str, Any]) -> None:
        """Check the parameters of one call (run-time ones included and required)."""
        declared = {k: v for k, v in params.items() if k not in self.runtime_params}
        self.check_declared(declared)
        for param in sorted(self.runtime_params):
            if param not in params:
                raise ValidationError(f"rule {self.name!r}: parameter {param!r} is required", "fields")

    def check_values(self, params: Mapping[str, Any]) -> None:  # noqa: B027 - optional hook
        """Check the values of declared parameters (default: anything goes)."""

    @abstractmethod
    def operate(self, value: str, params: Mapping[str, Any]) -> str | None:
        """The form ``value`` leaves in (``None``: left out).

        :param value: the clear value. :param params: checked by :meth:`validate`.
        """

    def __repr__(self) -> str:
        return f"<desensitiser {self.name!r}>"
