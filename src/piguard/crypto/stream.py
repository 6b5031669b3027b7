"""Sealing a large file as a stream of authenticated chunks (the backups' artifacts).

AES-256-GCM cannot seal gigabytes in one call without holding them in memory, and a plain
chunked GCM lets an attacker drop, reorder or truncate chunks. This is the STREAM construction
(Hoang, Reyhanitabar, Rogaway, Vizár 2015): a fresh key per artifact (HKDF from the caller's root
key and a random salt kept in the header), each chunk sealed with the nonce ``counter || last``,
so a chunk moved, dropped or cut off at the end fails to open. The header itself is the
associated data of every chunk, binding the label (which artifact this is) to every byte.

Format: ``MAGIC (8) | salt (16) | label length (2) | label | chunks``, each chunk
``length (4, big-endian) | ciphertext+tag``.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from piguard.errors import IntegrityError

MAGIC = b"PGSTRM01"
CHUNK = 1 << 20
_MAX_CHUNK = CHUNK + 16
_COUNTER_LIMIT = 1 << 88


def _key(root: bytes, salt: bytes, label: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"piguard/stream/" + label).derive(
        root
    )
    return AESGCM(derived)


def _nonce(counter: int, last: bool) -> bytes:
    if counter >= _COUNTER_LIMIT:
        raise IntegrityError("stream too long")
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def seal_stream(root: bytes, label: str, source: BinaryIO, target: BinaryIO) -> tuple[int, str]:
    """Seal ``source`` into ``target`` under ``root`` for ``label``.

    :returns: (bytes written, SHA-256 hex of what was written), for the manifest.
    """
    salt = os.urandom(16)
    name = label.encode("utf-8")
    header = MAGIC + salt + struct.pack(">H", len(name)) + name
    aead = _key(root, salt, name)
    digest = hashlib.sha256()
    written = 0

    def emit(data: bytes) -> None:
        nonlocal written
        target.write(data)
        digest.update(data)
        written += len(data)

    emit(header)
    counter = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        sealed = aead.encrypt(_nonce(counter, last), chunk, header)
        emit(struct.pack(">I", len(sealed)) + sealed)
        if last:
            break
        counter += 1
        chunk = following
    return written, digest.hexdigest()


def open_stream(root: bytes, label: str, source: BinaryIO) -> Iterator[bytes]:
    """The plaintext chunks of a sealed stream, each checked before it is yielded.

    :raises IntegrityError: wrong key or label, or a chunk altered, moved, dropped or cut off.
    """
    magic = source.read(len(MAGIC))
    if magic != MAGIC:
        raise IntegrityError("not a sealed piguard stream")
    salt = source.read(16)
    (size,) = struct.unpack(">H", _exactly(source, 2))
    name = _exactly(source, size)
    if name != label.encode("utf-8"):
        raise IntegrityError(f"the artifact is not {label!r}")
    header = MAGIC + salt + struct.pack(">H", size) + name
    aead = _key(root, salt, name)
    counter = 0
    while True:
        prefix = source.read(4)
        if len(prefix) < 4:
            raise IntegrityError("the stream is cut off")
        (length,) = struct.unpack(">I", prefix)
        if length > _MAX_CHUNK:
            raise IntegrityError("damaged stream (chunk too long)")
        sealed = _exactly(source, length)
        last = _at_end(source)
        try:
            yield aead.decrypt(_nonce(counter, last), sealed, header)
        except InvalidTag as exc:
            raise IntegrityError("the stream was altered, reordered or cut off") from exc
        if last:
            return
        counter += 1


def _exactly(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise IntegrityError("the stream is cut off")
    return data


def _at_end(source: BinaryIO) -> bool:
    here = source.tell()
    more = source.read(1)
    source.seek(here)
    return not more
