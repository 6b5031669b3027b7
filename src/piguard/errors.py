"""The error tree of piguard.

Every error piguard raises on purpose is a subclass of :class:`Error`. Messages
never contain customer values: they name fields, rows, files and reasons only.
Mapping errors to HTTP status codes happens in ``piguard.api`` alone.

::

    Error
    ├── ConfigError              settings or home directory unusable
    ├── CatalogError             catalog file invalid (file, path inside it, reason)
    ├── ValidationError          a value failed its type's check (field, reason)
    ├── NotFound                 no such customer / record / object
    ├── Conflict                 the object already exists or changed meanwhile
    ├── StorageError             the database failed
    ├── CryptoError
    │   ├── InvalidCiphertext    any decryption or integrity failure (opaque)
    │   ├── UnknownKey           a key id/version is not in the keyring
    │   ├── KeyRetired           a retired key version was asked to decrypt
    │   ├── KeyProviderError     keyring file or PKCS#11 token unusable
    │   └── IntegrityError       a sealed file or backup failed its check (which one, why)
    ├── VaultSealed              the keyring is not loaded
    ├── AccessDenied             the gate refused (reason, rule)
    │   ├── AuthenticationFailed
    │   ├── QuotaExceeded
    │   ├── TooManyAttempts      an address over its unauthenticated budget (retry_after)
    │   └── ConsentRequired
    └── AuditFailure             the audit entry could not be written (fail closed)
"""

from __future__ import annotations


class Error(Exception):
    """Base class of every piguard error."""

    #: A short machine-readable code, used by the API's problem responses.
    code = "error"


class ConfigError(Error):
    code = "config"


class CatalogError(Error):
    """A catalog file is invalid.

    :param file: the catalog file (or ``<string>``).
    :param path: dotted path inside the document, e.g. ``record_types.customer.fields.mobile.type``.
    :param reason: what is wrong.
    """

    code = "catalog"

    def __init__(self, file: str, path: str, reason: str) -> None:
        self.file = file
        self.path = path
        self.reason = reason
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {reason}")


class ValidationError(Error):
    """A value failed validation. The value itself is never part of the message.

    :param reason: what is wrong, e.g. ``"checksum does not match"``.
    :param field: the field name when known.
    """

    code = "validation"

    def __init__(self, reason: str, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"{field}: {reason}" if field else reason)

    def for_field(self, field: str) -> ValidationError:
        """Return a copy of this error that names ``field``."""
        return ValidationError(self.reason, field)


class NotFound(Error):
    code = "not_found"


class Conflict(Error):
    code = "conflict"


class StorageError(Error):
    code = "storage"


class StoreBusy(StorageError):
    """The database stayed locked by other writers past the bounded wait (SQLite's
    ``SQLITE_BUSY``/``SQLITE_LOCKED``, PostgreSQL's lock, serialization and connection-limit
    refusals). Nothing was written; the caller may retry after :attr:`retry_after` seconds
    (the API answers 503 with ``Retry-After``, never 500).
    """

    code = "busy"

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CryptoError(Error):
    code = "crypto"


class IntegrityError(CryptoError):
    """A sealed stream, a backup artifact or its manifest failed its check: named, with why
    (these are files, not customer values, so saying which one leaks nothing)."""

    code = "integrity"


class InvalidCiphertext(CryptoError):
    """Any decryption or integrity failure. Deliberately says nothing more."""

    def __init__(self) -> None:
        super().__init__("invalid ciphertext")


class UnknownKey(CryptoError):
    pass


class KeyRetired(CryptoError):
    pass


class KeyProviderError(CryptoError):
    pass


class VaultSealed(Error):
    code = "sealed"

    def __init__(self, message: str = "the vault is sealed: no keyring is loaded") -> None:
        super().__init__(message)


class AccessDenied(Error):
    """The gate refused an operation.

    :param reason: why, in words a user can act on (English; logs, API problems).
    :param rule: the rule that decided, when one did.
    :param key: a message code, so that an edge can say the refusal in its user's language
        without parsing ``reason`` (the console's ``error.<key>`` texts in ``piguard.web.i18n``).
    :param params: the values the message names (role, action, purpose...: identifiers,
        never customer values).
    """

    code = "forbidden"

    def __init__(
        self,
        reason: str,
        rule: str | None = None,
        *,
        key: str | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        self.reason = reason
        self.rule = rule
        self.key = key
        self.params = dict(params or {})
        super().__init__(reason)


class AuthenticationFailed(AccessDenied):
    code = "unauthenticated"


class QuotaExceeded(AccessDenied):
    code = "quota"


class TooManyAttempts(AccessDenied):
    """Too many unauthenticated or failed requests from one address (the API answers 429).

    :param retry_after: seconds until the address's window ends.
    """

    code = "rate_limited"

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason, "auth.unauthenticated_per_minute")
        self.retry_after = retry_after


class ConsentRequired(AccessDenied):
    code = "consent"


class AuditFailure(Error):
    code = "audit"

    #: Seconds after which a retry may succeed, when the cause was a busy database (else None).
    retry_after: float | None = None
