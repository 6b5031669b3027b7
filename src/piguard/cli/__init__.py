"""The command-line edge (Typer). Imports the gate; nothing imports this package."""
