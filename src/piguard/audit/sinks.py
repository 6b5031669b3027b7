"""Where committed entries, checkpoints and alerts are copied: JSON Lines files and syslog.

The database is the record of truth and the fail-closed device; sinks are best-effort
copies for a SIEM (a failing sink is logged, never fails a request). They also keep an
outside anchor: every signed checkpoint is sent too, and verification reads the JSON Lines
file back (:mod:`piguard.audit.anchors`), so a rolled-back or wiped database is noticed.
Sinks only ever receive what the trail stores: references and names, no customer values.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

from piguard.audit.anchors import latest_in_lines
from piguard.audit.signing import Checkpoint, Verifier

#: Kinds of document a sink receives.
ENTRY: Final = "entry"
CHECKPOINT: Final = "checkpoint"
ALERT: Final = "alert"


class Sink(Protocol):
    def emit(self, kind: str, document: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...


class JsonLinesSink:
    """Appends one JSON object per line: ``{"type": kind, ...document}``.

    :param fsync: sync after every line (slow; the database already holds the record).
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = Path(path)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._fh = os.fdopen(fd, "a", encoding="utf-8")
        self._fsync = fsync
        self._lock = threading.Lock()

    def emit(self, kind: str, document: Mapping[str, Any]) -> None:
        line = json.dumps({"type": kind, **document}, ensure_ascii=False, separators=(",", ":"), default=str)
        with self._lock:
            self._fh.write(line + "\n")
            self._fh.flush()
            if self._fsync:
                os.fsync(self._fh.fileno())

    def close(self) -> None:
        with self._lock:
            self._fh.close()

    @property
    def name(self) -> str:
        return f"JSON Lines sink {self.path}"

    def latest(self, tenant: str, verifier: Verifier) -> Checkpoint | None:
        """The newest checkpoint this sink received (it is an anchor source too)."""
        return latest_in_lines(self.path, tenant, verifier)


_SEVERITY: Final = {ENTRY: 6, CHECKPOINT: 6, ALERT: 4}  # informational, warning
_MAX_DATAGRAM: Final = 8192


def _sd_value(value: object) -> str:
    # RFC 5424 section 6.3.3: escape '"', '\' and ']' inside PARAM-VALUE.
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


class SyslogSink:
    """RFC 5424 messages over UDP (RFC 5426).

    ``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] BOM{json}``; facility 13
    ("log audit") by default; MSGID is the document kind; the structured data element
    repeats the sequence number and action for SIEM indexing.

    :param sd_id: structured-data id; 32473 is the documentation enterprise number
        (RFC 5612) - set your own.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 514,
        *,
        app_name: str = "piguard",
        facility: int = 13,
        hostname: str | None = None,
        sd_id: str = "piguard@32473",
    ) -> None:
        if not 0 <= facility <= 23:
            raise ValueError("syslog facility must be 0..23")
        self.address = (host, port)
        self._app = app_name[:48]
        self._facility = facility
        self._host = (hostname or socket.gethostname() or "-")[:255]
        self._sd_id = sd_id
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._lock = threading.Lock()

    def format(self, kind: str, document: Mapping[str, Any]) -> bytes:
        pri = self._facility * 8 + _SEVERITY.get(kind, 6)
        stamp = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        params = {k: document[k] for k in ("seq", "action", "rule", "id") if k in document}
        sd = "[" + self._sd_id + "".join(f' {k}="{_sd_value(v)}"' for k, v in params.items()) + "]"
        head = f"<{pri}>1 {stamp} {self._host} {self._app} {os.getpid()} {kind} {sd} "
        body = json.dumps({"type": kind, **document}, ensure_ascii=False, separators=(",", ":"), default=str)
        message = head.encode("utf-8") + b"\xef\xbb\xbf" + body.encode("utf-8")
        return message[:_MAX_DATAGRAM]

    def emit(self, kind: str, document: Mapping[str, Any]) -> None:
        data = self.format(kind, document)
        with self._lock:
            self._sock.sendto(data, self.address)

    def close(self) -> None:
        self._sock.close()
