"""HTTP/1.1 framing without I/O: request heads, chunked request bodies, a response parser.

The parser is driven by feeding bytes (``feed`` / ``feed_eof``) and keeps its state
explicit (:class:`ParserState`); callbacks from ``httptools`` go straight into the response
head and a deque of body chunks. Errors are ``httptools.HttpParserError`` (limits included)
and :class:`~aiotape.client.error_mapping.IncompleteResponse`; ``error_mapping.translate``
maps them.
"""

from __future__ import annotations

import enum
import re
from collections import deque
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from httptools import (
    HttpParserCallbackError,
    HttpParserError,
    HttpParserUpgrade,
    HttpResponseParser,
)
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import exceptions
from .error_mapping import IncompleteResponse

__all__ = [
    "LAST_CHUNK",
    "HeaderLines",
    "ParserState",
    "ResponseHead",
    "ResponseParser",
    "body_framing",
    "frame_chunk",
    "serialize_head",
    "wire_body",
]

LAST_CHUNK = b"0\r\n\r\n"
_HEADER_INJECTION = (
    "Newline or carriage return character detected in HTTP status message or header. "
    "This is a potential security issue. (Header names must be tokens; values cannot "
    "hold CR, LF or NUL.)"
)
_VERSIONS = {"1.1": (1, 1), "1.0": (1, 0), "0.9": (0, 9)}
_TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+"
_METHOD = re.compile(_TOKEN)
_HEADER_PROBE = re.compile(f"(?:{_TOKEN}\x00[^\r\n\x00]*\r\n)*")
_SAFE_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_UNSAFE_TARGET = re.compile("[\x00-\x20\x7f]")
_DIGITS = re.compile("[0-9]+")
_HEADER_LINES_CACHE_SIZE = 256
HeaderLines = dict[tuple[tuple[str, str], ...], str]
"""Checked header lines by header pairs (requests to a host mostly repeat their headers)."""


def serialize_head(
    method: str,
    url: URL,
    headers: Iterable[tuple[str, str]],
    version: tuple[int, int] = (1, 1),
    target: str | None = None,
    checked: HeaderLines | None = None,
) -> bytes:
    """The request line (``HTTP/1.1`` unless ``version`` says) and headers, CRLF-terminated.

    ``target`` defaults to the origin form (``/path?query``) of ``url``. Before anything is
    written it raises ``ValueError`` for a method or header name that is not a token (CR,
    LF, NUL, colon, space...) or CR/LF/NUL in a header value, and ``InvalidURL`` for
    whitespace or control characters in the request target. ``checked`` keeps the lines of
    header sets already checked (a transport's own: they may hold credentials).
    """
    if target is None:
        target = url.raw_path_qs or "/"
    if method not in _SAFE_METHODS and _METHOD.fullmatch(method) is None:
        raise ValueError(f"Method must be a token (no CR, LF, NUL or spaces): {method!r}")
    if _UNSAFE_TARGET.search(target) is not None:
        raise exceptions.InvalidURL(
            url, "request target cannot contain whitespace or control characters"
        )
    pairs = tuple(headers)
    lines = checked.get(pairs) if checked is not None else None
    if lines is None:
        lines = _check_header_lines(pairs)
        if checked is not None:
            if len(checked) >= _HEADER_LINES_CACHE_SIZE:
                checked.clear()
            checked[pairs] = lines
    protocol = "HTTP/1.1" if version == (1, 1) else f"HTTP/{version[0]}.{version[1]}"
    return f"{method} {target} {protocol}\r\n{lines}\r\n".encode()


def _check_header_lines(pairs: tuple[tuple[str, str], ...]) -> str:
    """The CRLF-terminated header lines of ``pairs``; ValueError for a name that is not a
    token or a value with CR, LF or NUL."""
    # One regex pass over "name NUL value CRLF" lines checks every name and value at once;
    # NUL can then only be the separators, which become ": ".
    lines = "".join([f"{name}\x00{value}\r\n" for name, value in pairs])
    if _HEADER_PROBE.fullmatch(lines) is None:
        raise ValueError(_HEADER_INJECTION)
    return lines.replace("\x00", ": ")


def frame_chunk(data: bytes) -> bytes:
    """One chunk of a ``Transfer-Encoding: chunked`` request body (``data`` must be non-empty)."""
    return b"%x\r\n%b\r\n" % (len(data), data)


def body_framing(headers: Mapping[str, str]) -> tuple[bool, int | None]:
    """How a request body goes on the wire: (chunked, at most this many bytes or None).

    ``Transfer-Encoding: chunked`` frames it; otherwise a ``Content-Length`` caps what is
    written, as aiohttp writes at most that many bytes (the surplus would otherwise be read
    as the next request). ``ValueError`` for a Content-Length that is not digits.
    """
    te = headers.get("Transfer-Encoding")
    if te is not None and "chunked" in te.lower():
        return True, None
    length = headers.get("Content-Length")
    if length is None:
        return False, None
    if _DIGITS.fullmatch(length) is None:
        raise ValueError(f"Invalid Content-Length header: {length!r}")
    return False, int(length)


def wire_body(body: bytes, headers: Mapping[str, str]) -> bytes:
    """A whole request body framed for the wire (see :func:`body_framing`)."""
    chunked, limit = body_framing(headers)
    if chunked:
        return frame_chunk(body) + LAST_CHUNK if body else LAST_CHUNK
    return body if limit is None or len(body) <= limit else body[:limit]


class ParserState(enum.Enum):
    """Where the parser is in the current exchange."""

    IDLE = "idle"
    AWAITING_HEAD = "awaiting head"
    READING_BODY = "reading body"
    COMPLETE = "complete"
    BROKEN = "broken"


_IDLE = ParserState.IDLE
_AWAITING_HEAD = ParserState.AWAITING_HEAD
_READING_BODY = ParserState.READING_BODY
_COMPLETE = ParserState.COMPLETE
_BROKEN = ParserState.BROKEN
_LENGTH_UNKNOWN = -1  # the body's framing is not looked at yet
_NOT_BY_LENGTH = -2  # chunked, close-delimited or an unusable Content-Length
_PIECE = 2**16
"""Largest piece a Content-Length body is cut into (a reader's usual read size)."""


class ResponseHead(NamedTuple):
    """A parsed response head."""

    status: int
    reason: str
    version: tuple[int, int]
    headers: CIMultiDictProxy[str]
    raw_headers: tuple[tuple[bytes, bytes], ...]


class _LimitExceeded(HttpParserError):
    """A line, field or header count over the configured limit."""


class _TrailingData(HttpParserError):
    """Bytes after a complete response (the connection can no longer be trusted)."""


class ResponseParser:
    """Parses responses on one connection, one exchange at a time.

    Call :meth:`start` before each request, then :meth:`feed` what the socket delivers and
    :meth:`feed_eof` when the peer closes. ``head`` is set once the head is parsed (1xx
    interim responses are skipped), body chunks accumulate in ``chunks`` (``buffered``
    counts their bytes until the reader takes them), and ``state`` becomes ``COMPLETE``
    when the message ends; ``keep_alive`` then says whether the connection is reusable.
    """

    __slots__ = (
        "_default_limits",
        "_fields",
        "_head_bytes",
        "_head_only",
        "_interim",
        "_length",
        "_limits",
        "_max_field_size",
        "_max_head",
        "_max_headers",
        "_max_line_size",
        "_max_stall",
        "_parser",
        "_progress",
        "_raw",
        "_reason",
        "_received",
        "_reusable",
        "_stalled",
        "_trailers",
        "buffered",
        "chunks",
        "continued",
        "head",
        "keep_alive",
        "state",
    )

    def __init__(
        self, *, max_line_size: int = 8190, max_field_size: int = 8190, max_headers: int = 128
    ) -> None:
        self._limits = self._default_limits = (max_line_size, max_field_size, max_headers)
        self._apply_limits(self._limits)
        self._parser = HttpResponseParser(self)
        self._reusable = True
        self.state = _IDLE
        self._reset_message(False)

    def _apply_limits(self, limits: tuple[int, int, int]) -> None:
        """Set ``(max_line_size, max_field_size, max_headers)`` for the coming response heads."""
        max_line_size, max_field_size, max_headers = self._limits = limits
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._max_head = max_line_size + max_headers * (2 * max_field_size + 4) + 2
        # httptools buffers a header (or trailer) until it ends, re-joining the pieces on
        # every feed: bytes without progress are capped so that buffer stays small.
        self._max_stall = max(max_line_size, 2 * max_field_size + 4)

    def _reset_message(self, head_only: bool) -> None:
        self._head_only = head_only
        self._interim = False
        self.continued = False
        self._head_bytes = 0
        self._stalled = 0
        self._progress = False
        self._trailers = 0
        self._raw: list[tuple[bytes, bytes]] = []
        self._fields: list[tuple[str, str]] = []  # _raw, decoded
        self._reason = b""
        self.head: ResponseHead | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = self._received = 0
        self._length = _LENGTH_UNKNOWN
        self.keep_alive = False

    @property
    def received(self) -> bool:
        """True once any byte of the current response was fed."""
        return self._head_bytes > 0

    @property
    def should_close(self) -> bool:
        """True unless the last response completed and allows reusing the connection."""
        return not (self.state is _COMPLETE and self.keep_alive)

    def start(self, method: str, limits: tuple[int, int, int] | None = None) -> None:
        """Expect the response to a ``method`` request (HEAD responses have no body).

        ``limits`` (``max_line_size, max_field_size, max_headers``) apply to this response
        only; None: the parser's own.
        """
        if self.state is not _IDLE and not (self.state is _COMPLETE and self.keep_alive):
            raise RuntimeError(f"Cannot start an exchange while {self.state.value}")
        if not self._reusable:
            self._parser = HttpResponseParser(self)
            self._reusable = True
        wanted = self._default_limits if limits is None else limits
        if wanted != self._limits:
            self._apply_limits(wanted)
        self._reset_message(method == "HEAD")
        self.state = _AWAITING_HEAD

    def feed(self, data: bytes | memoryview) -> None:
        """Parse bytes received from the peer (a view is not kept beyond the call)."""
        state = self.state
        if state is _READING_BODY:
            due = self.length_due()
            if due is not None:
                self._feed_counted(data, due)
                return
        elif state is _AWAITING_HEAD:
            self._head_bytes += len(data)
        else:
            self.state = _BROKEN
            raise HttpParserError(f"Unexpected data while {state.value}")
        self._progress = False
        try:
            self._parser.feed_data(data)
        except HttpParserUpgrade:
            self._reusable = False
            self.state = _COMPLETE
            self.keep_alive = False
            return
        except HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _TrailingData):
                # Bytes after a complete response: keep the response, never reuse the socket.
                self._reusable = self.keep_alive = False
                return
            self.state = _BROKEN
            if isinstance(exc.__context__, HttpParserError):
                raise exc.__context__ from None
            raise
        except HttpParserError:
            self.state = _BROKEN
            raise
        if self.state is _AWAITING_HEAD and self._head_bytes > self._max_head:
            self.state = _BROKEN
            raise _LimitExceeded(
                f"Got more than {self._max_head} bytes when reading the response head."
            )
        self._stalled = 0 if self._progress else self._stalled + len(data)
        if self._stalled > self._max_stall:
            self.state = _BROKEN
            raise _LimitExceeded(
                f"Got more than {self._max_stall} bytes without the end of a line "
                "(header, trailer or chunk size)."
            )

    def _feed_counted(self, data: bytes | memoryview, due: int) -> None:
        """Body bytes of a Content-Length body, counted around httptools: cut into pieces
        of at most ``_PIECE`` bytes (one copy each); what follows the body's end is
        handled as :meth:`end_bypass` does."""
        take = min(len(data), due)
        chunks = self.chunks
        for start in range(0, take, _PIECE):
            chunks.append(bytes(data[start : min(start + _PIECE, take)]))
        self.buffered += take
        self._received += take
        self._stalled = 0
        if take == due:
            self.end_bypass(memoryview(data)[take:])

    def feed_eof(self) -> None:
        """The peer closed: completes a close-delimited body, else raises IncompleteResponse."""
        state = self.state
        if state is _READING_BODY and self._ends_at_close():
            self.state = _COMPLETE
            self.keep_alive = False
            return
        if state is _AWAITING_HEAD:
            self.state = _BROKEN
            raise IncompleteResponse("Server disconnected", head_received=False)
        if state is _READING_BODY:
            self.state = _BROKEN
            raise IncompleteResponse(self._shortfall(), head_received=True)

    def length_due(self) -> int | None:
        """Body bytes the Content-Length still announces while a body is being read; None
        otherwise (chunked, close-delimited, no body being read)."""
        length = self._length
        if length == _LENGTH_UNKNOWN and self.state is _READING_BODY:
            length = self._length = self._body_length()
        return length - self._received if length >= 0 and self.state is _READING_BODY else None

    def _body_length(self) -> int:
        head = self.head
        if head is None or self._framing() != (False, True):
            return _NOT_BY_LENGTH
        length = head.headers["Content-Length"]
        return int(length) if length.isdigit() else _NOT_BY_LENGTH

    def bypass(self, size: int) -> None:
        """``size`` more body bytes arrived around the parser (straight into the reader's
        buffer); :meth:`end_bypass` once they complete the body."""
        self._received += size

    def end_bypass(self, extra: memoryview) -> None:
        """The body that arrived around the parser is complete; ``extra`` came after it.

        The connection ends up as if the parser had seen it all: a fresh parser (the old
        one still expects the body) is fed ``extra``, where anything but blank lines starts
        a message and makes the connection unusable, as trailing data does in :meth:`feed`.
        """
        self.keep_alive = self._parser.should_keep_alive()
        self._parser = HttpResponseParser(self)
        self.state = _COMPLETE
        if extra:
            try:
                self._parser.feed_data(extra)
            except HttpParserError:
                self._reusable = self.keep_alive = False

    def _framing(self) -> tuple[bool, bool]:
        chunked = has_length = False
        for name, value in self._raw:
            lowered = name.lower()
            if lowered == b"transfer-encoding":
                chunked = chunked or b"chunked" in value.lower()
            elif lowered == b"content-length":
                has_length = True
        return chunked, has_length

    def _ends_at_close(self) -> bool:
        chunked, has_length = self._framing()
        return not chunked and not has_length

    def _shortfall(self) -> str:
        """aiohttp's text for a body cut short."""
        chunked, _ = self._framing()
        if chunked:
            detail = "TransferEncodingError: 400, message='Not enough data to satisfy transfer"
            return f"<{detail} length header.'>"
        length = self.head.headers.get("Content-Length") if self.head is not None else None
        detail = "ContentLengthError: 400, message='Not enough data to satisfy content length"
        return f"<{detail} header (received {self._received} of {length} bytes).'>"

    # -- httptools callbacks ---------------------------------------------------------------
    def on_message_begin(self) -> None:
        """A new message: only valid while a response (or the final one after 1xx) is due."""
        if self.state is not _AWAITING_HEAD:
            raise _TrailingData("Unexpected data after the response")

    def on_status(self, reason: bytes) -> None:
        """Status line reason (possibly in pieces)."""
        self._progress = True
        self._reason += reason
        if len(self._reason) + 13 > self._max_line_size:
            raise _LimitExceeded(
                f"Got more than {self._max_line_size} bytes when reading Status line is too long."
            )

    def on_header(self, name: bytes, value: bytes) -> None:
        """One header (trailers, arriving after the head, are counted and ignored)."""
        self._progress = True
        if self.state is not _AWAITING_HEAD:
            self._trailers += 1
            if self._trailers > self._max_headers:
                raise _LimitExceeded("Too many trailers received")
            return
        limit = self._max_field_size
        if len(name) > limit:
            raise _LimitExceeded(
                f"Got more than {limit} bytes when reading Header name is too long."
            )
        if len(value) > limit:
            raise _LimitExceeded(
                f"Got more than {limit} bytes when reading Header value is too long."
            )
        raw = self._raw
        if len(raw) >= self._max_headers:
            raise _LimitExceeded("Too many headers received")
        value = value.rstrip(b" \t")  # trailing OWS is not the value's
        raw.append((name, value))
        self._fields.append((name.decode("latin-1"), value.decode("utf-8", "surrogateescape")))

    def on_headers_complete(self) -> None:
        """Build the head; skip 1xx interim responses."""
        self._progress = True
        parser = self._parser
        status = parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self._interim = True
            self.continued = self.continued or status == 100
            self._raw = []
            self._fields = []
            self._reason = b""
            return
        headers = CIMultiDict(self._fields)
        self.head = tuple.__new__(  # ResponseHead(...) without its Python-level __new__
            ResponseHead,
            (
                status,
                self._reason.decode("utf-8", "surrogateescape"),
                _VERSIONS.get(parser.get_http_version(), (1, 1)),
                CIMultiDictProxy(headers),
                tuple(self._raw),
            ),
        )
        if self._head_only:
            # llhttp cannot be told the request was HEAD: finish here, use a new parser next.
            self._reusable = False
            self.keep_alive = parser.should_keep_alive()
            self.state = _COMPLETE
        else:
            self.state = _READING_BODY

    def on_body(self, body: bytes) -> None:
        """A piece of the (de-chunked) body."""
        self._progress = True
        if self.state is _READING_BODY:
            self.chunks.append(body)
            self.buffered += len(body)
            self._received += len(body)

    def on_message_complete(self) -> None:
        """End of a message (interim responses and HEAD bodies are not ours)."""
        if self._interim:
            self._interim = False
            return
        if self.state is _READING_BODY:
            self.keep_alive = self._parser.should_keep_alive()
            self.state = _COMPLETE
