"""Backups as declared operations of the gate: create, verify and restore.

A backup directory holds, per database, one sealed artifact (:mod:`piguard.crypto.stream`, a
key derived from the keyring's root secret with a fresh salt per artifact), the sealed settings
and catalog, the keyring file as it is on disk (already wrapped by the master secret or the
PKCS#11 token, and needed to open everything else), and a manifest signed with the audit signing
key: versions, counts, the audit chain's head and newest checkpoint, the erasure ledger's head
and every artifact's SHA-256. Nothing in it is readable without the master secret; nothing in it
can be changed without the manifest's signature failing.

A restore writes a new home, **sealed** (every gate call refused with ``sealed``; the seal is a
row in the restored database, so every process over it stays sealed), then:

1. checks the restored audit chain: it verifies, and its head equals the head the manifest
   signed (and the live installation's entry at that sequence number, when its trail is given);
2. **replays the erasure ledger** of the live key store (``--from``, or a ledger file), so a
   customer erased after the backup was taken is erased again: key, records and index rows;
3. opens a sample of records (the keys open the data);

and unseals only when all pass. The key store copy in a backup therefore never brings back a key
destroyed after it was taken, once the restore is done.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from piguard import __version__
from piguard.audit import AuditLog
from piguard.audit.tables import audit_entries, audit_head
from piguard.backup import snapshot
from piguard.catalog.vocabulary import Action
from piguard.clock import Clock, SystemClock
from piguard.config import Settings
from piguard.crypto.kdf import hkdf
from piguard.crypto.keyring import Keyring
from piguard.crypto.signature import VerifyKey
from piguard.crypto.stream import open_stream, seal_stream
from piguard.errors import (
    AuditFailure,
    ConfigError,
    Conflict,
    IntegrityError,
    NotFound,
    StorageError,
    ValidationError,
)
from piguard.gate.context import RequestContext
from piguard.gate.kernel import Gate
from piguard.gate.operation import DetailKind, Operation
from piguard.store import DEFAULT_SCHEMA, Database, KeyStore
from piguard.store.tables import audit_anchors, data_keys, records

CAPABILITY = "backups"
FORMAT = "piguard-backup/1"
MANIFEST = "manifest.json"
KEYRING = "keyring.json"
#: The sealed artifacts, by name: the file each is in.
ARTIFACTS = {"data": "data.sealed", "keys": "keys.sealed", "config": "config.sealed"}
#: The meta key of the seal a restore puts on the database it writes.
SEAL_KEY = "sealed"
SAMPLE_CUSTOMERS = 20


def _op(name: str, action: Action, summary: str, detail: dict[str, DetailKind], **kw: Any) -> Operation:
    return Operation(
        name,
        (action,),
        "none",
        CAPABILITY,
        purpose=False,
        summary=summary,
        detail=detail,
        requirements=("R-STO-1", "R-DST-1"),
        **kw,
    )


CREATE = _op(
    "backup_create",
    "administer",
    "write a sealed, signed backup of the data database and the key store (online)",
    {"customers": "int", "records": "int", "bytes": "int"},
)
VERIFY = _op(
    "backup_verify",
    "administer",
    "check a backup's signature and checksums, restore it into a throwaway home and check it",
    {"customers": "int", "records": "int"},
)
RESTORE = _op(
    "backup_restore",
    "administer",
    "restore a backup sealed, replay the erasure ledger, check the audit chain, then unseal",
    {"replayed": "int", "customers": "int", "records": "int"},
    writes=True,
)
LEDGER = _op(
    "erasure_ledger",
    "administer",
    "this installation's erasure ledger (customer references, record ids, field names), for a restore",
    {"entries": "int"},
)
LIST = _op(
    "backup_list",
    "administer",
    "the backups in the backup directory, from their signed manifests",
    {"backups": "int"},
)
OPERATIONS = (CREATE, VERIFY, RESTORE, LEDGER, LIST)


def _root(keyring: Keyring) -> bytes:
    # Its own label: the artifacts' key is independent of every blind-index and box key.
    return hkdf(
        keyring.suite, keyring.secret("index_root"), salt=b"piguard/backup", info=b"artifacts", length=32
    )


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of the backup in ``directory``, its signature checked against the key named
    in it, and every artifact's checksum (no secret needed: what an outside auditor can run).

    :raises NotFound: no manifest.
    :raises IntegrityError: unsigned, altered, or an artifact changed or missing.
    """
    path = directory / MANIFEST
    if not path.exists():
        raise NotFound(f"{directory.name} holds no backup ({MANIFEST} missing)")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        signature = bytes.fromhex(document.pop("signature"))
        key = VerifyKey(bytes.fromhex(document["public_key"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"{path}: damaged manifest") from exc
    if document.get("format") != FORMAT:
        raise IntegrityError(f"{path}: not a {FORMAT} manifest")
    if not key.valid(signature, _canonical(document)):
        raise IntegrityError(f"{path}: the signature does not match (the manifest was changed)")
    for name, item in document["artifacts"].items():
        file = directory / item["file"]
        if not file.exists():
            raise IntegrityError(f"artifact {name} ({item['file']}) is missing")
        if _sha256_file(file) != item["sha256"]:
            raise IntegrityError(f"artifact {name} ({item['file']}) was changed: its checksum does not match")
    checked: dict[str, Any] = document
    return checked


class Backups:
    """The backup operations, mounted on the gate like every capability.

    :param settings: the installation's settings (its home, tenant, sinks).
    """

    name = CAPABILITY
    operations = OPERATIONS

    def __init__(
        self,
        settings: Settings,
        db: Database,
        keys: KeyStore,
        keyring: Keyring,
        audit: AuditLog,
        *,
        data_url: str,
        keystore_url: str,
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """:param environ: the environment the installation was opened with (its master secret)."""
        self.environ = dict(os.environ if environ is None else environ)
        self.settings = settings
        self.db = db
        self.keys = keys
        self.keyring = keyring
        self.audit = audit
        self.data_url = data_url
        self.keystore_url = keystore_url
        self.clock: Clock = clock or SystemClock()
        self.tenant = settings.tenant

    def bind(self, gate: Gate) -> None:
        self.gate = gate

    # ------------------------------------------------------------------ the backup directory

    @property
    def root_directory(self) -> Path:
        """Where backups made by name go (the API's and the console's): ``<home>/backups``."""
        return self.settings.home / "backups"

    def directory(self, name: str) -> Path:
        """The directory of the backup named ``name`` (a plain name, never a path).

        :raises ValidationError: the name has a separator or starts with a dot.
        """
        if not name or "/" in name or "\\" in name or name.startswith(".") or len(name) > 64:
            raise ValidationError("a backup name is letters, digits, '.', '_' and '-'", "name")
        return self.root_directory / name

    def listing(self, ctx: RequestContext) -> list[dict[str, Any]]:
        """Each backup in the backup directory, newest first, with whether its manifest and
        checksums check out (a changed or damaged one is listed as such, not hidden)."""

        def handler(call: Any) -> list[dict[str, Any]]:
            found = []
            root = self.root_directory
            for entry in sorted(root.iterdir()) if root.exists() else []:
                if not (entry / MANIFEST).exists():
                    continue
                try:
                    manifest = read_manifest(entry)
                    found.append(
                        {
                            "name": entry.name,
                            "id": manifest["id"],
                            "created_at": manifest["created_at"],
                            "backend": manifest["backend"],
                            "counts": manifest["counts"],
                            "audit_head": manifest["audit"]["head_seq"],
                            "intact": True,
                        }
                    )
                except IntegrityError as exc:
                    found.append({"name": entry.name, "intact": False, "problem": str(exc)})
            found.sort(key=lambda b: str(b.get("created_at", "")), reverse=True)
            call.note(backups=len(found))
            return found

        result: list[dict[str, Any]] = self.gate.run(ctx, LIST, handler)
        return result

    # ------------------------------------------------------------------ create

    def create(self, ctx: RequestContext, target: Path) -> dict[str, Any]:
        """Write a backup into ``target`` (new or empty).

        :raises Conflict: ``target`` holds files already.
        """

        def handler(call: Any) -> dict[str, Any]:
            result = self._create(target)
            call.note(
                customers=result["counts"]["customers"],
                records=result["counts"]["records"],
                bytes=result["bytes"],
            )
            return result

        return self.gate.run(ctx, CREATE, handler)

    def _create(self, target: Path) -> dict[str, Any]:
        if target.exists() and any(target.iterdir()):
            raise Conflict(f"{target} is not empty: a backup goes into a new directory")
        target.mkdir(parents=True, exist_ok=True)
        os.chmod(target, 0o700)
        root = _root(self.keyring)
        # Before the data copy: a partial erasure entered after this is replayed on restore.
        ledger_before = self.keys.erasure_head(self.tenant)
        # Also before the copy, the anchor first: anchor <= head <= the copied chain's head.
        anchor = self.keys.audit_anchor(self.tenant)
        with self.db.read() as conn:
            head = conn.execute(
                select(audit_head.c.seq, audit_head.c.entry_hash).where(audit_head.c.tenant == self.tenant)
            ).first()
            counts = {
                "records": int(conn.execute(select(func.count()).select_from(records)).scalar() or 0),
                "audit_entries": int(
                    conn.execute(
                        select(func.count())
                        .select_from(audit_entries)
                        .where(audit_entries.c.tenant == self.tenant)
                    ).scalar()
                    or 0
                ),
            }
        with self.keys.engine.connect() as conn:
            counts["customers"] = int(conn.execute(select(func.count()).select_from(data_keys)).scalar() or 0)
        kind = snapshot.backend(self.data_url)
        artifacts: dict[str, dict[str, Any]] = {}
        # Data first, then keys: a customer created meanwhile has a key and no data (harmless), one
        # erased meanwhile has rows and no key (unreadable; the restore's replay removes them).
        artifacts["data"] = self._seal_database(root, target, "data", self.data_url, kind)
        artifacts["keys"] = self._seal_database(root, target, "keys", self.keystore_url, kind)
        artifacts["config"] = self._seal_bytes(root, target, "config", self._config())
        shutil.copyfile(self.settings.keyring_path, target / KEYRING)
        os.chmod(target / KEYRING, 0o600)
        artifacts["keyring"] = {"file": KEYRING, "sha256": _sha256_file(target / KEYRING)}
        signing = self.keyring.audit_signing_key()
        document: dict[str, Any] = {
            "format": FORMAT,
            "id": secrets.token_hex(8),
            "created_at": self.clock.now().astimezone(UTC).isoformat(timespec="seconds"),
            "piguard": __version__,
            "tenant": self.tenant,
            "backend": kind,
            "schema": self._revisions(),
            "counts": counts,
            # The chain's head when the data copy ended is at or after this (entries keep coming).
            "audit": {
                "head_seq": int(head[0]) if head else 0,
                "head_hash": bytes(head[1]).hex() if head else "",
                "checkpoint": anchor,
            },
            "ledger_before": ledger_before,
            "artifacts": artifacts,
            "key_id": self.audit.key_id,
            "public_key": self.audit.public_key.hex(),
        }
        document["signature"] = signing.sign(_canonical(document)).hex()
        (target / MANIFEST).write_text(json.dumps(document, indent=2, sort_keys=True), encoding="utf-8")
        total = sum((target / a["file"]).stat().st_size for a in artifacts.values())
        return {
            "directory": str(target),
            "id": document["id"],
            "created_at": document["created_at"],
            "backend": kind,
            "counts": counts,
            "audit_head": document["audit"]["head_seq"],
            "bytes": total,
        }

    def _revisions(self) -> dict[str, str | None]:
        # Alembic's version tables: a restore refuses nothing newer than this code knows.
        found: dict[str, str | None] = {}
        for name, engine, table in (
            ("data", self.db.engine, "piguard_data_version"),
            ("keys", self.keys.engine, "piguard_keys_version"),
        ):
            schema = f"{self.keys.schema}." if name == "keys" and self.keys.schema else ""
            with engine.connect() as conn:
                found[name] = conn.execute(text(f"SELECT version_num FROM {schema}{table}")).scalar()
        return found

    def _config(self) -> bytes:
        files = {"settings": self.settings.settings_path, "catalog": self.settings.catalog_path}
        calendar = self.settings.home / "calendar.json"
        if calendar.exists():
            files["calendar"] = calendar
        return _canonical({name: path.read_text(encoding="utf-8") for name, path in files.items()})

    def _seal_bytes(self, root: bytes, target: Path, name: str, data: bytes) -> dict[str, Any]:
        path = target / ARTIFACTS[name]
        with path.open("xb") as out:
            size, digest = seal_stream(root, name, io.BytesIO(data), out)
        return {"file": path.name, "bytes": size, "sha256": digest}

    def _seal_database(self, root: bytes, target: Path, name: str, url: str, kind: str) -> dict[str, Any]:
        # The plain copy lives only until it is sealed, in the backup directory (mode 0700) so it
        # never lands in a shared /tmp; it holds what the database holds (ciphertexts, no plaintext).
        plain = target / f".{name}.copy"
        try:
            if kind == "sqlite":
                snapshot.copy_sqlite(url, plain)
            elif name == "keys":
                snapshot.dump_postgres(url, plain, schema=self.keys.schema or DEFAULT_SCHEMA, exclude=None)
            else:
                snapshot.dump_postgres(url, plain, schema=None, exclude=self.keys.schema or DEFAULT_SCHEMA)
            path = target / ARTIFACTS[name]
            with plain.open("rb") as source, path.open("xb") as out:
                size, digest = seal_stream(root, name, source, out)
        finally:
            plain.unlink(missing_ok=True)
        return {"file": path.name, "bytes": size, "sha256": digest, "format": kind}

    # ------------------------------------------------------------------ verify

    def verify(self, ctx: RequestContext, source: Path, *, scratch_url: str | None = None) -> dict[str, Any]:
        """Check ``source``'s signature and checksums, restore it into a throwaway home (and, for
        PostgreSQL, ``scratch_url``, an empty database) and run the restore's checks there.

        :raises IntegrityError: a check failed (named). :raises ConfigError: no scratch database.
        """

        def handler(call: Any) -> dict[str, Any]:
            manifest = read_manifest(source)
            with (
                tempfile.TemporaryDirectory(prefix="piguard-verify-") as scratch,
                self._scratch_database(manifest, scratch_url) as url,
            ):
                report = restore(
                    source,
                    Path(scratch) / "home",
                    environ=self._restore_environ(url),
                    ledger=[],
                    live_trail=None,
                )
            call.note(customers=report["customers"], records=report["sample"]["records"])
            return {"ok": True, "id": manifest["id"], "created_at": manifest["created_at"], **report}

        return self.gate.run(ctx, VERIFY, handler)

    def _restore_environ(self, url: str | None) -> dict[str, str]:
        env = dict(self.environ)
        env.pop("PIGUARD_DATABASE_URL", None)
        env.pop("PIGUARD_KEYSTORE_URL", None)
        if url:
            env["PIGUARD_DATABASE_URL"] = url
        return env

    @contextmanager
    def _scratch_database(self, manifest: Mapping[str, Any], given: str | None) -> Iterator[str | None]:
        """Where a verification restores to: nothing for SQLite (a file in the throwaway home);
        for PostgreSQL the database given, or one created on the live server for the check and
        dropped after it (the role needs CREATEDB)."""
        if manifest["backend"] != "postgresql":
            yield None
            return
        if given:
            yield given
            return
        base = make_url(self.data_url)
        name = "piguard_verify_" + secrets.token_hex(6)
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except SQLAlchemyError as exc:
            admin.dispose()
            raise ConfigError(
                "verifying a PostgreSQL backup needs a scratch database: grant CREATEDB or pass --scratch-url"
            ) from exc
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    # ------------------------------------------------------------------ the live side of a restore

    def ledger(self, ctx: RequestContext) -> list[dict[str, Any]]:
        """This installation's erasure ledger, every entry (what a restore elsewhere replays)."""

        def handler(call: Any) -> list[dict[str, Any]]:
            entries = list(self.keys.erasures(self.tenant))
            call.note(entries=len(entries))
            return entries

        result: list[dict[str, Any]] = self.gate.run(ctx, LEDGER, handler)
        return result

    def entry_hash(self, seq: int) -> str | None:
        """The hash of this trail's entry ``seq`` (hex), to prove a backup is a prefix of it."""
        with self.db.read() as conn:
            value = conn.execute(
                select(audit_entries.c.entry_hash).where(
                    audit_entries.c.tenant == self.tenant, audit_entries.c.seq == seq
                )
            ).scalar_one_or_none()
        return bytes(value).hex() if value is not None else None

    # The restore's checks and replay, run on the restored installation through its gate.
    def finish_restore(
        self,
        ctx: RequestContext,
        manifest: Mapping[str, Any],
        ledger: Iterable[Mapping[str, Any]],
        live_trail: Any | None,
    ) -> dict[str, Any]:
        def handler(call: Any) -> dict[str, Any]:
            try:
                chain = self.audit.verify()
            except StorageError as exc:
                # No check, no unseal: the restore fails closed like any write without its trail.
                raise AuditFailure("the restored audit trail could not be read") from exc
            head = manifest["audit"]
            restored_head = self.entry_hash(int(head["head_seq"]))
            problems = [f"{f.kind}: {f.message}" for f in chain.findings]
            if head["head_seq"] and restored_head != head["head_hash"]:
                problems.append(
                    "the restored trail's entry at the manifest's head differs from the signed head"
                )
            if live_trail is not None and head["head_seq"]:
                live = live_trail.entry_hash(int(head["head_seq"]))
                if live != head["head_hash"]:
                    problems.append(
                        "the live trail's entry at the backup's head differs: the backup is not its past"
                    )
            if problems:
                raise IntegrityError("the restored audit chain failed its checks: " + "; ".join(problems))
            replayed = self.gate.replay_erasures(call, ledger, call.hook())
            sample = self.gate.check_readable(SAMPLE_CUSTOMERS)
            if sample["failed"]:
                raise IntegrityError(f"{sample['failed']} sampled records of the restored copy did not open")
            with self.keys.engine.connect() as conn:
                customers = int(conn.execute(select(func.count()).select_from(data_keys)).scalar() or 0)
            call.note(
                replayed=replayed["entries"], customers=replayed["customers"], records=replayed["records"]
            )
            # The seal goes in the transaction that commits the restore's closing entry.
            with self.db.transaction() as conn:
                conn.execute(text("DELETE FROM meta WHERE key = :key"), {"key": SEAL_KEY})
                call.record_in(conn)
            return {
                "ok": True,
                "chain": {"verified": True, "entries": chain.entries, "head_seq": chain.last_seq},
                "replayed": replayed,
                "customers": customers,
                "sample": sample,
            }

        try:
            result: dict[str, Any] = self.gate.run(ctx, RESTORE, handler)
        except NotFound as exc:
            raise IntegrityError(f"restore failed: {exc}") from exc
        self.gate.unseal()
        self.audit.checkpoint("restore")
        return result


# ---------------------------------------------------------------------- restore


def read_ledger_file(path: Path) -> list[dict[str, Any]]:
    """A ledger exported with ``piguard backup ledger``: one JSON object per line.

    :raises ConfigError: a line is not a ledger entry (its number named).
    """
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if entry["kind"] not in ("customer", "partial") or not isinstance(entry["customer_id"], str):
                raise ValueError
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}: line {number} is not an erasure ledger entry") from exc
        entries.append(entry)
    return entries


def restore(
    source: Path,
    home: Path,
    *,
    environ: Mapping[str, str] | None = None,
    ledger: Iterable[Mapping[str, Any]],
    live_trail: Any | None,
    clock: Clock | None = None,
) -> dict[str, Any]:
    """Restore the backup in ``source`` into the new home ``home`` (see the module docstring).

    :param ledger: the live installation's erasure ledger (all of it: replay is idempotent).
    :param live_trail: the live installation's :class:`Backups` (its ``entry_hash``), or None.
    :raises Conflict: ``home`` or the target database is not empty.
    :raises IntegrityError: a check failed; the new home stays sealed.
    """
    from piguard.gate.principals import system_context
    from piguard.installation import Installation

    env = dict(os.environ if environ is None else environ)
    manifest = read_manifest(source)
    if (home / "piguard.json").exists() or (home.exists() and any(home.iterdir())):
        raise Conflict(f"{home} is not empty: a restore writes a new home")
    if (
        manifest["backend"] == "postgresql"
        and snapshot.backend(env.get("PIGUARD_DATABASE_URL", "sqlite://")) != "postgresql"
    ):
        raise ConfigError(
            "a PostgreSQL backup restores into PostgreSQL: set PIGUARD_DATABASE_URL to an empty database"
        )
    if manifest["backend"] == "sqlite" and "PIGUARD_DATABASE_URL" in env:
        env.pop("PIGUARD_DATABASE_URL")
        env.pop("PIGUARD_KEYSTORE_URL", None)
    # Everything that can fail without writing is checked first: the master secret opens the
    # keyring, the keyring opens the config.
    keyring = _open_keyring(source / KEYRING, env)
    root = _root(keyring)
    with (source / ARTIFACTS["config"]).open("rb") as fh:
        config = json.loads(b"".join(open_stream(root, "config", fh)))
    settings = json.loads(config["settings"])
    # The audit sinks and witness belong to the installation the backup came from: a restored copy
    # must not append to them. The operator configures the new home's own.
    carried = {
        k: settings.get(k) for k in ("audit_jsonl", "audit_witness", "audit_syslog") if settings.get(k)
    }
    for key in carried:
        settings[key] = None
    created = not home.exists()
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    try:
        shutil.copyfile(source / KEYRING, home / KEYRING)
        os.chmod(home / KEYRING, 0o600)
        (home / "catalog.yaml").write_text(config["catalog"], encoding="utf-8")
        if "calendar" in config:
            (home / "calendar.json").write_text(config["calendar"], encoding="utf-8")
        _master_file(env, home)
        from piguard.store import default_urls

        data_url, key_url = default_urls(home, env)
        reason = f"restore of backup {manifest['id']} in progress"
        _restore_database(root, source, "data", data_url, manifest["backend"], seal=reason)
        _restore_database(root, source, "keys", key_url, manifest["backend"], seal=None)
        _reset_anchor(key_url, manifest)
        # Last: until the settings exist, nothing opens this home.
        (home / "piguard.json").write_text(json.dumps(settings, indent=2, sort_keys=True), encoding="utf-8")
    except BaseException:
        # Nothing half-written: the new home goes (a PostgreSQL restore is one transaction).
        if created:
            shutil.rmtree(home, ignore_errors=True)
        raise
    started = datetime.now(UTC)
    with Installation(home, environ=env, clock=clock) as inst:
        if inst.gate.sealed is None:
            raise IntegrityError("the restored database lost its seal")
        ctx = system_context("restore")
        report = inst.capability(Backups).finish_restore(ctx, manifest, ledger, live_trail)
    report.update(
        {
            "home": str(home),
            "backup": manifest["id"],
            "created_at": manifest["created_at"],
            "not_carried_over": sorted(carried),
            "seconds": round((datetime.now(UTC) - started).total_seconds(), 3),
        }
    )
    return report


def _open_keyring(path: Path, env: Mapping[str, str]) -> Keyring:
    from piguard.crypto.keyring import load_master_secret

    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("kind") == "pkcs11":
        return Keyring.open(path, pkcs11_pin=env.get("PIGUARD_PKCS11_PIN"))
    return Keyring.open(path, master_secret=load_master_secret(env))


def _master_file(env: dict[str, str], home: Path) -> None:
    # The master secret is never in a backup. A file given by path stays where it is; the new home
    # is told where, so opening it later needs the same environment or a copy at the default place.
    from piguard.config import default_master_key_file

    given = env.get("PIGUARD_MASTER_KEY_FILE")
    if given and not default_master_key_file(home).exists():
        target = default_master_key_file(home)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(Path(given).read_text(encoding="utf-8"))


def _restore_database(root: bytes, source: Path, name: str, url: str, kind: str, *, seal: str | None) -> None:
    sealed = source / ARTIFACTS[name]
    if kind == "sqlite":
        target = snapshot.sqlite_path(url)
        part = target.with_name(target.name + ".part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, sealed.open("rb") as fh:
            for chunk in open_stream(root, name, fh):
                out.write(chunk)
        if seal is not None:
            # Sealed before the file takes its name: no process ever opens it unsealed.
            import sqlite3

            raw = sqlite3.connect(part)
            with raw:
                raw.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (SEAL_KEY, seal),
                )
            raw.close()
        os.replace(part, target)
        return
    schemas = (DEFAULT_SCHEMA,) if name == "keys" else ("public",)
    if not snapshot.postgres_is_empty(url, schemas):
        raise Conflict(f"the restore target for the {name} database is not empty")
    with tempfile.TemporaryDirectory(prefix="piguard-restore-") as scratch:
        plain = Path(scratch) / f"{name}.dump"
        fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, sealed.open("rb") as fh:
            for chunk in open_stream(root, name, fh):
                out.write(chunk)
        snapshot.restore_postgres(url, plain)
    if seal is not None:
        db = Database(url)
        try:
            with db.transaction() as conn:
                db.set_meta(conn, SEAL_KEY, seal)
        finally:
            db.dispose()


def _reset_anchor(key_url: str, manifest: Mapping[str, Any]) -> None:
    # The key store was copied after the data, so its anchor may sign entries the data copy does
    # not hold. The restored anchor is the checkpoint the manifest signed (taken before the copy).
    keys = KeyStore(key_url)
    try:
        keys.migrate()
        with keys.engine.begin() as conn:
            conn.execute(delete(audit_anchors))
        checkpoint = manifest["audit"].get("checkpoint")
        if checkpoint:
            keys.put_audit_anchor(manifest["tenant"], checkpoint)
    finally:
        keys.dispose()


def seal_of(db: Database) -> str | None:
    """The seal a restore put on ``db`` (why every call is refused), or None."""
    try:
        with db.read() as conn:
            return db.get_meta(conn, SEAL_KEY)
    except StorageError:
        return None
