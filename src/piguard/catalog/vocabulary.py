"""The fixed words of a catalog: classes, categories, legal bases, actions, levels.

These are closed sets on purpose. A catalog chooses *settings* for them (which
categories are sensitive by default, what a class masks to) but cannot invent
new ones, so a typo such as ``catgory: contcat`` fails at load time instead of
silently creating an unprotected kind of data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, get_args

#: JR/T 0171-2020 sensitivity classes (R-CLS-2): C3 authentication data, C2
#: identity and financial status, C1 internal information.
ClassName = Literal["C1", "C2", "C3"]

#: PI categories (R-CLS-1). The first four come from the seed regulation; the
#: sensitive ones are those of PIPL 28.
CategoryName = Literal[
    "identity",
    "contact",
    "transaction",
    "preference",
    "authentication",
    "biometric",
    "financial_account",
    "health",
    "whereabouts",
    "religion",
    "specific_identity",
    "minor",
    "account",
    "other",
]

#: Legal bases of PIPL 13(1)-(7), in that order (R-COL-1).
LegalBasis = Literal[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_interest_news",
    "public_disclosed",
    "statutory_other",
]

#: What a retention period is counted from.
Anchor = Literal[
    "collected",
    "last_activity",
    "relationship_end",
    "transaction_completed",
    "consent_withdrawn",
    "purpose_fulfilled",
    "contract_end",
]

#: What happens to data when its retention period ends: crypto-shredded or stripped (``destroy``),
#: counted into anonymous statistics and then destroyed (``anonymise``), or held for a person's
#: decision (``review``).
EndAction = Literal["destroy", "anonymise", "review"]

#: Where a record type's transaction date comes from, among the times piguard keeps unsealed: the
#: record's creation (a transaction recorded when it is made) or its last change (an order or a
#: stay completed by a later update).
TransactionDate = Literal["created", "updated"]

#: Processing that needs a separate consent (单独同意) under PIPL 29, 23, 25, 39 (R-COL-4).
SeparateConsent = Literal["sensitive", "provision", "public_disclosure", "cross_border"]

#: What a role may do.
Action = Literal["read", "write", "search", "list", "export", "erase", "approve", "administer", "audit"]

#: How a role sees a field: not at all, masked, or in clear.
Level = Literal["deny", "masked", "clear"]

#: Row scopes narrow which customers a role sees at all. ``active_stay``: a
#: hotel front desk sees a guest only while that guest's stay is active.
#: ``own``: a customer (data subject) principal sees only their own data.
RowScope = Literal["active_stay", "own"]

CLASS_NAMES: Final[tuple[ClassName, ...]] = get_args(ClassName)
CATEGORY_NAMES: Final[tuple[CategoryName, ...]] = get_args(CategoryName)
LEGAL_BASES: Final[tuple[LegalBasis, ...]] = get_args(LegalBasis)
#: Every action and every level, in declaration order. Code that checks, lists or
#: labels actions or levels derives from these instead of spelling the words again.
ACTIONS: Final[tuple[Action, ...]] = get_args(Action)
LEVELS: Final[tuple[Level, ...]] = get_args(Level)
#: Actions that show customer data (or its existence) to someone.
DATA_ACTIONS: Final[frozenset[Action]] = frozenset({"read", "search", "list", "export"})
#: Actions beyond handling one customer at a time: running accounts, approving, auditing,
#: erasing, bulk export. The least-privileged role holds as few of them as possible.
PRIVILEGED_ACTIONS: Final[frozenset[Action]] = frozenset(
    {"administer", "approve", "audit", "erase", "export"}
)

#: Categories PIPL 28 makes sensitive whatever the catalog says (R-CLS-1).
#: ``authentication`` is added from GB/T 35273-2020 Annex B (passwords, keys).
#: The rule that *all* PI of a person under 14 is sensitive is a property of
#: the person, not of a field; the consent layer applies it at runtime.
PIPL_SENSITIVE_CATEGORIES: Final[frozenset[CategoryName]] = frozenset(
    {
        "authentication",
        "biometric",
        "financial_account",
        "health",
        "whereabouts",
        "religion",
        "specific_identity",
        "minor",
    }
)

#: The PIPL 13 paragraph behind each legal basis, for notices and reports.
LEGAL_BASIS_ARTICLES: Final[Mapping[LegalBasis, str]] = {
    "consent": "PIPL 13(1)",
    "contract": "PIPL 13(2)",
    "legal_obligation": "PIPL 13(3)",
    "vital_interests": "PIPL 13(4)",
    "public_interest_news": "PIPL 13(5)",
    "public_disclosed": "PIPL 13(6)",
    "statutory_other": "PIPL 13(7)",
}

#: Class policies a catalog does not spell out (R-CLS-3). A catalog may
#: override any key of any class; what it leaves out comes from here.
BUILTIN_CLASSES: Final[Mapping[ClassName, Mapping[str, Any]]] = {
    "C1": {
        "encrypt": True,
        "default_mask": "clear",
        "clear_requires_approval": False,
        "clear_requires_step_up": False,
        "export_allowed": True,
    },
    "C2": {
        "encrypt": True,
        "default_mask": "redact",
        "clear_requires_approval": False,
        "clear_requires_step_up": True,
        "export_allowed": True,
    },
    "C3": {
        "encrypt": True,
        "default_mask": "never",
        "clear_requires_approval": True,
        "clear_requires_step_up": True,
        "export_allowed": False,
    },
}

#: Category settings a catalog does not spell out.
BUILTIN_CATEGORIES: Final[Mapping[CategoryName, Mapping[str, Any]]] = {
    name: {"sensitive_by_default": name in PIPL_SENSITIVE_CATEGORIES} for name in CATEGORY_NAMES
}

#: Masks a C3 field may ever be shown with (R-STO-3).
C3_MASKS: Final[frozenset[str]] = frozenset({"never", "redact"})

#: Value types that hold a biometric template or digest rather than a raw
#: sample (R-STO-2). piguard.validate has none yet, so every biometric field
#: draws the R-STO-2 warning until one exists.
BIOMETRIC_TEMPLATE_TYPES: Final[frozenset[str]] = frozenset({"biometric_template", "digest"})

#: The catalog schema version this piguard reads.
SCHEMA_VERSION: Final = 1

#: Principals that are not staff get roles of their own, added to every catalog that does not
#: define them (R-USE-1: deny by default still holds: none sees a field of its own accord).
#: ``data_subject`` sees everything of their own in clear for :data:`DATA_SUBJECT_RIGHTS_PURPOSE` (C3
#: stays masked), the copy PIPL 45 entitles them to, with no step-up or approval (those protect
#: customers from staff, not from themselves).
#: ``system``: scheduled jobs (the birthday job; retention, deadline and incident clocks next),
#: authorised and audited like staff. ``notifier``: the outbox's sender, which reads contact
#: details (never sensitive ones) in clear for :data:`NOTIFICATION_PURPOSE` only, to address a
#: message the moment it is sent, so the outbox keeps no address. ``data_subject``: a customer,
#: who sees only their own data (row scope ``own``), ready for the privacy centre.
SYSTEM_ROLE: Final = "system"
NOTIFIER_ROLE: Final = "notifier"
DATA_SUBJECT_ROLE: Final = "data_subject"
#: The privacy centre's sign-in (a system principal, ``system:privacy``): finds the customer an
#: identifier (mobile, email) belongs to, by exact search on contact fields for notification only,
#: to send the one-time code; it reads no value.
SIGN_IN_ROLE: Final = "privacy_sign_in"
NOTIFICATION_PURPOSE: Final = "notification"
#: A customer field whose name starts with this holds their guardian's data (the catalogs'
#: ``guardian_name``, ``guardian_mobile``, ...): a notice to a guardian (R-INC-6, Minors Regs 35) is
#: addressed to the guardian's contact field of the channel's kind.
GUARDIAN_FIELD_PREFIX: Final = "guardian_"
DATA_SUBJECT_RIGHTS_PURPOSE: Final = "data_subject_rights"
#: In a built-in purpose, ``fields`` given as this word means every record type (``<type>.*``).
EVERY_RECORD_TYPE: Final = "every_record_type"
BUILTIN_ROLES: Final[Mapping[str, Mapping[str, Any]]] = {
    SYSTEM_ROLE: {
        "description": "Scheduled jobs (system principals); no customer field.",
        "actions": ["administer"],
        "access": [{"selector": "*", "level": "deny"}],
    },
    NOTIFIER_ROLE: {
        "description": "The outbox's sender (a system principal): contact details, to send notices only.",
        "actions": ["read"],
        "purposes": [NOTIFICATION_PURPOSE],
        "access": [
            {"selector": "category:contact", "level": "clear"},
            {"selector": "sensitive", "level": "deny"},
        ],
    },
    SIGN_IN_ROLE: {
        "description": "The privacy centre's sign-in (a system principal): finds customers by contact.",
        "actions": ["search"],
        "purposes": [NOTIFICATION_PURPOSE],
        "access": [
            {"selector": "category:contact", "level": "clear"},
            {"selector": "sensitive", "level": "deny"},
        ],
    },
    DATA_SUBJECT_ROLE: {
        "description": "A customer: their own data (a copy, PIPL 45), consents and access history only.",
        # ``write``: their own consents and marketing choices (PIPL 15, 24); no record can be written
        # under their only purpose, which is ancillary.
        "actions": ["read", "write"],
        "scope": "own",
        "purposes": [DATA_SUBJECT_RIGHTS_PURPOSE],
        # A second factor always: the rights case's one-time code or in-person check, and the
        # privacy centre's sign-in code.
        "requires_totp": True,
        "access": [{"selector": "*", "level": "clear"}, {"selector": "class:C3", "level": "deny"}],
    },
}
#: Purposes every catalog has unless it defines them. ``notification``: telling customers what
#: their own requests or the law require (answers to rights requests, one-time codes, breach
#: notices; PIPL 50, 57). It is *ancillary*: it uses contact details other purposes collected and
#: is no reason to collect or keep any (lint and consent withdrawal ignore it).
BUILTIN_PURPOSES: Final[Mapping[str, Mapping[str, Any]]] = {
    NOTIFICATION_PURPOSE: {
        "legal_basis": "legal_obligation",
        "ancillary": True,
        "description": {
            "zh": "向个人告知其请求的处理结果及法律要求的通知",
            "en": "Telling customers about their own requests and notices the law requires",
        },
        "fields": ["category:contact"],
    },
    DATA_SUBJECT_RIGHTS_PURPOSE: {
        "legal_basis": "legal_obligation",
        "ancillary": True,
        "description": {
            "zh": "响应个人查阅、复制、转移其个人信息的请求",
            "en": "Answering a customer's request to access, copy or port their own data",
        },
        "fields": EVERY_RECORD_TYPE,
    },
}
