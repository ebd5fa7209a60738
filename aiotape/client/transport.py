"""The seam: what a transport receives, what it returns, and how tests swap it.

Data flows one way: session -> Transport -> (network | mock router | cassette) -> Response.
Everything above the seam (cookies, redirects, decompression, raise_for_status) lives in the
session; everything below it (sockets, TLS, pooling, HTTP/1.1 and websocket framing,
connect/sock_read timeouts) lives in a transport. Errors cross the seam only as aiotape
exception classes.

The protocols (``Transport``, ``BodyStream``, ``TraceHooks``) and the websocket types are
importable from here but built on first use (``seam_protocols``, ``ws_messages``,
``ws_types``): a plain request needs none of them.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import AsyncIterable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from multidict import CIMultiDictProxy

from .records import Fields, mutable_record
from .seam_request import Request, url_string

if TYPE_CHECKING:
    from types import TracebackType

    from .seam_protocols import BodyStream as BodyStream
    from .seam_protocols import TraceHooks as TraceHooks
    from .seam_protocols import Transport as Transport
    from .seam_protocols import TransportOverride as TransportOverride
    from .ws_messages import CLOSED as CLOSED
    from .ws_messages import WSMessage as WSMessage
    from .ws_messages import WSMsgType as WSMsgType
    from .ws_types import WebSocketChannel as WebSocketChannel
    from .ws_types import WSCloseCode as WSCloseCode
    from .ws_types import WSOptions as WSOptions

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

_LAZY = {  # the names built on first use, by module
    "seam_protocols": ("BodyStream", "TraceHooks", "Transport", "TransportOverride"),
    "ws_messages": ("CLOSED", "WSMessage", "WSMsgType"),
    "ws_types": ("WSCloseCode", "WSOptions", "WebSocketChannel"),
}


def __getattr__(name: str) -> Any:
    """Import the protocols' or the websocket types' module when one of its names is first used."""
    for module, names in _LAZY.items():
        if name in names:
            value = getattr(importlib.import_module(f"{__package__}.{module}"), name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, the ones built on first use included."""
    return sorted({*globals(), *__all__})


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
            self._factory: TransportOverride = _Fixed(cast("Transport", override))
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
