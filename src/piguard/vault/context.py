"""What the parts of :class:`~piguard.vault.vault.Vault` share: catalog, databases, keys, tenant, clock.

The values, the sealing, the key operations and the vault's own writes and reads each take
one :class:`VaultContext` rather than copies, so a setting assigned on the vault reaches all
of them (:class:`piguard.facade.Forward`), and one data-key cache serves every part: a key
forgotten on erasure is forgotten for all.
"""

from __future__ import annotations

from piguard.catalog import Catalog
from piguard.clock import Clock
from piguard.crypto.envelope import DataKeys
from piguard.crypto.keyring import Keyring
from piguard.store import Database, KeyStore


class VaultContext:
    """The settings of one vault; the parameters are those of :class:`~piguard.vault.vault.Vault`."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        db: Database,
        keys: KeyStore,
        keyring: Keyring,
        tenant: str,
        clock: Clock,
    ) -> None:
        self.catalog = catalog
        self.db = db
        self.keys = keys
        self.keyring = keyring
        self.tenant = tenant
        self.clock = clock
        # Unwrapped DEKs, cached; shared so erasure's forget() reaches every reader.
        self.data_keys = DataKeys(keyring)
