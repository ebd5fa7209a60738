"""Recording: a transport wrapper that snapshots each exchange as it really happened.

Each ``handle`` call (one redirect hop) becomes one interaction: the request as sent (a
streamed body is captured while the inner transport sends it), the response head, the wire
body chunks as they arrive with their arrival times, and any failure with its phase.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Sequence
from typing import Literal

from ..client.transport import (
    BodyStream,
    Request,
    Response,
    Transport,
    WebSocketChannel,
    WSMessage,
    WSMsgType,
    WSOptions,
)
from .failures import describe, recordable
from .filters import Filters
from .model import (
    Interaction,
    Phase,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    RecordedWebSocket,
    WSFrame,
)

__all__ = ["Recorder", "Recording"]

_EMPTY_BODY_STATUSES = frozenset({204, 304})
_RECORDED_WS_TYPES = frozenset(
    {WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.PING, WSMsgType.PONG, WSMsgType.CLOSE}
)


async def _tee(body: AsyncIterable[bytes], sink: list[bytes]) -> AsyncIterator[bytes]:
    async for chunk in body:
        sink.append(chunk)
        yield chunk


class Recording:
    """One interaction being recorded; its snapshot is complete once the body ends or fails."""

    __slots__ = (
        "_body",
        "_chunk_times",
        "_chunks",
        "_complete",
        "_dropped",
        "_elapsed",
        "_error",
        "_request",
        "_response",
        "_started",
        "_ws_frames",
        "_ws_opened",
        "_ws_protocol",
    )

    def __init__(self, request: Request, started: float) -> None:
        self._request = request
        self._started = started
        self._body: bytes | list[bytes] = request.body if isinstance(request.body, bytes) else []
        self._response: Response | None = None
        self._chunks: list[bytes] = []
        self._chunk_times: list[float] = []
        self._error: RecordedError | None = None
        self._elapsed = 0.0
        self._complete = False
        self._dropped = False
        self._ws_frames: list[WSFrame] | None = None
        self._ws_protocol: str | None = None
        self._ws_opened = 0.0

    def wire_request(self) -> Request:
        """The request to send: a streamed body is teed into this recording."""
        body = self._request.body
        if isinstance(body, bytes) or isinstance(self._body, bytes):
            return self._request
        return dataclasses.replace(self._request, body=_tee(body, self._body))

    def responded(self, response: Response, now: float) -> None:
        """The response head arrived."""
        self._response = response
        self._elapsed = now - self._started

    def websocket_opened(self, channel: WebSocketChannel, now: float) -> None:
        """The websocket handshake succeeded: messages are recorded from here on."""
        self.responded(channel.handshake, now)
        self._complete = True
        self._ws_frames = []
        self._ws_protocol = channel.protocol
        self._ws_opened = now

    def websocket_message(
        self, direction: Literal["send", "recv"], message: WSMessage, now: float
    ) -> None:
        """A whole websocket message went ``send`` or ``recv``."""
        if self._ws_frames is None or message.type not in _RECORDED_WS_TYPES:
            return
        data = message.data
        if message.type is WSMsgType.CLOSE:
            data = int(data or 0)  # WSCloseCode is an IntEnum: store the plain number
        elif message.type is not WSMsgType.TEXT:
            data = bytes(data or b"")
        extra = message.extra
        if isinstance(extra, (bytes, bytearray)):
            extra = bytes(extra).decode("utf-8", "replace")
        elif extra is not None:
            extra = str(extra)
        at = now - self._ws_opened
        self._ws_frames.append(WSFrame(direction, message.type, data, extra, at))

    def chunk(self, chunk: bytes, now: float) -> None:
        """A body chunk arrived (``b""``: the body is complete)."""
        if chunk:
            self._chunks.append(chunk)
            self._chunk_times.append(now - self._started)
        else:
            self._complete = True

    def failed(self, exc: BaseException, now: float, phase: Phase | None = None) -> None:
        """The exchange failed with a recordable exception."""
        self._error = describe(exc, phase)
        self._complete = True
        if self._response is None:
            self._elapsed = now - self._started

    def cancelled(self, now: float, phase: Phase | None = None) -> None:
        """The task was cancelled: a timeout if the total deadline passed, else not recorded."""
        limit = self._request.deadline
        if limit is not None and now >= limit:
            self.failed(asyncio.TimeoutError(), now, phase)
        else:
            self._dropped = True

    def _looks_empty(self) -> bool:
        response = self._response
        assert response is not None
        return (
            self._request.method == "HEAD"
            or response.status in _EMPTY_BODY_STATUSES
            or response.headers.get("Content-Length") == "0"
        )

    def snapshot(self) -> Interaction | None:
        """The interaction so far (None if dropped or nothing happened yet)."""
        if self._dropped or (self._response is None and self._error is None):
            return None
        request = self._request
        body = self._body if isinstance(self._body, bytes) else b"".join(self._body)
        recorded_request = RecordedRequest(
            request.method, str(request.url), tuple(request.headers.items()), body
        )
        response = self._response
        return Interaction(
            request=recorded_request,
            response=None
            if response is None
            else RecordedResponse(
                status=response.status,
                reason=response.reason,
                headers=tuple(response.headers.items()),
                chunks=tuple(self._chunks),
                chunk_times=tuple(self._chunk_times),
                version=response.version,
                complete=self._complete or self._looks_empty(),
            ),
            error=self._error,
            elapsed=self._elapsed,
            websocket=None
            if self._ws_frames is None
            else RecordedWebSocket(self._ws_protocol, tuple(self._ws_frames)),
        )


class _RecordingBody:
    """A BodyStream that notes every chunk (and failure) of the inner one."""

    __slots__ = ("_inner", "_loop", "_recording")

    def __init__(self, inner: BodyStream, recording: Recording) -> None:
        self._inner = inner
        self._recording = recording
        self._loop = asyncio.get_running_loop()

    async def read_chunk(self) -> bytes:
        try:
            chunk = await self._inner.read_chunk()
        except recordable() as exc:
            self._recording.failed(exc, self._loop.time(), "body")
            raise
        except asyncio.CancelledError:
            self._recording.cancelled(self._loop.time(), "body")
            raise
        self._recording.chunk(chunk, self._loop.time())
        return chunk

    def close(self) -> None:
        self._inner.close()


class _RecordingChannel:
    """A WebSocketChannel that notes every message both ways."""

    __slots__ = ("_inner", "_loop", "_recording", "handshake", "protocol")

    def __init__(self, inner: WebSocketChannel, recording: Recording) -> None:
        self._inner = inner
        self._recording = recording
        self._loop = asyncio.get_running_loop()
        self.handshake = inner.handshake
        self.protocol = inner.protocol

    async def send(self, message: WSMessage) -> None:
        await self._inner.send(message)
        self._recording.websocket_message("send", message, self._loop.time())

    async def receive(self) -> WSMessage:
        message = await self._inner.receive()
        self._recording.websocket_message("recv", message, self._loop.time())
        return message

    async def aclose(self) -> None:
        await self._inner.aclose()


@contextlib.contextmanager
def _noting_failure(recording: Recording, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Record a failure (or a cancel) of the exchange before letting it propagate."""
    try:
        yield
    except recordable() as exc:
        recording.failed(exc, loop.time())
        raise
    except asyncio.CancelledError:
        recording.cancelled(loop.time())
        raise


class Recorder:
    """Records every exchange sent through ``handle`` into interactions, in start order."""

    __slots__ = ("_filters", "_lock", "_recordings")

    def __init__(self, filters: Filters) -> None:
        self._filters = filters
        self._recordings: list[Recording] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._recordings)

    def _start(self, request: Request) -> Recording:
        recording = Recording(request, asyncio.get_running_loop().time())
        with self._lock:
            self._recordings.append(recording)
        return recording

    async def handle(self, request: Request, inner: Transport) -> Response:
        """Send ``request`` through ``inner`` and record the exchange."""
        loop = asyncio.get_running_loop()
        recording = self._start(request)
        with _noting_failure(recording, loop):
            response = await inner.handle(recording.wire_request())
        recording.responded(response, loop.time())
        return dataclasses.replace(response, body=_RecordingBody(response.body, recording))

    async def connect_ws(
        self, request: Request, inner: Transport, options: WSOptions
    ) -> WebSocketChannel:
        """Open a websocket through ``inner`` and record its handshake and messages."""
        loop = asyncio.get_running_loop()
        recording = self._start(request)
        with _noting_failure(recording, loop):
            channel = await inner.connect_ws(request, options)
        recording.websocket_opened(channel, loop.time())
        return _RecordingChannel(channel, recording)

    def clear(self) -> None:
        """Forget every exchange recorded so far (they were saved)."""
        with self._lock:
            self._recordings.clear()

    def interactions(self) -> list[Interaction]:
        """Recorded interactions after filters and hooks (dropped ones left out)."""
        with self._lock:
            recordings: Sequence[Recording] = tuple(self._recordings)
        kept: list[Interaction] = []
        for recording in recordings:
            interaction = recording.snapshot()
            if interaction is None:
                continue
            request = self._filters.request(interaction.request)
            if request is None:
                continue
            response, error = interaction.response, interaction.error
            if response is not None:
                response = self._filters.response(response)
                if response is None:
                    continue
            if error is not None and error.headers:
                error = self._filtered_refusal(error)
                if error is None:
                    continue
            kept.append(
                dataclasses.replace(interaction, request=request, response=response, error=error)
            )
        return kept

    def _filtered_refusal(self, error: RecordedError) -> RecordedError | None:
        """``error`` with its answer's headers (a refused handshake's) passed through the
        response filters as a response's would be; None if a hook dropped it."""
        answer = RecordedResponse(error.status or 0, "", error.headers)
        filtered = self._filters.response(answer)
        if filtered is None:
            return None
        return dataclasses.replace(error, headers=filtered.headers)
