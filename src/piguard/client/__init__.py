"""Typed Python SDK for the piguard HTTP API.

>>> from piguard.client import Client
>>> with Client("https://piguard.internal:8700", api_key="pgk_...") as pg:   # doctest: +SKIP
...     ref = pg.create("customer", {"name": "张三", "mobile": "13800138000"}, purpose="service")
...     pg.read("customer", ref.id, purpose="service").fields["mobile"]
'138****8000'

Errors come back as the :mod:`piguard.errors` types the server raised (from its RFC 7807
problem documents): :class:`~piguard.errors.AccessDenied`, :class:`~piguard.errors.NotFound`...
"""

from piguard.client.api import Client
from piguard.client.models import ImportResult, Record, RecordRef, RetryLater
from piguard.client.problems import error_from_problem

__all__ = ["Client", "ImportResult", "Record", "RecordRef", "RetryLater", "error_from_problem"]
