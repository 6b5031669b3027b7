"""The command-line edge (Typer). Imports the gate; nothing imports this package."""

# The core first, in its own dependency order: importing piguard.gate before piguard.consent
# runs into the gate <-> consent import cycle (gate.guards -> access.scope -> consent ->
# consent.importing -> gate.sdk), which the installation's import order avoids.
from piguard import installation as _installation  # noqa: F401
