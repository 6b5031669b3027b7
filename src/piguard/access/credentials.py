"""Credentials: argon2id password hashes, bearer tokens, TOTP codes with replay protection.

Nothing here touches the database; :mod:`piguard.access.authentication` and
:mod:`piguard.access.principals` store what these functions produce.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from piguard.errors import ValidationError

#: argon2id with RFC 9106's second recommended option (64 MiB, 3 passes).
DEFAULT_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)

TOTP_STEP_SECONDS = 30
#: Codes one step either side of now are accepted (clock drift of phones).
TOTP_WINDOW = 1
MIN_PASSWORD_LENGTH = 12

SESSION_PREFIX = "pgs_"
API_KEY_PREFIX = "pgk_"


class Passwords:
    """argon2id hashing with one parameter set (tests pass a cheap :class:`PasswordHasher`)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or DEFAULT_HASHER
        self._dummy_hash: str | None = None

    @property
    def _dummy(self) -> str:
        # Verified against when the user does not exist, so that timing does not reveal it;
        # made on first use so that opening an installation costs no hashing.
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def hash(self, password: str) -> str:
        """Return an argon2id hash of ``password``.

        :raises ValidationError: the password is shorter than 12 characters.
        """
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationError(f"must be at least {MIN_PASSWORD_LENGTH} characters", "password")
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Say whether ``password`` matches ``stored``; with no hash, spend the same time and say no."""
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def new_password() -> str:
    """A random 20-character password (about 119 bits), for demo staff and resets."""
    return secrets.token_urlsafe(15)


def new_token(prefix: str) -> tuple[str, str]:
    """Return ``(token, sha256 hex)``. The token holds 256 random bits, so a plain SHA-256 suffices."""
    token = prefix + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, name: str, issuer: str = "piguard") -> str:
    """The ``otpauth://`` URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=issuer)


def totp_now(secret: str, when: datetime) -> str:
    """The code an authenticator shows at ``when``; for demos and tests."""
    return pyotp.TOTP(secret).at(when)


def totp_step(secret: str, code: str, when: datetime, last_step: int | None) -> int | None:
    """Return the time step ``code`` belongs to, or ``None`` if it is wrong or replayed.

    A code is accepted once: a step at or before ``last_step`` (the last one accepted for
    this principal) is refused even if the code is otherwise right (RFC 6238 §5.2).
    """
    digits = code.strip().replace(" ", "")
    if not digits.isdigit() or len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(when.timestamp()) // TOTP_STEP_SECONDS
    for step in range(now_step - TOTP_WINDOW, now_step + TOTP_WINDOW + 1):
        expected = totp.at(step * TOTP_STEP_SECONDS)
        if hmac.compare_digest(expected, digits):
            if last_step is not None and step <= last_step:
                return None
            return step
    return None
