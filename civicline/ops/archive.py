"""The encrypted container of a backup (X-13, X-16).

A backup is a gzip-compressed tar, cut into 1 MiB chunks, each sealed with Fernet (AES-CBC +
HMAC: authenticated). The last frame seals a trailer naming the chunk count and the sha256 of the
whole plaintext, so a truncated, reordered or spliced archive is refused before anything is
restored. Frames are stored as raw token bytes behind a 4-byte length: no base64 overhead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"CIVICLINE-BACKUP/1\n"
CHUNK = 1024 * 1024
_DATA, _END = b"D", b"E"
_LENGTH = struct.Struct(">I")


class ArchiveError(Exception):
    """The file is not a backup, was damaged or altered, or no configured key opens it."""


def fernet_for(keys: list[str]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("BACKUP_ENCRYPTION_KEY is not set (see docs/operations.md: Backups).")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("BACKUP_ENCRYPTION_KEY holds a key that is not a Fernet key") from exc


class EncryptingWriter:
    """A write-only file object: what is written to it lands sealed in ``out``."""

    def __init__(self, out: BinaryIO, fernet: MultiFernet):
        self._out, self._fernet = out, fernet
        self._buffer = bytearray()
        self._digest = hashlib.sha256()
        self._chunks = 0
        out.write(MAGIC)

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) >= CHUNK:
            self._seal(_DATA, bytes(self._buffer[:CHUNK]))
            del self._buffer[:CHUNK]
        return len(data)

    def flush(self) -> None:
        """tarfile flushes; chunks are only sealed when full, so there is nothing to do here."""

    def finish(self) -> None:
        if self._buffer:
            self._seal(_DATA, bytes(self._buffer))
            self._buffer.clear()
        trailer = {"chunks": self._chunks, "sha256": self._digest.hexdigest()}
        self._frame(_END + json.dumps(trailer).encode())

    def _seal(self, kind: bytes, plaintext: bytes) -> None:
        self._digest.update(plaintext)
        self._chunks += 1
        self._frame(kind + plaintext)

    def _frame(self, payload: bytes) -> None:
        token = base64.urlsafe_b64decode(self._fernet.encrypt(payload))
        self._out.write(_LENGTH.pack(len(token)) + token)


def decrypted_chunks(source: BinaryIO, fernet: MultiFernet) -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk; raise ``ArchiveError`` at the end if anything is wrong.

    Callers must treat what they received as untrusted until the generator finished without error.
    """
    if source.read(len(MAGIC)) != MAGIC:
        raise ArchiveError("not a civicline backup archive")
    digest, chunks = hashlib.sha256(), 0
    while True:
        header = source.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            raise ArchiveError("the archive is truncated (no end marker)")
        (length,) = _LENGTH.unpack(header)
        token = source.read(length)
        if len(token) < length:
            raise ArchiveError("the archive is truncated")
        try:
            payload = fernet.decrypt(base64.urlsafe_b64encode(token))
        except InvalidToken as exc:
            raise ArchiveError("the archive was altered, or none of BACKUP_ENCRYPTION_KEY opens it") from exc
        kind, body = payload[:1], payload[1:]
        if kind == _END:
            trailer = json.loads(body)
            if trailer != {"chunks": chunks, "sha256": digest.hexdigest()}:
                raise ArchiveError("the archive's chunks were reordered or replaced")
            if source.read(1):
                raise ArchiveError("data after the archive's end marker")
            return
        digest.update(body)
        chunks += 1
        yield body
