"""Installation settings: the home directory and what lives in it.

A home directory (``--home``, ``PIGUARD_HOME``, default ``./.piguard``) holds::

    piguard.json   settings written by ``piguard init`` (no secrets except hashes)
    catalog.yaml   the installation's catalog (copied from a shipped profile)
    keyring.json   wrapped key material (KEKs for the file provider, installation secrets)
    data.db        the data database (records, blind index, audit) - SQLite default
    keys.db        the key store (wrapped per-customer data keys) - kept apart on purpose

The master secret that opens the keyring never lives in the home: it comes from
``PIGUARD_MASTER_KEY`` or from the file named by ``PIGUARD_MASTER_KEY_FILE``
(``piguard init`` writes one *next to* the home, ``<home>.master-key``, for demos).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from piguard.errors import ConfigError

SETTINGS_FILE = "piguard.json"
SuiteName = Literal["aes256-gcm", "sm4-gcm"]
KeyringKind = Literal["file", "pkcs11"]


def home_from(explicit: str | Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """Resolve the home directory: explicit argument, then ``PIGUARD_HOME``, then ``./.piguard``."""
    env = os.environ if environ is None else environ
    raw = explicit if explicit is not None else env.get("PIGUARD_HOME", ".piguard")
    return Path(raw).expanduser().absolute()


def default_master_key_file(home: Path) -> Path:
    """Where ``piguard init`` puts a generated master secret: beside the home, not inside it."""
    return home.parent / f"{home.name}.master-key"


@dataclass(frozen=True)
class Settings:
    """What ``piguard init`` decided; loaded by every later command."""

    home: Path
    tenant: str = "default"
    suite: SuiteName = "aes256-gcm"
    keyring_kind: KeyringKind = "file"
    pkcs11_module: str | None = None
    pkcs11_token: str | None = None
    bank_card_checksum: Literal["reject", "warn"] = "reject"
    expected_customers: int = 1_000_000
    bootstrap_token_hash: str | None = None
    #: Audit entries are kept at least this long (R-AUD-2: never below 184 days).
    audit_retention_days: int = 184
    #: ``host:port`` of a syslog collector (RFC 5424 over UDP) that receives every audit entry.
    audit_syslog: str | None = None
    #: The outbox's email channel: ``host:port`` of an SMTP server (password in
    #: ``PIGUARD_SMTP_PASSWORD``). Without it, email goes to files in ``<home>/outbox`` (the demo).
    smtp: str | None = None
    smtp_sender: str = "privacy@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    #: The outbox's SMS channel: an SMS gateway's URL (JSON POST, signed with
    #: ``PIGUARD_SMS_WEBHOOK_SECRET``). Without it, SMS go to files in ``<home>/outbox``.
    sms_webhook: str | None = None
    #: Deadlines of rights requests: ``cn`` (15 working days, +15) or ``gdpr`` (1 month, +2).
    rights_profile: Literal["cn", "gdpr"] = "cn"
    #: Where customers reach this installation (the one-time links to their copies point here).
    public_url: str = "http://127.0.0.1:8700"
    #: The PI handler's name, as written refusals are issued in it.
    organisation: str = ""
    #: How often ``piguard serve`` runs retention (hours; 0: never, run ``piguard retention run``
    #: yourself). Leased in the database: one node runs it when several share it.
    retention_every_hours: int = 24
    #: An account unused this many years is notified, then cleaned up (R-DST-4; seed 001: 5; 0: never).
    inactive_after_years: int = 5
    #: Days between that notice and the clean-up (any activity meanwhile keeps the account).
    inactive_notice_days: int = 30
    #: Data localisation (R-STO-6): refuse every cross-border transfer.
    sharing_localise: bool = False
    #: A critical-information-infrastructure operator: every cross-border transfer needs a CAC
    #: security assessment, whatever the count (R-SHR-6).
    sharing_ciio: bool = False
    #: Refuse processing sensitive fields for a purpose without a current impact assessment
    #: (PIPIA) of that purpose on file (PIPL 55(1), R-AUD-3). Off until the installation has
    #: recorded the PIPIAs of its purposes; the compliance report's R-AUD-3 check says which lack one.
    sensitive_needs_pipia: bool = False
    #: A JSON Lines file that receives every audit entry, checkpoint and alert (read back by
    #: ``audit verify`` as an anchor).
    audit_jsonl: str | None = None
    #: A witness file (ideally on another host or an append-only mount) that receives every
    #: signed audit checkpoint; ``audit verify`` checks the chain still holds its newest.
    audit_witness: str | None = None
    #: Overrides of the detector's shipped settings (per-type thresholds, context words):
    #: see :mod:`piguard.detect.settings` for the shape.
    detection: dict[str, Any] | None = None
    #: How often ``piguard serve`` generates and keeps a compliance report, JSON and HTML (days; 0:
    #: never). The job acts as ``system:compliance_report`` with ``compliance_job_role`` (a role that
    #: audits).
    compliance_report_every_days: int = 30
    compliance_job_role: str = "auditor"
    #: The test suite's requirement map the compliance report reads (``make test`` writes
    #: ``test-artifacts/requirements-map.json``); ``PIGUARD_TEST_RESULTS`` overrides it.
    compliance_test_results: str | None = None
    #: Persons above which a compliance audit of PI protection is due every 2 years (R-AUD-5; the
    #: 2025 Audit Measures: 10 million). The report's schedule and its check read it.
    compliance_audit_threshold: int = 10_000_000
    #: What kind of operator this installation reports as, for incident clocks (R-INC-3):
    #: ``ciio`` (critical information infrastructure, 1 h), ``central`` (central state organ, 2 h)
    #: or ``other`` (4 h to the provincial CAC).
    incident_operator: Literal["ciio", "central", "other"] = "other"
    #: ``cn`` (the CAC clocks), or ``gdpr`` (also the 72 h clock of GDPR 33, R-INC-7).
    incident_profile: Literal["cn", "gdpr"] = "cn"
    #: Grade thresholds overriding :class:`piguard.incidents.Thresholds`' (persons counts by name).
    incident_thresholds: dict[str, int] = field(default_factory=dict)
    #: Minutes before the incident clock job alerts again about a clock still in the same state
    #: (the ``incident_deadline`` alert's cool-down, kept in the database; a clock that moves on,
    #: nearly due to overdue, alerts at once).
    incident_alert_cooldown_minutes: int = 60

    @property
    def settings_path(self) -> Path:
        return self.home / SETTINGS_FILE

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.yaml"

    @property
    def keyring_path(self) -> Path:
        return self.home / "keyring.json"

    def save(self) -> None:
        data = asdict(self)
        data.pop("home")
        tmp = self.settings_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.settings_path)

    @classmethod
    def load(cls, home: Path) -> Settings:
        """Read ``piguard.json`` from ``home``.

        :raises ConfigError: if the home was never initialised or the file is damaged.
        """
        path = home / SETTINGS_FILE
        if not path.exists():
            raise ConfigError(f"{home} is not a piguard home (no {SETTINGS_FILE}); run 'piguard init' first")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(home=home, **data)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{path}: damaged settings file ({exc.__class__.__name__})") from exc
