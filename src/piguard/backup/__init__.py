"""Encrypted, signed backups and restores that do not revive the erased (issue 14, item 7).

- :class:`Backups` (mounted on the gate): ``backup_create``, ``backup_verify``, ``backup_restore``;
- :func:`restore`: a backup into a new home, sealed until its checks pass;
- :func:`read_manifest`: a backup's signature and checksums, with no secret;
- :mod:`piguard.backup.snapshot`: SQLite's online backup API and ``pg_dump``/``pg_restore``.

A core package like the audit trail (it copies the databases themselves), not a capability: it
reaches customers' data only to erase what the ledger says, through the gate's kernel.
"""

from __future__ import annotations

from piguard.backup.capability import Backups, read_ledger_file, read_manifest, restore, seal_of

__all__ = ["Backups", "read_ledger_file", "read_manifest", "restore", "seal_of"]
