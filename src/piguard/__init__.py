"""piguard: a customer personal-information guard.

The package is layered; see ``ARCHITECTURE.md`` at the repository root.
"""

__version__ = "0.1.0"
