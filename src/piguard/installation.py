"""Creating and opening an installation: settings, catalog, keyring, databases, vault, gate.

This is where the parts are wired together; the edges (CLI, API) call
:func:`init_home` once and :func:`open_installation` for everything else.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, text

from piguard.access import AccessControl
from piguard.access.credentials import Passwords
from piguard.access.events import AccessRecorder
from piguard.access.grants import MAX_MINUTES as MAX_GRANT_MINUTES
from piguard.audit import AuditLog, JsonLinesSink, Sink, SyslogSink, VerifyReport, scrub, verify_file
from piguard.audit.anchors import Anchor, FileWitness, KeyStoreAnchor
from piguard.backup import Backups, seal_of
from piguard.calendar import WorkingCalendar, local_date
from piguard.catalog import Catalog, load_catalog, profile_path
from piguard.catalog.vocabulary import NOTIFICATION_PURPOSE, NOTIFIER_ROLE, SIGN_IN_ROLE
from piguard.clock import Clock
from piguard.compliance import Compliance, Sources
from piguard.config import Settings, default_master_key_file
from piguard.consent import ConsentLedger, identity_key_from
from piguard.consent.capability import Consent
from piguard.crypto.aead import Suite
from piguard.crypto.kdf import hkdf
from piguard.crypto.keyring import Keyring, Pkcs11Config, generate_master_secret, load_master_secret
from piguard.crypto.signature import SigningKey
from piguard.errors import AccessDenied, ConfigError, NotFound, QuotaExceeded, StorageError, VaultSealed
from piguard.gate import Gate, RequestContext
from piguard.gate.principals import system_actor, system_context
from piguard.gate.trail import Trail, TrailScope
from piguard.incidents import Incidents, Thresholds
from piguard.jobs import Job, JobRunner
from piguard.lifecycle import Lifecycle
from piguard.nodestate.sessions import BOX_PURPOSE as CONSOLE_BOX
from piguard.nodestate.state import NodeState
from piguard.outbox import Channel, FileChannel, Outbox, PartnerWebhookChannel, SmtpChannel, WebhookChannel
from piguard.privacy import Privacy
from piguard.rights import Rights
from piguard.sharing import Sharing
from piguard.store import Database, KeyStore, default_urls
from piguard.vault.vault import Vault

C = TypeVar("C")

SUITES: dict[str, Suite] = {"aes256-gcm": Suite.AES256_GCM, "sm4-gcm": Suite.SM4_GCM}


@dataclass
class InitResult:
    home: Path
    settings_path: Path
    catalog_path: Path
    keyring_path: Path
    database_url: str
    keystore_url: str
    master_key_file: Path | None
    bootstrap_token: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "home": str(self.home),
            "settings": str(self.settings_path),
            "catalog": str(self.catalog_path),
            "keyring": str(self.keyring_path),
            "database_url": _redact_url(self.database_url),
            "keystore_url": _redact_url(self.keystore_url),
            "master_key_file": str(self.master_key_file) if self.master_key_file else None,
            "bootstrap_token": self.bootstrap_token,
            "next": "export PIGUARD_TOKEN=<bootstrap_token>; piguard demo; piguard serve",
        }


def _redact_url(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def token_hash(token: str) -> str:
    # The bootstrap token is 256 random bits, so a plain SHA-256 is a sufficient verifier.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_bootstrap_token(settings: Settings, token: str) -> bool:
    expected = settings.bootstrap_token_hash
    return bool(expected) and hmac.compare_digest(expected or "", token_hash(token))


def _master_secret(settings: Settings, environ: Mapping[str, str]) -> bytes:
    env = dict(environ)
    if "PIGUARD_MASTER_KEY" not in env and "PIGUARD_MASTER_KEY_FILE" not in env:
        candidate = default_master_key_file(settings.home)
        if candidate.exists():
            env["PIGUARD_MASTER_KEY_FILE"] = str(candidate)
    return load_master_secret(env)


def _with_master_file(settings: Settings, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` naming the master secret as this installation found it (the home's default
    file when the environment names none): what a restore of its backups needs."""
    env = dict(environ)
    if "PIGUARD_MASTER_KEY" not in env and "PIGUARD_MASTER_KEY_FILE" not in env:
        candidate = default_master_key_file(settings.home)
        if candidate.exists():
            env["PIGUARD_MASTER_KEY_FILE"] = str(candidate)
    return env


def init_home(
    home: Path,
    *,
    profile: str = "default",
    catalog_file: Path | None = None,
    suite: str = "aes256-gcm",
    keyring_kind: str = "file",
    pkcs11_module: str | None = None,
    pkcs11_token: str | None = None,
    expected_customers: int = 1_000_000,
    bank_card_checksum: str = "reject",
    environ: Mapping[str, str] | None = None,
) -> InitResult:
    """Create a new installation in ``home``.

    :raises ConfigError: if ``home`` is already initialised or an option is invalid.
    """
    env = os.environ if environ is None else environ
    if suite not in SUITES:
        raise ConfigError(f"unknown cipher suite '{suite}' (choose {', '.join(SUITES)})")
    if keyring_kind not in ("file", "pkcs11"):
        raise ConfigError("keyring kind must be 'file' or 'pkcs11'")
    if (home / "piguard.json").exists():
        raise ConfigError(f"{home} is already initialised")
    source = catalog_file or profile_path(profile)
    load_catalog(source)  # refuse to install a catalog that does not load
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    token = secrets.token_urlsafe(32)
    settings = Settings(
        home=home,
        suite=suite,  # type: ignore[arg-type]
        keyring_kind=keyring_kind,  # type: ignore[arg-type]
        pkcs11_module=pkcs11_module,
        pkcs11_token=pkcs11_token,
        expected_customers=expected_customers,
        bank_card_checksum=bank_card_checksum,  # type: ignore[arg-type]
        bootstrap_token_hash=token_hash(token),
    )
    shutil.copyfile(source, settings.catalog_path)
    master_file: Path | None = None
    if keyring_kind == "file":
        if "PIGUARD_MASTER_KEY" in env or "PIGUARD_MASTER_KEY_FILE" in env:
            master = load_master_secret(env)
        else:
            master_file = default_master_key_file(home)
            if not master_file.exists():
                fd = os.open(master_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(generate_master_secret() + "\n")
            master = load_master_secret({"PIGUARD_MASTER_KEY_FILE": str(master_file)})
        Keyring.create(settings.keyring_path, suite=SUITES[suite], kind="file", master_secret=master)
    else:
        if not pkcs11_module or not pkcs11_token:
            raise ConfigError("a pkcs11 keyring needs --pkcs11-module and --pkcs11-token")
        pin = env.get("PIGUARD_PKCS11_PIN")
        if not pin:
            raise ConfigError("set PIGUARD_PKCS11_PIN to the token's user PIN")
        Keyring.create(
            settings.keyring_path,
            suite=SUITES[suite],
            kind="pkcs11",
            master_secret=None,
            pkcs11=Pkcs11Config(module=pkcs11_module, token_label=pkcs11_token, pin=pin),
        )
    settings.save()
    data_url, key_url = default_urls(home, env)
    db = Database(data_url)
    keys = KeyStore(key_url)
    try:
        db.migrate()
        keys.migrate()
    finally:
        db.dispose()
        keys.dispose()
    return InitResult(
        home=home,
        settings_path=settings.settings_path,
        catalog_path=settings.catalog_path,
        keyring_path=settings.keyring_path,
        database_url=data_url,
        keystore_url=key_url + (" (schema piguard_keys)" if key_url == data_url else ""),
        master_key_file=master_file,
        bootstrap_token=token,
    )


def _sinks(settings: Settings, environ: Mapping[str, str]) -> list[Sink]:
    """Audit sinks from the settings, ``PIGUARD_AUDIT_SYSLOG`` (``host:port``) or
    ``PIGUARD_AUDIT_JSONL`` (a file path)."""
    sinks: list[Sink] = []
    jsonl = environ.get("PIGUARD_AUDIT_JSONL") or settings.audit_jsonl
    if jsonl:
        sinks.append(JsonLinesSink(jsonl))
    target = environ.get("PIGUARD_AUDIT_SYSLOG") or settings.audit_syslog
    if not target:
        return sinks
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError("audit syslog target must be host:port")
    return [*sinks, SyslogSink(host, int(port))]


def _anchors(settings: Settings, environ: Mapping[str, str], keys: KeyStore) -> list[Anchor]:
    """Where signed audit checkpoints are anchored outside the data database: always the key
    store; also the witness file of the settings or ``PIGUARD_AUDIT_WITNESS``."""
    anchors: list[Anchor] = [KeyStoreAnchor(keys)]
    witness = environ.get("PIGUARD_AUDIT_WITNESS") or settings.audit_witness
    if witness:
        anchors.append(FileWitness(witness))
    return anchors


def _calendar(settings: Settings) -> WorkingCalendar:
    """The working-day calendar: the package's, plus the operator's ``<home>/calendar.json``."""
    path = settings.home / "calendar.json"
    return WorkingCalendar.from_file(path) if path.exists() else WorkingCalendar()


def _channels(
    settings: Settings, environ: Mapping[str, str], signing_key: SigningKey | None = None
) -> dict[str, Channel]:
    """The outbox's channels by kind of address: the configured SMTP server and SMS gateway, or
    files under ``<home>/outbox`` for what is not configured; and, given the audit key, partners'
    own endpoints (``partner_webhook``)."""
    files = settings.home / "outbox"
    email: Channel = FileChannel(files, "email")
    if settings.smtp:
        host, _, port = settings.smtp.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"smtp must be host:port, got {settings.smtp!r}")
        email = SmtpChannel(
            host,
            int(port),
            settings.smtp_sender,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=environ.get("PIGUARD_SMTP_PASSWORD"),
        )
    sms: Channel = FileChannel(files, "sms")
    if settings.sms_webhook:
        secret = environ.get("PIGUARD_SMS_WEBHOOK_SECRET")
        sms = WebhookChannel(settings.sms_webhook, secret=secret.encode() if secret else None)
    channels: dict[str, Channel] = {"email": email, "sms": sms}
    if signing_key is not None:
        # Partners' own endpoints (deletion notices), signed with the audit key.
        channels["partner_webhook"] = PartnerWebhookChannel(signing_key)
    return channels


def _test_results(settings: Settings, environ: Mapping[str, str]) -> Path | None:
    """The test suite's requirement map the compliance report reads (``PIGUARD_TEST_RESULTS``, the
    settings, or ``<home>/test-results/requirements-map.json``)."""
    configured = environ.get("PIGUARD_TEST_RESULTS") or settings.compliance_test_results
    return Path(configured) if configured else settings.home / "test-results" / "requirements-map.json"


def verify_export(file: Path, public_key: str) -> VerifyReport:
    """Verify an exported audit segment against a trusted public key (hex), with no home and no
    master secret: what an outside auditor runs (``piguard audit verify --file --public-key``)."""
    return verify_file(file, public_key)


class Installation:
    """An opened home: every part, ready; close it when done."""

    def __init__(
        self,
        home: Path,
        *,
        environ: Mapping[str, str] | None = None,
        recorder: AccessRecorder | None = None,
        clock: Clock | None = None,
        passwords: Passwords | None = None,
    ) -> None:
        """:param passwords: the password hasher (tests pass cheap argon2id parameters)."""
        env = os.environ if environ is None else environ
        self.settings = Settings.load(home)
        self.catalog: Catalog = load_catalog(self.settings.catalog_path)
        if self.settings.keyring_kind == "file":
            self.keyring = Keyring.open(
                self.settings.keyring_path, master_secret=_master_secret(self.settings, env)
            )
        else:
            self.keyring = Keyring.open(self.settings.keyring_path, pkcs11_pin=env.get("PIGUARD_PKCS11_PIN"))
        data_url, key_url = default_urls(home, env)
        self.db = Database(data_url)
        self.keys = KeyStore(key_url)
        self.db.migrate()
        self.keys.migrate()
        #: Sessions and rate-limit buckets every node of this installation shares (issue 12).
        self.node_state = NodeState(self.db, self.keyring.secret_box(CONSOLE_BOX))
        self.vault = Vault(
            catalog=self.catalog,
            db=self.db,
            keys=self.keys,
            keyring=self.keyring,
            tenant=self.settings.tenant,
            expected_customers=self.settings.expected_customers,
            bank_card_checksum=self.settings.bank_card_checksum,
            clock=clock,
        )
        # The audit trail (R-AUD-1): every gate event is appended, in the data transaction when
        # there is one. Tests may pass another recorder; the trail still exists for its commands.
        self.audit = AuditLog(
            self.db,
            self.keyring,
            clock=clock,
            tenant=self.settings.tenant,
            sinks=_sinks(self.settings, env),
            anchors=_anchors(self.settings, env, self.keys),
            retention_days=self.settings.audit_retention_days,
        )
        self.recorder: AccessRecorder = recorder or self.audit
        self.access = AccessControl(
            self.db,
            self.catalog,
            clock,
            recorder=self.recorder,
            passwords=passwords,
            secret_box=self.keyring.secret_box("totp"),
            bootstrap_token_hash=self.settings.bootstrap_token_hash,
        )
        self.consent = ConsentLedger(
            self.db,
            self.catalog,
            clock=clock,
            tenant=self.settings.tenant,
            identity_key=identity_key_from(self.keyring.secret("index_root")),
        )
        # The gate (the only way in) and the capabilities mounted on it.
        self.gate = Gate(
            self.vault, recorder=self.recorder, clock=clock, access=self.access, consent=self.consent
        )
        self.gate.mount(Consent(self.consent))
        self.gate.mount(Trail(self.audit))
        outbox = Outbox(
            self.db,
            self.catalog,
            self.settings.tenant,
            self.keyring.secret_box("outbox"),
            _channels(self.settings, env, self.keyring.audit_signing_key()),
            clock=clock,
        )
        self.gate.mount(outbox)
        self.gate.mount(
            Rights(
                self.db,
                self.catalog,
                self.settings.tenant,
                box=self.keyring.secret_box("rights"),
                code_key=hkdf(
                    self.keyring.suite,
                    self.keyring.secret("index_root"),
                    salt=b"piguard/rights",
                    info=b"one-time codes",
                    length=32,
                ),
                messenger=outbox,
                profile=self.settings.rights_profile,
                calendar=_calendar(self.settings),
                clock=clock,
                # A copy holds the customer's consents and access history too, each read as the customer.
                extras={
                    "consents": lambda ctx, cid: self.capability(Consent).show(ctx, cid),
                    "access_history": lambda ctx, cid: self.capability(Trail).history(ctx, cid),
                    # Who received the customer's data under an agreement (issue 15).
                    "recipients": lambda ctx, cid: {"recipients": self.capability(Sharing).recipients(cid)},
                },
                fulfilments={
                    "withdrawal": lambda ctx, cid, p: (
                        self.capability(Consent)
                        .withdraw(ctx, cid, p.get("purposes") or None, channel="rights_request")
                        .as_dict()
                    ),
                    "marketing_optout": lambda ctx, cid, p: (
                        self.capability(Consent)
                        .set_marketing(ctx, cid, True, False, channel="rights_request", delete_tags=True)
                        .as_dict()
                    ),
                },
                public_url=self.settings.public_url,
                # Who may act for a minor, when a refusal is in writing: the ledger's recorded age.
                age_of=self.consent.age_band,
                organisation=self.settings.organisation,
            )
        )
        # Legal holds: a barrier in every erasing transaction (R-DST-2).
        self.gate.mount(
            Lifecycle(
                self.db,
                self.catalog,
                self.settings.tenant,
                box=self.keyring.secret_box("lifecycle"),
                signing_key=self.keyring.audit_signing_key(),
                clock=clock,
                # consent_withdrawn anchors: the day the ledger marked a field for deletion.
                withdrawn=lambda cid: {
                    f"{m.record_type}.{name}": local_date(m.marked_at)
                    for m in self.consent.deletion_queue(cid)
                    for name in m.fields
                },
                # Retention leaves only what a legal floor keeps: the rights capability's storage-only state.
                storage_only=lambda conn, cid, purposes, ref: self.capability(Rights).keep_for_storage_only(
                    conn, cid, purposes, ref
                ),
                messenger=outbox,
                inactive_after_years=self.settings.inactive_after_years,
                inactive_notice_days=self.settings.inactive_notice_days,
            )
        )
        # Backups: the databases copied sealed; a restore's seal is a row every process sees.
        self.gate.mount(
            Backups(
                self.settings,
                self.db,
                self.keys,
                self.keyring,
                self.audit,
                data_url=data_url,
                keystore_url=key_url,
                environ=_with_master_file(self.settings, env),
                clock=clock,
            )
        )
        seal = seal_of(self.db)
        if seal is not None:
            self.gate.seal(seal, check=lambda: seal_of(self.db))
        # Compliance evidence: its checks read the other capabilities through their own operations.
        self.gate.mount(
            Compliance(
                self.db,
                self.catalog,
                self.settings.tenant,
                signing_key=self.keyring.audit_signing_key(),
                sources=self._compliance_sources(),
                reports_dir=self.settings.home / "compliance" / "reports",
                organisation=self.settings.organisation,
                test_results=_test_results(self.settings, env),
                audit_threshold=self.settings.compliance_audit_threshold,
                clock=clock,
            )
        )
        # The customer privacy centre: sign-in codes through the outbox; an identifier is looked up
        # by a gate search as the outbox's sender (contact fields only, for notification).
        self.gate.mount(
            Privacy(
                self.db,
                self.catalog,
                self.settings.tenant,
                code_key=hkdf(
                    self.keyring.suite,
                    self.keyring.secret("index_root"),
                    salt=b"piguard/privacy",
                    info=b"one-time codes",
                    length=32,
                ),
                messenger=outbox,
                locate=self._locate,
                # Who received the customer's data: the sharing register (issue 15).
                recipients=lambda cid: self.capability(Sharing).recipients(cid),
                # A request's copy, downloaded once from the requests page after a fresh code.
                package=lambda ctx, case_id: self.capability(Rights).download_case(ctx, case_id),
                ready=lambda cid: self.capability(Rights).ready_cases(cid),
                # A child under 14 does not sign in alone (the consent ledger's age band, R-MIN-1).
                age_of=self.consent.age_band,
                clock=clock,
            )
        )
        # Incidents: register, scope from the trail, clocks, notices, containment (R-INC-1..7).
        self.gate.mount(
            Incidents(
                self.db,
                self.catalog,
                self.settings.tenant,
                box=self.keyring.secret_box("incidents"),
                trail=TrailScope(self.audit),
                messenger=outbox,
                freeze=self.access.freeze_principal,
                minors_among=self.consent.under_14_among,
                release=self._release_contacts,
                suspend=self._suspend_partner,
                rotate=self._rotate_for_incident,
                operator=self.settings.incident_operator,
                profile=self.settings.incident_profile,
                thresholds=Thresholds(**self.settings.incident_thresholds),
                alert_cooldown=timedelta(minutes=self.settings.incident_alert_cooldown_minutes),
                organisation=self.settings.organisation,
                clock=clock,
            )
        )
        # Governed transfers to partners, anonymised extracts (issue 15).
        self.gate.mount(
            Sharing(
                self.db,
                self.catalog,
                self.settings.tenant,
                pseudonym_root=hkdf(
                    self.keyring.suite,
                    self.keyring.secret("index_root"),
                    salt=b"piguard/sharing",
                    info=b"recipient pseudonyms",
                    length=32,
                ),
                signing_key=self.keyring.audit_signing_key(),
                clock=clock,
                localise=self.settings.sharing_localise,
                ciio=self.settings.sharing_ciio,
                approval=self._share_approval,
                messenger=outbox,
                consented_recipient=self._consented_recipient,
                sensitive_pipia=self.settings.sensitive_needs_pipia,
            )
        )
        scrub.declare(self.gate.detail_kinds())
        #: Deprecated name of :attr:`gate`, while callers move.
        self.service = self.gate
        # A monitoring rule that fires may freeze the principal at once (seed 001).
        self.audit.on_freeze = self.access.freeze_principal
        #: Scheduled work, leased in the database: any number of nodes, one run per due job.
        self.jobs = JobRunner(self.db, self.settings.tenant, clock=clock)
        self._register_jobs()

    def _compliance_sources(self) -> Sources:
        """What the compliance checks read, each through its capability's public API."""
        trail, lifecycle = self.capability(Trail), self.capability(Lifecycle)
        rights, consent = self.capability(Rights), self.capability(Consent)

        def verify(ctx: Any) -> dict[str, Any]:
            report = trail.verify(ctx)
            findings = [f.kind for f in report.findings]
            return {
                "ok": report.ok,
                "entries": report.entries,
                "checkpoints": report.checkpoints,
                "findings": findings,
            }

        def overdue(ctx: Any) -> list[dict[str, Any]]:
            found = rights.find(ctx, overdue=True, limit=1000)
            return [{"id": c.id, "type": c.type, "status": c.status, "due": c.due.isoformat()} for c in found]

        def request_stats(ctx: Any) -> dict[str, Any]:
            by_type: dict[str, int] = {}
            by_status: dict[str, int] = {}
            days: list[int] = []
            for c in rights.find(ctx, limit=1000):
                by_type[c.type] = by_type.get(c.type, 0) + 1
                by_status[c.status] = by_status.get(c.status, 0) + 1
                if c.closed_at is not None:
                    days.append((c.closed_at - c.received_at).days)
            return {
                "by_type": dict(sorted(by_type.items())),
                "by_status": dict(sorted(by_status.items())),
                "closed": len(days),
                "mean_days_to_close": round(sum(days) / len(days), 1) if days else None,
            }

        def population(ctx: Any) -> dict[str, Any]:
            counts: dict[str, Any] = {"under_14": 0, "minors": 0, "without_guardian": 0, "by_purpose": {}}
            today = self.gate.today()
            for cid in self.gate.customer_ids():
                state = self.consent.state(cid)
                band = state.age.band_on(today) if state.age is not None else None
                for _, purpose in state.active:
                    counts["by_purpose"][purpose] = counts["by_purpose"].get(purpose, 0) + 1
                if band in ("under14", "minor"):
                    counts["minors"] += 1
                if band == "under14":
                    counts["under_14"] += 1
                    if any(not grant.by_guardian for grant in state.active.values()):
                        counts["without_guardian"] += 1
            return counts

        def sharing(ctx: Any) -> dict[str, Any]:
            # The sharing register as the checks and the ROPA read it, through its own operations
            # with the caller's context (the capability is found when the reading runs).
            register = self.capability(Sharing)
            today = self.gate.today()
            agreements = register.agreements(ctx)
            assessments = register.assessments(ctx)
            current = {a.agreement_id for a in assessments if a.agreement_id and a.is_current(today)}
            partners = []
            for p in register.partners(ctx):
                own = [a for a in agreements if a.partner_id == p.id]
                active = [a for a in own if a.is_active(today)]
                abroad = [a for a in own if a.type == "cross_border"]
                partners.append(
                    {
                        "id": p.id,
                        "name": p.name,
                        "active": p.status == "active",
                        "agreement_current": bool(active),
                        "assessment_on_file": any(a.id in current for a in active),
                        "cross_border": bool(abroad) or p.country != "CN",
                        "mechanism": next((a.mechanism for a in abroad if a.mechanism), None),
                        "purposes": sorted({a.purpose for a in active}),
                    }
                )
            # The checks need the number of provisions, not the log: one count query.
            return {
                "partners": partners,
                "provisions": register.transfer_count(ctx),
                # Purposes with a current PIPIA of their own (R-AUD-3: before sensitive PI).
                "assessed_purposes": sorted(
                    {a.purpose for a in assessments if a.purpose and a.is_current(today)}
                ),
                "sensitive_enforced": self.settings.sensitive_needs_pipia,
            }

        def sharing_records(ctx: Any) -> dict[str, Any]:
            # The evidence bundle's copy of the register's records (R-SHR-1, R-SHR-3, R-SHR-4):
            # agreements' and assessments' metadata and the transfer log; ids, names, counts and
            # hashes of companies and transfers, never a customer.
            register = self.capability(Sharing)
            return {
                "agreements": [a.as_dict() for a in register.agreements(ctx)],
                "assessments": [a.as_dict() for a in register.assessments(ctx)],
                "transfers": register.transfers(ctx),
            }

        return Sources(
            sharing=sharing,
            sharing_records=sharing_records,
            # Found when the reading runs: incidents are mounted after compliance.
            incidents=lambda ctx: self.capability(Incidents).evidence(ctx),
            audit_verify=verify,
            audit_retention_days=self.settings.audit_retention_days,
            retention_plan=lambda ctx: lifecycle.plan(ctx),
            overdue_requests=overdue,
            request_stats=request_stats,
            notices=lambda ctx: [n.as_dict(texts=True) for n in consent.notices(ctx)],
            training=lambda ctx: self.access.list_training(ctx.actor),
            population=population,
            destructions=lambda ctx: lifecycle.destructions(ctx, limit=5000),
            alerts=lambda ctx: [
                {"rule": a.rule, "severity": a.severity, "time": a.time}
                for a in trail.alerts(ctx, limit=1000)
            ],
            settings={
                "organisation": self.settings.organisation,
                "suite": self.settings.suite,
                "keyring": self.settings.keyring_kind,
                "keys_apart": str(self.keys.engine.url) != str(self.db.engine.url)
                or self.keys.schema is not None,
            },
        )

    def _release_contacts(self, ctx: RequestContext, customer_id: str, reason: str) -> str:
        """Release a child's contact details to the outbox's sender for an incident notice (R-USE-2,
        R-INC-6): a clear grant of ``system:outbox`` (notifier) for the notification purpose, over the
        contact fields it may ever see in clear, requested and approved by the officer who sends
        (``grant_request`` and ``grant_decide``, both audited), for the longest a grant runs."""
        notifier = system_actor("outbox", NOTIFIER_ROLE)
        fields = [
            f"customer.{name}"
            for name, fdef in self.catalog.record_types["customer"].fields.items()
            if fdef.category == "contact" and not fdef.sensitive
        ]
        grant = self.access.request_grant(
            notifier,
            kind="clear",
            purpose=NOTIFICATION_PURPOSE,
            reason=reason,
            customer_id=customer_id,
            fields=fields,
            minutes=MAX_GRANT_MINUTES,
        )
        self.access.decide_grant(ctx.actor, str(grant["id"]), approve=True)
        return str(grant["id"])

    def _suspend_partner(self, ctx: RequestContext, partner_id: str) -> list[str]:
        """Suspend every agreement in force with a partner (an incident at or through the partner),
        each through the sharing register's own ``agreement_suspend`` with the officer's context."""
        register = self.capability(Sharing)
        register.partners(ctx, partner_id)  # NotFound for an unknown partner, recorded
        return [
            register.suspend(ctx, a.id, reason="incident").id for a in register.active_agreements(partner_id)
        ]

    def _rotate_for_incident(self, ctx: RequestContext) -> dict[str, int]:
        """Rotate the key-encryption key as a containment step: the key store's ``key_rotate`` run as
        ``system:incidents`` (an administrator's operation; the officer's decision is the incident's
        own audited ``incident_contain`` entry, which names the new version)."""
        return self.gate.rotate_keys(system_context("incidents"))

    def _locate(self, field: str, value: str) -> str | None:
        """The customer whose profile ``field`` is ``value`` (one exact match), for the privacy
        centre's sign-in: a gate search as ``system:privacy`` with the outbox sender's role."""
        ctx = system_context("privacy", SIGN_IN_ROLE, NOTIFICATION_PURPOSE)
        found = self.gate.search(ctx, "customer", field, value, limit=2)
        return found[0].customer_id if len(found) == 1 else None

    def _consented_recipient(self, customer_id: str, kind: str, purpose: str) -> str | None:
        """The recipient the customer's separate ``kind`` consent to ``purpose`` names (the consent
        ledger's state, as the gate's consent guard reads it), for the sharing capability."""
        grant = self.consent.state(customer_id).active.get((kind, purpose))  # type: ignore[arg-type]
        return grant.recipient if grant is not None else None

    def _share_approval(
        self, conn: Connection | None, ctx: RequestContext, grant_id: str, purpose: str, persons: int
    ) -> str:
        """A large share's approval (R-USE-3): an approved, unused export grant of the requester for
        the share's purpose covering ``persons`` customers; used up in ``conn`` when given."""
        grants = self.access.grants
        try:
            grant = grants.get(grant_id)
        except NotFound:
            raise AccessDenied("no such export grant", "R-USE-3") from None
        if grant.kind != "export" or grant.requester_id != ctx.actor.id:
            raise AccessDenied("this grant is not an export grant of yours", "R-USE-3")
        if grant.purpose != purpose or grant.record_type not in (None, "customer"):
            raise AccessDenied("the grant is for another record type or purpose", "R-USE-3")
        state = grant.state(self.gate.clock.now())
        if state != "approved":
            raise AccessDenied(f"the export grant is {state}", "R-USE-3")
        if grant.max_rows is not None and persons > grant.max_rows:
            raise QuotaExceeded(
                f"the grant covers {grant.max_rows} customers, not {persons} (R-USE-3)", "R-USE-3"
            )
        if conn is not None and not grants.mark_used(grant.id, conn):
            raise AccessDenied("the export grant was already used", "R-USE-3")
        return grant.decided_by or ""

    def _register_jobs(self) -> None:
        consent = self.capability(Consent)

        def birthdays(now: datetime) -> int:
            # As system:birthdays, through the gate: audited like any other caller (R-MIN-4).
            return len(consent.reevaluate_birthdays(system_context("birthdays"), local_date(now)))

        self.jobs.register(Job("birthdays", every=timedelta(hours=1), run=birthdays))
        outbox = self.capability(Outbox)
        self.jobs.register(Job("outbox", every=timedelta(seconds=30), run=outbox.deliver_due))
        rights = self.capability(Rights)

        def rights_clock(now: datetime) -> int:
            counts = rights.tick(system_context("rights_clock", purpose=""))
            return counts["overdue"] + counts["nearly_due"]

        # Daily: due dates are days, and an overdue case raises one alert a day until it is handled.
        self.jobs.register(Job("rights_clock", every=timedelta(days=1), run=rights_clock))
        lifecycle = self.capability(Lifecycle)

        def destruction_check(now: datetime) -> int:
            # Records a crash left unsigned between an erasure's commit and its verification.
            return lifecycle.check(system_context("destruction_check", purpose=""))

        self.jobs.register(Job("destruction_check", every=timedelta(minutes=10), run=destruction_check))
        if self.settings.retention_every_hours > 0:

            def retention(now: datetime) -> int:
                done = lifecycle.run(system_context("retention", purpose=""))
                return int(done["destroyed"] + done["stripped"])

            every = timedelta(hours=self.settings.retention_every_hours)
            self.jobs.register(Job("retention", every=every, run=retention))
        incidents = self.capability(Incidents)

        def incident_clock(now: datetime) -> int:
            # Every 10 minutes: the shortest reporting clock is one hour.
            counts = incidents.tick(system_context("incident_clock", purpose=""))
            return counts["overdue"] + counts["nearly_due"] + counts["due_now"]

        self.jobs.register(Job("incident_clock", every=timedelta(minutes=10), run=incident_clock))

        compliance = self.capability(Compliance)

        def compliance_schedule(now: datetime) -> int:
            counts = compliance.tick(system_context("compliance_schedule", purpose=""))
            return counts["overdue"] + counts["due_soon"]

        # Daily: audit due dates are days; an audit due soon or overdue raises an alert each day.
        self.jobs.register(Job("compliance_schedule", every=timedelta(days=1), run=compliance_schedule))
        role = self.settings.compliance_job_role
        if self.settings.compliance_report_every_days > 0 and role in self.catalog.roles:

            def compliance_report(now: datetime) -> int:
                # JSON and HTML: PDFs (WeasyPrint, CPU-bound) are made on demand, not inside a server.
                job_ctx = system_context("compliance_report", role=role)
                done = compliance.report(job_ctx, formats=("json", "html"))
                return int(done["summary"]["fail"])

            every = timedelta(days=self.settings.compliance_report_every_days)
            self.jobs.register(Job("compliance_report", every=every, run=compliance_report))

    def capability(self, kind: type[C]) -> C:
        """The mounted capability of this class (the edges' way to a capability's operations)."""
        return self.gate.capability(kind)

    def ready(self) -> dict[str, str]:
        """Check that the parts a request needs answer: the data database and the keyring
        (``/readyz``; the edges never touch the database themselves).

        :raises VaultSealed: no keyring loaded. :raises StorageError: the database does not answer.
        """
        checks: dict[str, str] = {}
        try:
            with self.db.read() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver failure means "not ready", reported without its message
            raise StorageError("data database unavailable") from exc
        checks["database"] = "ok"
        if getattr(self, "keyring", None) is None:
            raise VaultSealed()
        checks["keyring"] = "ok"
        checks["audit"] = "ok" if getattr(self, "audit", None) is not None else "memory"
        return checks

    def close(self) -> None:
        self.consent.close()
        self.audit.close()  # writes the shutdown checkpoint
        self.db.dispose()
        self.keys.dispose()

    def __enter__(self) -> Installation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
