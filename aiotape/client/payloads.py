"""Request bodies: turn ``data=`` / ``json=`` into bytes or a one-shot stream (aiohttp's rules).

Streams are never read whole: files go out in ``CHUNK_SIZE`` pieces, read off the event loop
unless they live in memory. A stream's ``aclose()`` closes the files it opened or was given
(the session calls it once the request, redirects included, is over, as aiohttp does), and
``rewind_body`` sets a sent body back to its start for a redirect that re-sends it.
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
import os
import stat
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .exceptions import ClientPayloadError
from .formdata import FormData, guess_filename
from .mime import content_disposition
from .multipart import MultipartWriter, Part
from .payload_types import PAYLOAD_REGISTRY, Payload
from .payload_types import LookupError as PayloadLookupError
from .streams import StreamReader

__all__ = [
    "CHUNK_SIZE",
    "EncodedBody",
    "charset_of",
    "compressed",
    "encode_body",
    "encode_form",
    "encode_value",
    "finish_body",
    "rewind_body",
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


def encode_body(data: Any, json: Any, json_serialize: Callable[[Any], str | bytes]) -> EncodedBody:
    """The body for ``data=`` or ``json=`` of a request.

    json: ``application/json``. A Payload (MultipartWriter...) brings its own headers.
    FormData, dicts, multidicts and lists of pairs: urlencoded, or multipart/form-data when a
    value is a file or a stream. Anything else is one value for ``encode_value``.
    """
    if data is not None and json is not None:
        raise ValueError("data and json parameters can not be used at the same time")
    if json is not None:
        text = json_serialize(json)
        raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        return EncodedBody(raw, "application/json", len(raw))
    if data is None:
        return EncodedBody(b"", None, 0)
    if isinstance(data, FormData):
        return encode_form(data)
    if isinstance(data, Payload):
        return _payload_body(data)
    if isinstance(data, (Mapping, list, tuple)):
        return encode_form(FormData(data))
    return encode_value(data)


def encode_form(form: FormData) -> EncodedBody:
    """A form urlencoded, or as multipart/form-data when ``form.is_multipart``."""
    charset = form.charset or "utf-8"
    if not form.is_multipart:
        pairs = [(field.name, field.value) for field in form.fields]
        raw = urlencode(pairs, doseq=True, encoding=charset).encode("ascii")
        ctype = "application/x-www-form-urlencoded"
        if charset != "utf-8":
            ctype += f"; charset={charset}"
        return EncodedBody(raw, ctype, len(raw))
    writer = MultipartWriter("form-data")
    for field in form.fields:
        try:
            value = encode_value(field.value, content_type=field.content_type, charset=form.charset)
        except TypeError as exc:
            raise TypeError(
                f"Can not serialize value type: {type(field.value)!r} of field {field.name!r}"
            ) from exc
        params = [("name", field.name)]
        if field.filename is not None:
            params.append(("filename", field.filename))
        disposition = content_disposition("form-data", params, quote_fields=form.quote_fields)
        headers = (
            ("Content-Type", value.content_type or _OCTET_STREAM),
            ("Content-Disposition", disposition),
        )
        writer.append_part(Part(headers, value.body, value.length))
    return EncodedBody(writer.body(), writer.content_type, writer.length)


def encode_value(
    value: Any, *, content_type: str | None = None, charset: str | None = None
) -> EncodedBody:
    """One value as a body: bytes-like, str, file object, StreamReader, async iterable or Payload.

    Content types follow aiohttp: bytes and streams ``application/octet-stream``, text
    ``text/plain; charset=...``, binary files guessed from their name. A type registered with
    ``payload_type`` goes through its Payload class; ``TypeError`` for anything else.
    """
    if isinstance(value, Payload):
        return value.encoded()
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
    try:  # a type the caller registered with @payload_type
        return _payload_body(PAYLOAD_REGISTRY.get(value))
    except PayloadLookupError:
        raise TypeError(f"Can not serialize {type(value).__name__} as a request body") from None


def _payload_body(payload: Payload) -> EncodedBody:
    """A Payload's body, with its headers other than Content-Type."""
    encoded = payload.encoded()
    headers = tuple((k, v) for k, v in payload.headers.items() if k.lower() != "content-type")
    return EncodedBody(encoded.body, payload.content_type, encoded.length, headers)


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


def finish_body(body: bytes | AsyncIterable[bytes]) -> None:
    """Release what a body holds once its request is over, without cutting an upload short."""
    finish = getattr(body, "finish", None)
    if finish is not None:
        finish()


def rewind_body(body: bytes | AsyncIterable[bytes]) -> bool:
    """Set a sent body back to its start; False if it cannot be sent again (a consumed stream)."""
    if isinstance(body, bytes):
        return True
    rewind = getattr(body, "rewind", None)
    return bool(rewind()) if rewind is not None else False


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
                raise ClientPayloadError(
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


async def compressed(body: bytes | AsyncIterable[bytes], coding: str) -> AsyncIterator[bytes]:
    """``body`` compressed as ``coding`` (gzip, else zlib deflate), piece by piece."""
    wbits = 16 + zlib.MAX_WBITS if coding.lower() == "gzip" else zlib.MAX_WBITS
    compressor = zlib.compressobj(wbits=wbits)
    if isinstance(body, bytes):
        yield compressor.compress(body) + compressor.flush()
        return
    try:
        async for piece in body:
            out = compressor.compress(piece)
            if out:
                yield out
        yield compressor.flush()
    finally:
        close = getattr(body, "aclose", None)
        if close is not None:
            await close()
