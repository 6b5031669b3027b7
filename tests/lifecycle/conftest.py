"""The life-cycle tests' fixtures: the rights tests' world (staff, audited) and its HTTP API."""

from tests.rights.test_cases import api, world

__all__ = ["api", "world"]
