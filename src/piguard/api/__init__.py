"""The HTTP edge (FastAPI). Imports the gate; nothing imports this package."""
