"""Request bodies of plain values: ``EncodedBody`` and how bytes, text, files, StreamReaders and
async iterables become one (files streamed in ``CHUNK_SIZE`` pieces, off the event loop unless
they live in memory). Such a stream's ``finish``/``rewind`` serve ``transport.finish_body`` and
``transport.rewind_body``."""

from __future__ import annotations

import asyncio
import io
import mimetypes
import os
import stat
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

from . import exceptions
from .formdata import guess_filename
from .streams import StreamReader

__all__ = [
    "CHUNK_SIZE",
    "EncodedBody",
    "charset_of",
    "encode_plain",
    "unserializable",
]

CHUNK_SIZE = 2**16
"""Size of the pieces a file is read in."""

_OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class EncodedBody:
    """A request body: bytes or a one-shot stream, its Content-Type and length (None: unknown).

    ``headers`` are a Payload's other headers (Content-Disposition...), added to the request's.
    """

    body: bytes | AsyncIterable[bytes]
    content_type: str | None
    length: int | None
    headers: tuple[tuple[str, str], ...] = ()


def encode_plain(
    value: Any, *, content_type: str | None = None, charset: str | None = None
) -> EncodedBody | None:
    """A value that is not a Payload as a body: bytes-like, str, file object, StreamReader or
    async iterable (None for anything else).

    Content types follow aiohttp: bytes and streams ``application/octet-stream``, text
    ``text/plain; charset=...``, binary files guessed from their name.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return EncodedBody(raw, content_type or _OCTET_STREAM, len(raw))
    if isinstance(value, (str, io.StringIO)):
        text = value if isinstance(value, str) else value.read()
        encoding = charset or charset_of(content_type) or "utf-8"
        raw = text.encode(encoding)
        return EncodedBody(raw, content_type or f"text/plain; charset={encoding}", len(raw))
    if isinstance(value, StreamReader):
        return EncodedBody(value.iter_any(), content_type or _OCTET_STREAM, None)
    if isinstance(value, io.TextIOBase):
        encoding = charset or charset_of(content_type) or "utf-8"
        stream = _FileStream(value, None, encoding, in_executor=True, owned=True)
        return EncodedBody(stream, content_type or f"text/plain; charset={encoding}", None)
    if isinstance(value, io.BytesIO):
        with value.getbuffer() as buffer:
            size = max(0, len(buffer) - value.tell())
        stream = _FileStream(value, size, "utf-8", in_executor=False, owned=False)
        return EncodedBody(stream, content_type or _guess_type(value), size)
    if isinstance(value, io.IOBase) or callable(getattr(value, "read", None)):
        length = _file_length(value)
        stream = _FileStream(value, length, "utf-8", in_executor=True, owned=True)
        return EncodedBody(stream, content_type or _guess_type(value), length)
    if isinstance(value, AsyncIterable):
        return EncodedBody(_checked_pieces(value), content_type or _OCTET_STREAM, None)
    return None


def unserializable(value: Any) -> TypeError:
    """The error for a value no body encoding fits."""
    return TypeError(f"Can not serialize {type(value).__name__} as a request body")


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type value, if any."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def _guess_type(file: Any) -> str:
    filename = guess_filename(file)
    guessed = mimetypes.guess_type(filename)[0] if filename else None
    return guessed or _OCTET_STREAM


def _file_length(file: Any) -> int | None:
    """Bytes left in ``file`` from its position: fstat for regular files, else seek."""
    try:
        st = os.fstat(file.fileno())
    except (AttributeError, OSError, ValueError):
        st = None
    try:
        if st is not None:
            return max(0, st.st_size - file.tell()) if stat.S_ISREG(st.st_mode) else None
        if not file.seekable():
            return None
        position = int(file.tell())
        end = int(file.seek(0, os.SEEK_END))
        file.seek(position)
        return max(0, end - position)
    except (AttributeError, OSError, ValueError):
        return None


def _start_position(file: Any) -> int | None:
    try:
        return int(file.tell()) if file.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


class _FileStream:
    """A file object as an async iterator of pieces; ``aclose()`` closes it if it owns it.

    Stops after ``length`` bytes when the length was announced, and raises
    ``ClientPayloadError`` if the file ends before that. ``rewind()`` seeks back to where
    the file was when the stream was made (False if it cannot). ``finish()`` closes it now,
    or after its last piece if it is being sent.
    """

    __slots__ = (
        "_close_at_end",
        "_encoding",
        "_file",
        "_in_executor",
        "_length",
        "_owned",
        "_remaining",
        "_sending",
        "_start",
    )

    def __init__(
        self, file: Any, length: int | None, encoding: str, *, in_executor: bool, owned: bool
    ) -> None:
        self._file = file
        self._length = self._remaining = length
        self._start = _start_position(file)
        self._encoding = encoding
        self._in_executor = in_executor
        self._owned = owned
        self._sending = self._close_at_end = False

    def __aiter__(self) -> _FileStream:
        return self

    async def __anext__(self) -> bytes:
        size = CHUNK_SIZE if self._remaining is None else min(CHUNK_SIZE, self._remaining)
        self._sending = True
        try:
            piece = await self._read(size) if size else b""
        except BaseException:
            await self.aclose()
            raise
        if not piece:
            self._sending = False
            if self._close_at_end:
                await self.aclose()
            if self._remaining:
                raise exceptions.ClientPayloadError(
                    f"Request body file ended {self._remaining} bytes short of its length"
                )
            raise StopAsyncIteration
        if self._remaining is not None:
            self._remaining -= len(piece)
        return piece

    async def _read(self, size: int) -> bytes:
        if self._in_executor:
            loop = asyncio.get_running_loop()
            piece = await loop.run_in_executor(None, self._file.read, size)
        else:
            piece = self._file.read(size)
        if isinstance(piece, str):
            return piece.encode(self._encoding)
        return bytes(piece) if piece else b""

    def rewind(self) -> bool:
        """Seek the file back to the stream's start; False if it is closed or not seekable."""
        if self._start is None or getattr(self._file, "closed", False):
            return False
        try:
            self._file.seek(self._start)
        except (OSError, ValueError):
            return False
        self._remaining = self._length
        return True

    def upload_stopped(self) -> bool:
        """Its upload ended early: True if the file stays open for a redirect to re-send it
        (it is closed now if the request is over: ``finish()`` waited for the last piece)."""
        self._sending = False
        if self._close_at_end:
            self.finish()
        return self._start is not None

    def finish(self) -> None:
        """The request is over: close the file now, or after the last piece if still sending."""
        if self._sending:
            self._close_at_end = True
        elif self._owned:
            self._owned = False
            self._file.close()

    async def aclose(self) -> None:
        """Close the file if this stream owns it (idempotent)."""
        if self._owned:
            self._owned = False
            self._file.close()


async def _checked_pieces(iterable: AsyncIterable[Any]) -> AsyncIterator[bytes]:
    """The pieces of a user's async iterable as non-empty bytes; closes it when done."""
    iterator = aiter(iterable)
    try:
        async for piece in iterator:
            if isinstance(piece, (bytearray, memoryview)):
                piece = bytes(piece)
            elif not isinstance(piece, bytes):
                raise TypeError(f"async iterable body yielded {type(piece).__name__}, not bytes")
            if piece:
                yield piece
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()
