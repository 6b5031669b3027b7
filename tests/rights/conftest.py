"""The rights tests' fixtures (a world with staff and its HTTP API), shared by every module here."""

from tests.rights.test_cases import api, world

__all__ = ["api", "world"]
