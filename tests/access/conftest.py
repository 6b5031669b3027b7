"""A gate with real accounts over a fresh installation, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from piguard.access import AccessControl, MemoryRecorder
from piguard.access.credentials import Passwords, totp_now
from piguard.access.duties import privileged_roles
from piguard.clock import FixedClock
from piguard.consent import ConsentKind, shipped_notice
from piguard.consent.capability import Consent
from piguard.consent.rules import rests_on_consent
from piguard.crypto.keyring import generate_master_secret
from piguard.gate import Gate, RequestContext
from piguard.installation import Installation, init_home
from piguard.vault.model import Actor
from tests.pg import fresh_database

#: 10:00 in Beijing, a weekday.
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
SETUP = Actor("bootstrap", "bootstrap-admin", "staff", name="bootstrap")
#: Cheap argon2id parameters: the tests exercise the logic, not the cost.
CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

ADULT = {
    "name": "欧阳娜娜",
    "gender": "F",
    "birth_date": "1990-03-07",
    "resident_id": "110105199003070180",
    "mobile": "13800138000",
    "email": "nana@example.com",
    "address": "北京市朝阳区建国路88号",
    "bank_card": "6222021234567890128",
    "membership_level": "gold",
}


@dataclass
class Staff:
    actor: Actor
    name: str
    password: str
    totp_secret: str
    token: str


@dataclass
class World:
    inst: Installation
    clock: FixedClock
    access: AccessControl
    service: Gate
    recorder: MemoryRecorder
    staff: dict[str, Staff] = field(default_factory=dict)
    _root: Actor | None = None

    def user(
        self, role: str, *, name: str | None = None, trained: bool = True, signed: bool = True, **kw: Any
    ) -> Staff:
        """Create, train and log in a staff user of ``role``."""
        uname = name or f"{role}_{len(self.staff)}"
        created = self.access.add_user(self.creator_for(role), uname, role, **kw)
        if created["status"] == "pending":
            self.access.approve_account(self.root_admin(), created["id"])
        if signed:
            self.access.record_training(SETUP, uname, kind="agreement", course="NDA", completed_on=TODAY)
        if trained:
            self.access.record_training(
                SETUP,
                uname,
                kind="course",
                course="PIPL basics",
                completed_on=TODAY - timedelta(days=30),
                score=90,
            )
        secret = created["totp_secret"]
        login = self.access.login(
            uname, created["password"], totp_now(secret, self.clock.now()) if secret else None
        )
        staff = Staff(self.access.authenticate(login.token), uname, created["password"], secret, login.token)
        self.staff[uname] = staff
        return staff

    def root_admin(self) -> Actor:
        """The first administrator (made by the bootstrap credential): the second person who
        approves the accounts the world creates (separation of duties, issue 11.3)."""
        if self._root is None:
            made = self.access.add_user(SETUP, f"root_admin_{len(self.staff)}", "admin")
            self._root = Actor(made["id"], "admin", "staff", name=made["name"])
        return self._root

    def creator_for(self, role: str) -> Actor:
        """Who creates an account of ``role``: for a privileged role a fresh administrator of its
        own (proposed by the bootstrap credential, approved by the root administrator), so that no
        two accounts of the world share a creator and any of them may approve another's request."""
        if role not in privileged_roles(self.inst.catalog):
            return SETUP
        root = self.root_admin()
        made = self.access.add_user(SETUP, f"creator_{len(self.staff)}_{role}", "admin")
        if made["status"] == "pending":
            self.access.approve_account(root, made["id"])
        return Actor(made["id"], "admin", "staff", name=made["name"])

    def staff_of(self, role: str) -> Staff:
        """The first staff user of ``role`` (created, trained and logged in on first use)."""
        found = next((s for s in self.staff.values() if s.actor.role == role), None)
        return found or self.user(role)

    def reauth(self, staff: Staff) -> Actor:
        staff.actor = self.access.authenticate(staff.token)
        return staff.actor

    def step_up(self, staff: Staff) -> Actor:
        # A fresh code must belong to a later time step than the one used at login.
        self.clock.advance(timedelta(seconds=31))
        self.access.step_up(staff.actor, totp_now(staff.totp_secret, self.clock.now()))
        return self.reauth(staff)

    def ctx(self, who: Staff | Actor, purpose: str = "service") -> RequestContext:
        actor = who.actor if isinstance(who, Staff) else who
        return RequestContext(actor, purpose, client="test")

    def customer(self, values: dict[str, str] | None = None) -> str:
        ref = self.service.create(RequestContext(SETUP, "service"), "customer", values or ADULT)
        return ref.customer_id

    def consent(self, customer_id: str, *purposes: str, sensitive: bool = False) -> None:
        """Record the customer's consent to those of ``purposes`` that rest on consent (the general
        consent, and with ``sensitive`` the separate one too), publishing the shipped notice first."""
        consent = self.inst.capability(Consent)
        setup = RequestContext(SETUP, "", client="test")
        if not consent.notices(setup):
            _, zh, en = shipped_notice("privacy")
            consent.publish_notice(setup, zh, en, title="Privacy notice")
        names = [p for p in purposes if rests_on_consent(self.inst.catalog.purposes[p])]
        if names:
            kinds: list[ConsentKind] = ["general", "sensitive"] if sensitive else ["general"]
            consent.grant(setup, customer_id, names, channel="app", kinds=kinds)
        # With ``sensitive``, also the other separate consents a purpose asks for (provision to a
        # partner, cross-border transfer: PIPL 23, 39), each for the purposes that need it.
        defs = self.inst.catalog.purposes
        others = {k for p in names for k in defs[p].separate_consent_for} - {"sensitive"}
        for kind in sorted(others) if sensitive else []:
            needing = [p for p in names if kind in defs[p].separate_consent_for]
            consent.grant(
                setup,
                customer_id,
                needing,
                channel="app",
                kinds=["general", kind],
                recipient="合作方（测试）",
            )

    def stay(
        self,
        customer_id: str,
        check_in: date,
        check_out: date,
        room: str = "1208",
        *,
        checked_in: bool = True,
    ) -> str:
        """Register a stay (as the setup credential) and, with ``checked_in``, mark it checked in as
        the desk's ``stay_check_in`` would (setup shortcut; the operation is tested on its own)."""
        catalog = self.inst.catalog
        purpose = next(
            p
            for p in sorted(catalog.purposes)
            if not catalog.purposes[p].ancillary  # built-in purposes that collect nothing
            and {"room_no", "check_in", "check_out"} <= catalog.fields_for(p, "hotel_stay")
        )
        ref = self.service.create(
            RequestContext(SETUP, purpose),
            "hotel_stay",
            {"room_no": room, "check_in": check_in.isoformat(), "check_out": check_out.isoformat()},
            customer_id=customer_id,
        )
        if checked_in:
            with self.inst.gate.db.transaction() as conn:
                self.inst.gate.checkins.check_in(
                    conn, ref.record_id, customer_id, method="id_match", by=SETUP.id
                )
        return ref.record_id

    def denials(self) -> list[Any]:
        return [e for e in self.recorder.events if e.decision == "deny"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def environ(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    env = {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")}
    if request.param == "sqlite":
        yield env
    else:
        with fresh_database() as url:
            env["PIGUARD_DATABASE_URL"] = url
            yield env


def make_world(
    tmp_path: Path,
    environ: dict[str, str],
    profile: str = "default",
    catalog_file: Path | None = None,
    *,
    audited: bool = False,
) -> World:
    """A world over a fresh home. ``audited``: the installation's own audit trail records
    (``world.recorder`` then stays empty); otherwise an in-memory recorder does."""
    home = tmp_path / "home"
    init_home(home, environ=environ, expected_customers=10_000, profile=profile, catalog_file=catalog_file)
    clock = FixedClock(START)
    recorder = MemoryRecorder()
    # The production wiring: the installation's own gate, accounts and consent layer.
    inst = Installation(
        home, environ=environ, recorder=None if audited else recorder, clock=clock, passwords=CHEAP
    )
    return World(inst, clock, inst.access, inst.gate, recorder)


@pytest.fixture
def world(tmp_path: Path, environ: dict[str, str]) -> Iterator[World]:
    w = make_world(tmp_path, environ)
    yield w
    w.inst.close()


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    (tmp_path / "master.key").write_text(generate_master_secret())
    w = make_world(tmp_path, {"PIGUARD_MASTER_KEY_FILE": str(tmp_path / "master.key")})
    yield w
    w.inst.close()
