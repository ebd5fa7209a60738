"""A streaming multipart writer (form-data use) and MIME Content-Disposition quoting."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["MultipartWriter", "Part", "check_header_value", "content_disposition"]

_FORBIDDEN = re.compile(r"[\r\n\x00]")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_QUOTED_CONTENT = re.compile(r"[\t\x20-\x7e]*")
_NOT_QTEXT = re.compile(r"[^\x21\x23-\x5b\x5d-\x7e]")


def check_header_value(value: str) -> str:
    """``value`` unchanged; ``ValueError`` if it could inject a header (CR, LF, NUL)."""
    if _FORBIDDEN.search(value):
        raise ValueError(
            "Forbidden control character detected in headers. Potential header injection attack."
        )
    return value


def _escape(match: re.Match[str]) -> str:
    return "\\" + match.group(0)


def _quote_param(key: str, value: str, quote_fields: bool) -> str:
    """One ``key="value"`` disposition parameter, quoted as aiohttp does."""
    if not quote_fields:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{key}="{escaped}"'
    if key.lower() == "filename":
        return f'{key}="{quote(value, "")}"'
    if _QUOTED_CONTENT.fullmatch(value):
        return f'{key}="{_NOT_QTEXT.sub(_escape, value)}"'
    return f"{key}*=utf-8''{quote(value, '')}"


def content_disposition(
    disptype: str, params: Sequence[tuple[str, str]], *, quote_fields: bool = True
) -> str:
    """A MIME Content-Disposition value (RFC 2183 / RFC 7578), e.g. for a form-data part.

    With ``quote_fields`` (aiohttp's default) ``filename`` is percent-encoded, other 7-bit
    values become quoted-strings and non-ASCII ones use RFC 2231 ``key*=utf-8''...``;
    without it values are sent as 8-bit quoted strings.
    """
    if not _TOKEN.fullmatch(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    parts = [disptype]
    for key, value in params:
        if not _TOKEN.fullmatch(key):
            raise ValueError(f"bad content disposition parameter {key!r}={value!r}")
        parts.append(_quote_param(key, check_header_value(value), quote_fields))
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Part:
    """One body part: its headers, its body (bytes or streamed once) and its length if known."""

    headers: tuple[tuple[str, str], ...]
    body: bytes | AsyncIterable[bytes]
    length: int | None


class MultipartWriter:
    """Builds a ``multipart/<subtype>`` body from parts, streaming the parts that stream."""

    __slots__ = ("_boundary", "_parts", "_subtype")

    def __init__(self, subtype: str = "form-data", boundary: str | None = None) -> None:
        boundary = uuid.uuid4().hex if boundary is None else boundary
        if not _TOKEN.fullmatch(boundary) or len(boundary) > 70:
            raise ValueError(f"boundary must be a token of at most 70 chars: {boundary!r}")
        self._subtype = subtype
        self._boundary = boundary
        self._parts: list[Part] = []

    @property
    def boundary(self) -> str:
        """The boundary separating the parts."""
        return self._boundary

    @property
    def content_type(self) -> str:
        """The Content-Type of the whole body, boundary included."""
        return f"multipart/{self._subtype}; boundary={self._boundary}"

    def append_part(self, part: Part) -> None:
        """Add a part; its header names and values are checked for injected line breaks."""
        for name, value in part.headers:
            check_header_value(name)
            check_header_value(value)
        self._parts.append(part)

    def _pieces(self) -> list[bytes | AsyncIterable[bytes]]:
        """The body as a list of bytes and streams, adjacent bytes merged."""
        delimiter = f"--{self._boundary}\r\n".encode()
        out: list[bytes | AsyncIterable[bytes]] = []
        pending = b""
        for part in self._parts:
            head = "".join(f"{name}: {value}\r\n" for name, value in part.headers)
            pending += delimiter + head.encode() + b"\r\n"
            if isinstance(part.body, bytes):
                pending += part.body
            else:
                out.append(pending)
                out.append(part.body)
                pending = b""
            pending += b"\r\n"
        out.append(pending + f"--{self._boundary}--\r\n".encode())
        return out

    @property
    def length(self) -> int | None:
        """Total body length, or None when some part's length is unknown."""
        total = 0
        for piece in self._pieces():
            if isinstance(piece, bytes):
                total += len(piece)
        for part in self._parts:
            if not isinstance(part.body, bytes):
                if part.length is None:
                    return None
                total += part.length
        return total

    def body(self) -> bytes | AsyncIterator[bytes]:
        """The encoded body: bytes when every part is bytes, else a one-shot stream.

        The stream's ``aclose()`` closes its part streams (files...); ``rewind()`` restarts it.
        """
        pieces = self._pieces()
        if len(pieces) == 1 and isinstance(pieces[0], bytes):
            return pieces[0]
        return _Concat(pieces)


class _Concat:
    """Async iterator over bytes and async iterables, in order; closable."""

    __slots__ = ("_current", "_finish_at_end", "_index", "_items")

    def __init__(self, items: list[bytes | AsyncIterable[bytes]]) -> None:
        self._items = items
        self._index = 0
        self._current: AsyncIterator[bytes] | None = None
        self._finish_at_end = False

    def __aiter__(self) -> _Concat:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self._current is not None:
                try:
                    return await anext(self._current)
                except StopAsyncIteration:
                    self._current = None
            if self._index == len(self._items):
                if self._finish_at_end:
                    self._finish_parts()
                raise StopAsyncIteration
            item = self._items[self._index]
            self._index += 1
            if isinstance(item, bytes):
                return item
            self._current = aiter(item)

    def finish(self) -> None:
        """The request is over: release the parts now, or after the last one if still sending."""
        sending = self._index > 0 and (self._current is not None or self._index < len(self._items))
        if sending:
            self._finish_at_end = True
        else:
            self._finish_parts()

    def _finish_parts(self) -> None:
        for item in self._items:
            finish = getattr(item, "finish", None)
            if finish is not None:
                finish()

    def upload_stopped(self) -> bool:
        """Its upload ended early: True if every part stream can be sent again (then nothing
        more is sent unless rewound); False when the parts should be closed."""
        streams = [item for item in self._items if not isinstance(item, bytes)]
        kept = [bool(getattr(stream, "upload_stopped", lambda: False)()) for stream in streams]
        if not all(kept):
            return False
        self._current = None
        self._index = len(self._items)
        if self._finish_at_end:
            self._finish_parts()
        return True

    def rewind(self) -> bool:
        """Start over; False if a part stream cannot be sent again."""
        self._current = None
        self._index = 0
        self._finish_at_end = False
        streams = [item for item in self._items if not isinstance(item, bytes)]
        return all(bool(getattr(stream, "rewind", lambda: False)()) for stream in streams)

    async def aclose(self) -> None:
        """Close every part stream (files...): the ones not finished and the ones sent."""
        streams: list[object] = [self._current, *self._items]
        self._current = None
        self._index = len(self._items)
        for stream in streams:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()
