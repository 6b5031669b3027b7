"""What the parts of :class:`~piguard.consent.ConsentLedger` share: settings, cache, time, transactions.

The notice board, the consent states, the records, the minors' job and the marketing
preferences each take one :class:`LedgerContext` rather than copies of its settings, so a
setting assigned on the ledger (``ledger.clock = ...``) reaches all of them, and a change
one part commits drops the entries every other part reads through the same cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection

from piguard.calendar import local_today
from piguard.catalog import Catalog
from piguard.clock import Clock
from piguard.consent.age import AgeSources
from piguard.consent.cache import CoherentCache
from piguard.consent.model import ConsentState
from piguard.errors import ValidationError
from piguard.gate.sdk import Storage as Database

#: R-COL-7: after a refusal, do not ask again for this long (MIIT practice: 48 hours).
DEFAULT_REASK_AFTER = timedelta(hours=48)
#: Consent given "in the future" (or a notice dated in the past) by more than this is a
#: clock error or a forgery.
CLOCK_SKEW = timedelta(minutes=5)



def checked_text(value: str, what: str, limit: int = 64) -> str:
    """``value`` stripped, refused unless it is 1-``limit`` printable characters (channels, operators)."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
        raise ValidationError(f"must be 1-{limit} printable characters", what)
    return value.strip()


class LedgerContext:
    """The database, catalog, clock, tenant and limits of one ledger, and its coherent cache.

    The parameters are those of :class:`~piguard.consent.ConsentLedger`, which builds one.
    """

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        *,
        clock: Clock,
        tenant: str,
        reask_after: timedelta,
        revalidate_interval: float,
        age_sources: AgeSources,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.clock = clock
        self.tenant = tenant
        self.reask_after = reask_after
        self.age_sources = age_sources
        # One cache for states and notices: a part that commits a change drops what the others read.
        self.cache: CoherentCache[ConsentState] = CoherentCache(
            db.engine, tenant, revalidate_interval=revalidate_interval
        )

    @contextmanager
    def writing(self, conn: Connection | None) -> Iterator[Connection]:
        """The caller's transaction when it passes one (the gate's, in which the operation's audit
        entry commits with the change), else a transaction of the ledger's own."""
        if conn is not None:
            yield conn
            return
        with self.db.transaction() as own:
            yield own

    def now(self) -> datetime:
        """Now in UTC by the ledger's clock (what records store)."""
        return self.clock.now().astimezone(UTC)

    def today(self) -> date:
        """Today in mainland China, by the ledger's clock."""
        return local_today(self.clock)
