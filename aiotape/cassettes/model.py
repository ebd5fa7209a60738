"""What a cassette holds: frozen snapshots of requests, responses, failures and websockets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from yarl import URL

from ..client.records import Frozen, record

if TYPE_CHECKING:
    from ..client.transport import WSMsgType

__all__ = [
    "Headers",
    "Interaction",
    "Phase",
    "RecordedError",
    "RecordedRequest",
    "RecordedResponse",
    "RecordedWebSocket",
    "WSFrame",
]

Headers = tuple[tuple[str, str], ...]
"""Header pairs in wire order (names as sent, repeated names allowed)."""

Phase = Literal["connect", "head", "body"]
"""Where a recorded failure happened: connecting, awaiting the response head, reading the body."""

# The records are dataclasses made by ``record`` (frozen=True and generated methods would cost
# ~4M instructions of code generation per class, at every import), on first use: each names
# its slots and writes its ``__init__``, whose defaults are its fields'. Their annotations stay
# strings, so a plain HTTP replay never builds ``WSMsgType`` for ``WSFrame``.


@record
class RecordedRequest(Frozen):
    """A request as it went on the wire (``body`` is the whole body, streamed or not)."""

    __slots__ = ("body", "headers", "method", "uri")

    method: str
    uri: str
    headers: Headers
    body: bytes

    def __init__(self, method: str, uri: str, headers: Headers = (), body: bytes = b"") -> None:
        _set = object.__setattr__
        _set(self, "method", method)
        _set(self, "uri", uri)
        _set(self, "headers", headers)
        _set(self, "body", body)

    @property
    def url(self) -> URL:
        """``uri`` parsed (already encoded: no re-quoting)."""
        return URL(self.uri, encoded=True)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), if any."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@record
class RecordedResponse(Frozen):
    """A response head and its wire body chunks (still content-encoded) as they arrived.

    ``chunk_times`` holds, per chunk, the seconds since the request started when it arrived
    (empty when unknown, e.g. cassettes written by vcrpy). ``complete`` is False when the
    client released the response before reading all of it while recording: the rest of the
    body is unknown, and reading past ``chunks`` on replay raises ClientPayloadError.
    """

    __slots__ = ("chunk_times", "chunks", "complete", "headers", "reason", "status", "version")

    status: int
    reason: str
    headers: Headers
    chunks: tuple[bytes, ...]
    chunk_times: tuple[float, ...]
    version: tuple[int, int]
    complete: bool

    def __init__(
        self,
        status: int,
        reason: str,
        headers: Headers = (),
        chunks: tuple[bytes, ...] = (),
        chunk_times: tuple[float, ...] = (),
        version: tuple[int, int] = (1, 1),
        complete: bool = True,
    ) -> None:
        _set = object.__setattr__
        _set(self, "status", status)
        _set(self, "reason", reason)
        _set(self, "headers", headers)
        _set(self, "chunks", chunks)
        _set(self, "chunk_times", chunk_times)
        _set(self, "version", version)
        _set(self, "complete", complete)

    @property
    def body(self) -> bytes:
        """The whole wire body."""
        return b"".join(self.chunks)


@record
class RecordedError(Frozen):
    """A failure: the aiotape (or builtin) exception class name, its message and its phase.

    ``errno``/``strerror`` are kept for OSError-based classes (ClientConnectorError...),
    ``status`` and ``headers`` (the refusing answer's, e.g. a redirect's Location and
    Set-Cookie) for response errors (WSServerHandshakeError...).
    """

    __slots__ = ("errno", "headers", "message", "phase", "status", "strerror", "type")

    type: str
    message: str
    phase: Phase
    errno: int | None
    strerror: str | None
    status: int | None
    headers: Headers

    def __init__(
        self,
        type: str,
        message: str,
        phase: Phase,
        errno: int | None = None,
        strerror: str | None = None,
        status: int | None = None,
        headers: Headers = (),
    ) -> None:
        _set = object.__setattr__
        _set(self, "type", type)
        _set(self, "message", message)
        _set(self, "phase", phase)
        _set(self, "errno", errno)
        _set(self, "strerror", strerror)
        _set(self, "status", status)
        _set(self, "headers", headers)


@record
class WSFrame(Frozen):
    """One websocket message: who sent it, its type, payload and time since the handshake.

    For CLOSE, ``data`` is the close code and ``extra`` the reason.
    """

    __slots__ = ("at", "data", "direction", "extra", "type")

    direction: Literal["send", "recv"]
    type: WSMsgType
    data: str | bytes | int | None
    extra: str | None
    at: float

    def __init__(
        self,
        direction: Literal["send", "recv"],
        type: WSMsgType,
        data: str | bytes | int | None,
        extra: str | None,
        at: float,
    ) -> None:
        _set = object.__setattr__
        _set(self, "direction", direction)
        _set(self, "type", type)
        _set(self, "data", data)
        _set(self, "extra", extra)
        _set(self, "at", at)


@record
class RecordedWebSocket(Frozen):
    """A websocket session after its handshake: negotiated subprotocol and every message."""

    __slots__ = ("frames", "protocol")

    protocol: str | None
    frames: tuple[WSFrame, ...]

    def __init__(self, protocol: str | None, frames: tuple[WSFrame, ...]) -> None:
        _set = object.__setattr__
        _set(self, "protocol", protocol)
        _set(self, "frames", frames)


@record
class Interaction(Frozen):
    """One exchange: a request and its response, its failure, or both (failure mid-body).

    ``elapsed`` is the seconds from the request's start to the response head (or, without a
    head, to the failure). ``websocket`` is set for websocket handshakes that succeeded.
    """

    __slots__ = ("elapsed", "error", "request", "response", "websocket")

    request: RecordedRequest
    response: RecordedResponse | None
    error: RecordedError | None
    elapsed: float
    websocket: RecordedWebSocket | None

    def __init__(
        self,
        request: RecordedRequest,
        response: RecordedResponse | None = None,
        error: RecordedError | None = None,
        elapsed: float = 0.0,
        websocket: RecordedWebSocket | None = None,
    ) -> None:
        _set = object.__setattr__
        _set(self, "request", request)
        _set(self, "response", response)
        _set(self, "error", error)
        _set(self, "elapsed", elapsed)
        _set(self, "websocket", websocket)
