"""What a cassette holds: frozen snapshots of requests, responses, failures and websockets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from yarl import URL

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


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as it went on the wire (``body`` is the whole body, streamed or not)."""

    method: str
    uri: str
    headers: Headers = ()
    body: bytes = b""

    @property
    def url(self) -> URL:
        """``uri`` parsed (already encoded: no re-quoting)."""
        return URL(self.uri, encoded=True)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), if any."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    """A response head and its wire body chunks (still content-encoded) as they arrived.

    ``chunk_times`` holds, per chunk, the seconds since the request started when it arrived
    (empty when unknown, e.g. cassettes written by vcrpy). ``complete`` is False when the
    client released the response before reading all of it while recording: the rest of the
    body is unknown, and reading past ``chunks`` on replay raises ClientPayloadError.
    """

    status: int
    reason: str
    headers: Headers = ()
    chunks: tuple[bytes, ...] = ()
    chunk_times: tuple[float, ...] = ()
    version: tuple[int, int] = (1, 1)
    complete: bool = True

    @property
    def body(self) -> bytes:
        """The whole wire body."""
        return b"".join(self.chunks)


@dataclass(frozen=True, slots=True)
class RecordedError:
    """A failure: the aiotape (or builtin) exception class name, its message and its phase.

    ``errno``/``strerror`` are kept for OSError-based classes (ClientConnectorError...),
    ``status`` for response errors (WSServerHandshakeError...).
    """

    type: str
    message: str
    phase: Phase
    errno: int | None = None
    strerror: str | None = None
    status: int | None = None


@dataclass(frozen=True, slots=True)
class WSFrame:
    """One websocket message: who sent it, its type, payload and time since the handshake.

    For CLOSE, ``data`` is the close code and ``extra`` the reason.
    """

    direction: Literal["send", "recv"]
    type: WSMsgType
    data: str | bytes | int | None
    extra: str | None
    at: float


@dataclass(frozen=True, slots=True)
class RecordedWebSocket:
    """A websocket session after its handshake: negotiated subprotocol and every message."""

    protocol: str | None
    frames: tuple[WSFrame, ...]


@dataclass(frozen=True, slots=True)
class Interaction:
    """One exchange: a request and its response, its failure, or both (failure mid-body).

    ``elapsed`` is the seconds from the request's start to the response head (or, without a
    head, to the failure). ``websocket`` is set for websocket handshakes that succeeded.
    """

    request: RecordedRequest
    response: RecordedResponse | None = None
    error: RecordedError | None = None
    elapsed: float = 0.0
    websocket: RecordedWebSocket | None = None
