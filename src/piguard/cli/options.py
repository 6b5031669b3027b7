"""What every command module shares: its options, opening the home, and who is acting.

The acting principal comes from ``PIGUARD_TOKEN`` (a session token from ``piguard login``
or an API key). Without it the local operator, who holds the master key anyway, acts as the
bootstrap administrator, which may set accounts up but never reads customer data.
"""

from __future__ import annotations

import getpass
import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from piguard.config import home_from
from piguard.errors import ValidationError

if TYPE_CHECKING:
    # Imported where used: every command imports this module, and ``piguard --help``
    # or ``piguard scan`` must not pay for the access layer, the gate and the installation.
    from piguard.access import AccessControl
    from piguard.gate import RequestContext
    from piguard.gate.sdk import Actor
    from piguard.installation import Installation

__all__ = [
    "TOKEN_ENV",
    "HomeOpt",
    "JsonOpt",
    "PurposeOpt",
    "QuietOpt",
    "TypeOpt",
    "context",
    "current_actor",
    "open_home",
]

TOKEN_ENV = "PIGUARD_TOKEN"  # noqa: S105 - the name of the variable, not a secret

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Home directory (default $PIGUARD_HOME or ./.piguard).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
#: For shell scripts (``ID=$(piguard search ... -q)``): only the id (or key), one per line.
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the id(s), one per line.")]
PurposeOpt = Annotated[str, typer.Option("--purpose", "-p", help="Why: a purpose of the catalog.")]
TypeOpt = Annotated[str, typer.Option("--type", "-t", help="Record type.")]


def open_home(home: Path | None) -> Installation:
    """The installation of ``--home`` (else ``$PIGUARD_HOME``, else ``./.piguard``), opened."""
    from piguard.installation import Installation

    return Installation(home_from(home))


def current_actor(access: AccessControl) -> Actor:
    """The principal of ``PIGUARD_TOKEN``, else the local operator as bootstrap administrator."""
    from piguard.access import BOOTSTRAP_ROLE
    from piguard.gate.sdk import Actor

    token = os.environ.get(TOKEN_ENV)
    if token:
        return access.authenticate(token)
    return Actor(f"cli:{getpass.getuser()}", BOOTSTRAP_ROLE, "staff", name="bootstrap")


def context(inst: Installation, purpose: str = "") -> RequestContext:
    """The gate's request context for this command: the acting principal, client ``cli``."""
    from piguard.gate import RequestContext

    return RequestContext(current_actor(inst.access), purpose, client="cli")


def day_option(text: str | None, field: str) -> date | None:
    """A ``YYYY-MM-DD`` option's date (``None`` when not given).

    :raises ValidationError: naming ``field``, when the text is not a date.
    """
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("must be a date, YYYY-MM-DD", field) from None
