"""The masking operator interface (Presidio's ``Operator`` pattern).

An operator turns one value into its display form. The engine always calls
:meth:`Operator.validate` before :meth:`Operator.operate`, so a bad parameter
fails loudly instead of producing a weaker mask.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from mypy_extensions import mypyc_attr

from piguard.errors import ValidationError


# Compiled by mypyc (piguard.native): custom operators (masking.register) still subclass it.
@mypyc_attr(allow_interpreted_subclasses=True)
class Operator(ABC):
    """One masking rule.

    Subclasses set :attr:`name`, list their parameters in :attr:`params` and
    implement :meth:`operate`. Parameters in :attr:`runtime_params` (such as a
    key) are supplied by the caller at run time and may never be declared in a
    catalog. Operators are stateless; one instance serves every call.
    """

    #: The rule name used in catalogs, e.g. ``"mobile"``.
    name: ClassVar[str]
    #: Every parameter this operator accepts. Anything else is rejected.
    params: ClassVar[frozenset[str]] = frozenset()
    #: Parameters that must be supplied at run time (and never in a catalog).
    runtime_params: ClassVar[frozenset[str]] = frozenset()

    def validate(self, params: Mapping[str, Any]) -> None:
        """Check the parameters of one call.

        :param params: the parameters that :meth:`operate` will receive.
        :raises ValidationError: a parameter is unknown, missing or has a bad
            value; the reason names the parameter, never a customer value.
        """
        self.check_declared(params, allow_runtime=True)
        for param in sorted(self.runtime_params):
            if param not in params:
                raise ValidationError(f"mask {self.name!r}: parameter {param!r} is required")

    def check_declared(self, params: Mapping[str, Any], *, allow_runtime: bool = False) -> None:
        """Check parameters declared ahead of time, e.g. in a catalog.

        :param params: the declared parameters.
        :param allow_runtime: accept :attr:`runtime_params` too. A catalog
            passes ``False`` so that keys never end up in configuration files.
        :raises ValidationError: a parameter is unknown, not allowed here, or has
            a bad value.
        """
        for param in sorted(params):
            if param not in self.params:
                raise ValidationError(f"mask {self.name!r}: unknown parameter {param!r}")
            if param in self.runtime_params and not allow_runtime:
                raise ValidationError(
                    f"mask {self.name!r}: parameter {param!r} is supplied at run time and may not be declared"
                )
        self.check_values(params)

    def check_values(self, params: Mapping[str, Any]) -> None:  # noqa: B027 - optional hook, not abstract
        """Check the values of the parameters present in ``params``.

        The default accepts everything; operators with parameters override it.

        :raises ValidationError: a value is out of range or of the wrong type.
        """

    @abstractmethod
    def operate(self, value: str, params: Mapping[str, Any]) -> str:
        """Return the masked form of ``value``.

        :param value: the clear value.
        :param params: parameters already checked by :meth:`validate`.
        :returns: the display form; never more of ``value`` than the rule allows.
        """

    def __repr__(self) -> str:
        return f"<masking operator {self.name!r}>"
