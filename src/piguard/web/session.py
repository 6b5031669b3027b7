"""Console sessions: the cookies, and the store that keeps sessions in the database.

The store itself is :class:`piguard.nodestate.sessions.SessionStore` (issue 12, item 1: every
node of an installation sees every session); the console gets it from
``Installation.node_state``. The cookie carries 256 random bits and nothing else.
"""

from __future__ import annotations

import hmac

from piguard.nodestate.sessions import ConsoleSession, SessionStore

__all__ = ["COOKIE", "LANG_COOKIE", "PRELOGIN_COOKIE", "ConsoleSession", "SessionStore", "same"]

COOKIE = "pg_session"
PRELOGIN_COOKIE = "pg_prelogin"
LANG_COOKIE = "pg_lang"


def same(a: str, b: str) -> bool:
    """Constant-time string comparison (CSRF tokens)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
