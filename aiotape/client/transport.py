"""The seam: what a transport receives, what it returns, and how tests swap it.

Data flows one way: session -> Transport -> (network | mock router | cassette) -> Response.
Everything above the seam (cookies, redirects, decompression, raise_for_status) lives in the
session; everything below it (sockets, TLS, pooling, HTTP/1.1 and websocket framing,
connect/sock_read timeouts) lives in a transport. Errors cross the seam only as aiotape
exception classes.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import AsyncIterable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast, runtime_checkable

from multidict import CIMultiDictProxy
from yarl import URL

from .records import Fields, mutable_record
from .seam_request import Request, url_string

if TYPE_CHECKING:
    from types import TracebackType

__all__ = [
    "CLOSED",
    "BodyStream",
    "ChunkedBody",
    "Request",
    "Response",
    "TraceHooks",
    "Transport",
    "TransportOverride",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WSOptions",
    "WebSocketChannel",
    "active_transport",
    "close_body",
    "current_override",
    "finish_body",
    "header_bytes",
    "rewind_body",
    "url_string",
    "use_transport",
]


class WSMsgType(enum.IntEnum):
    """Websocket message types, aiohttp's values (and its lower-case aliases)."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102

    text = TEXT
    binary = BINARY
    ping = PING
    pong = PONG
    close = CLOSE
    closing = CLOSING
    closed = CLOSED
    error = ERROR


class WSCloseCode(enum.IntEnum):
    """Websocket close codes (RFC 6455), aiohttp's names."""

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMessage(NamedTuple):
    """A whole websocket message. For CLOSE, ``data`` is the close code and ``extra`` the reason."""

    type: WSMsgType
    data: Any
    extra: Any

    def json(self, *, loads: Callable[[Any], Any] | None = None) -> Any:
        """Decode ``data`` as JSON."""
        import json as _json

        return (loads or _json.loads)(self.data)


CLOSED = WSMessage(WSMsgType.CLOSED, None, None)
"""What a websocket channel's ``receive`` returns once the connection is gone."""


class TraceHooks(Protocol):
    """The tracing signals fired below the session, on ``Request.trace`` and by responses
    (``request_trace.RequestTrace`` implements them): connections, DNS, headers sent, body read."""

    async def send_request_headers(self, request: Request) -> None: ...

    async def send_response_chunk_received(self, method: str, url: URL, chunk: bytes) -> None: ...

    async def send_connection_queued_start(self) -> None: ...

    async def send_connection_queued_end(self) -> None: ...

    async def send_connection_create_start(self) -> None: ...

    async def send_connection_create_end(self) -> None: ...

    async def send_connection_reuseconn(self) -> None: ...

    async def send_dns_lookup_start(self, host: str, cached: bool) -> None: ...

    async def send_dns_resolvehost_end(self, host: str) -> None: ...

    async def send_dns_cache_hit(self, host: str) -> None: ...


class WSOptions(NamedTuple):
    """How to open a websocket, beyond its Request: what crosses the seam from ``ws_connect``.

    ``protocols`` are the subprotocols offered, in preference order; ``max_msg_size`` caps a
    received message (0: no limit); ``compress`` asks for permessage-deflate with that window
    size (0: off, 15: the default window).
    """

    protocols: tuple[str, ...] = ()
    max_msg_size: int = 4 * 1024 * 1024
    compress: int = 0


async def close_body(body: bytes | AsyncIterable[bytes]) -> None:
    """Close a request body stream that was not sent to its end (closing files opened for it)."""
    aclose = getattr(body, "aclose", None)
    if aclose is not None:
        await aclose()


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


class BodyStream(Protocol):
    """Wire body chunks of one response: de-chunked, still content-encoded."""

    async def read_chunk(self) -> bytes:
        """The next chunk as it arrived; ``b""`` once the body is complete."""
        ...

    def close(self) -> None:
        """Release the body. Before the end this drops the underlying connection."""
        ...


@mutable_record
class Response(Fields):
    """A response as received, before any decoding.

    ``simulated_elapsed`` is the simulated time this hop took to answer (a mock's delay, a
    replayed latency); 0 for real I/O, whose time the loop clock already shows.
    ``raw_headers`` None: the head as bytes is ``headers`` encoded (:func:`header_bytes`),
    which ``ClientResponse.raw_headers`` does when first asked.
    """

    __match_args__ = (
        "status",
        "reason",
        "headers",
        "body",
        "version",
        "raw_headers",
        "simulated_elapsed",
    )
    __slots__ = __match_args__

    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    body: BodyStream
    version: tuple[int, int]
    raw_headers: tuple[tuple[bytes, bytes], ...] | None
    simulated_elapsed: float

    def __init__(
        self,
        status: int,
        reason: str,
        headers: CIMultiDictProxy[str],
        body: BodyStream,
        version: tuple[int, int] = (1, 1),
        raw_headers: tuple[tuple[bytes, bytes], ...] | None = (),
        simulated_elapsed: float = 0.0,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.version = version
        self.raw_headers = raw_headers
        self.simulated_elapsed = simulated_elapsed


def header_bytes(headers: Iterable[tuple[str, str]]) -> tuple[tuple[bytes, bytes], ...]:
    """Header pairs as the bytes they were read from, in order: names latin-1, values UTF-8
    with surrogates escaped (how the HTTP parser decodes them, as aiohttp's does). A name
    latin-1 cannot hold (a mock's) is UTF-8."""
    try:
        return tuple([(k.encode("latin-1"), _value_bytes(v)) for k, v in headers])
    except UnicodeEncodeError:
        return tuple([(_name_bytes(k), _value_bytes(v)) for k, v in headers])


def _name_bytes(name: str) -> bytes:
    try:
        return name.encode("latin-1")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape")


def _value_bytes(value: str) -> bytes:
    if value.isascii():
        return value.encode("ascii")
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no decoding made (a mock's): kept as it is
        return value.encode("utf-8", "surrogatepass")


class ChunkedBody:
    """A BodyStream over chunks held in memory; raises ``error`` after the last chunk if set."""

    __slots__ = ("_index", "chunks", "error")

    def __init__(self, chunks: Sequence[bytes], error: BaseException | None = None) -> None:
        self.chunks = chunks
        self.error = error
        self._index = 0

    def __repr__(self) -> str:
        return f"ChunkedBody(chunks={self.chunks!r}, error={self.error!r})"

    async def read_chunk(self) -> bytes:
        """Next chunk, then ``error`` (if any), then ``b""``."""
        if self._index < len(self.chunks):
            chunk = self.chunks[self._index]
            self._index += 1
            return chunk
        if self.error is not None:
            raise self.error
        return b""

    def rest(self) -> bytes:
        """The rest of the body in one piece, at once: what :meth:`read_chunk` would give
        until its first ``b""``, then ``error`` (if any)."""
        chunks = self.chunks
        if self._index or self.error is not None or b"" in chunks:
            return self._rest_after(self._index)
        self._index = len(chunks)  # the usual case: all of it, unread, ending well
        return b"".join(chunks)

    def _rest_after(self, start: int) -> bytes:
        rest = self.chunks[start:]
        if b"" in rest:  # an empty chunk ends the body there
            stop = rest.index(b"")
            self._index = start + stop + 1
            return b"".join(rest[:stop])
        self._index = len(self.chunks)
        if self.error is not None:
            raise self.error
        return b"".join(rest)

    def close(self) -> None:
        """Nothing to release."""
        self._index = len(self.chunks)


@runtime_checkable
class WebSocketChannel(Protocol):
    """Whole websocket messages both ways, after a successful handshake.

    ``receive`` returns TEXT/BINARY/PING/PONG/CLOSE messages as the peer sent them and a
    ``CLOSED`` message once the connection is gone; ``send`` takes TEXT/BINARY/PING/PONG/CLOSE.
    Autoping, heartbeat and the closing handshake live above, in ClientWebSocketResponse.
    """

    handshake: Response
    protocol: str | None

    async def send(self, message: WSMessage) -> None:
        """Send one whole message."""
        ...

    async def receive(self) -> WSMessage:
        """The next whole message from the peer."""
        ...

    async def aclose(self) -> None:
        """Drop the connection (no closing handshake)."""
        ...


@runtime_checkable
class Transport(Protocol):
    """Turns a Request into a Response (and a websocket Request into a channel)."""

    async def handle(self, request: Request) -> Response:
        """Send ``request`` and return the response head with a body stream."""
        ...

    async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
        """Open a websocket to ``request.url`` (ws/wss) and return the channel."""
        ...

    async def aclose(self) -> None:
        """Release every resource (pooled connections...)."""
        ...


TransportOverride = Callable[[Transport], Transport]
"""Given a session's own transport, returns the transport to use instead for one request."""

_overrides: list[TransportOverride] = []
_overrides_lock = threading.Lock()


def current_override() -> TransportOverride | None:
    """The innermost active override, if any."""
    return _overrides[-1] if _overrides else None


def active_transport(own: Transport) -> Transport:
    """The transport a session whose own is ``own`` uses now (looked up per request): the
    innermost override's, else ``own``."""
    return _overrides[-1](own) if _overrides else own


class _Fixed:
    """The override that answers every session with one transport."""

    __slots__ = ("transport",)

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def __call__(self, _inner: Transport) -> Transport:
        return self.transport


class use_transport:  # a context manager function before: same name, same use
    """Route every session's requests, in any task, thread or loop, through another transport.

    ``override`` is a transport, or a callable that receives the session's own transport
    (to wrap it, as a cassette recorder does) and returns the transport to use. Sessions
    created before entering are affected too; the lookup happens per request.
    """

    __slots__ = ("_factory",)

    def __init__(self, override: Transport | TransportOverride) -> None:
        if hasattr(override, "handle"):  # a Transport (a runtime Protocol check costs ~20 µs)
            self._factory: TransportOverride = _Fixed(cast(Transport, override))
        else:
            self._factory = override

    def __enter__(self) -> None:
        with _overrides_lock:
            _overrides.append(self._factory)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _overrides_lock:
            _overrides.remove(self._factory)
