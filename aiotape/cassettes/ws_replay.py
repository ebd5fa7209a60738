"""Replaying a recorded websocket session: a WebSocketChannel that plays it back.

Imported by the first websocket session a cassette replays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..client.transport import CLOSED, Response, WSMessage, WSMsgType
from .model import RecordedWebSocket, WSFrame

__all__ = ["ReplayChannel"]

_KEEPALIVE = frozenset({WSMsgType.PING, WSMsgType.PONG})


def _shown(kind: WSMsgType, data: object) -> str:
    text = repr(data)
    return f"{kind.name} {text[:77] + '...' if len(text) > 80 else text}"


class ReplayChannel:
    """A WebSocketChannel that plays a recorded websocket session back.

    The client's data messages must be the recorded ones, in order (pings and pongs are
    timing-dependent and not checked). Each recorded server message is delivered once every
    client message recorded before it has been sent, then ``CLOSED`` once all are delivered.
    ``mismatch(sent, expected)`` builds the error raised for an unexpected client message.
    """

    __slots__ = (
        "_closed",
        "_mismatch",
        "_progress",
        "_received",
        "_recvs",
        "_sends",
        "_sent",
        "handshake",
        "protocol",
    )

    def __init__(
        self,
        recorded: RecordedWebSocket,
        handshake: Response,
        mismatch: Callable[[str, str], BaseException],
    ) -> None:
        self.handshake = handshake
        self.protocol = recorded.protocol
        self._mismatch = mismatch
        self._sends: list[WSFrame] = []
        self._recvs: list[tuple[int, WSFrame]] = []
        for frame in recorded.frames:
            if frame.direction == "recv":
                self._recvs.append((len(self._sends), frame))
            elif frame.type not in _KEEPALIVE:
                self._sends.append(frame)
        self._sent = 0
        self._received = 0
        self._closed = False
        self._progress: asyncio.Event | None = None

    def _advance(self, sent: int) -> None:
        self._sent = sent
        if self._progress is not None:
            self._progress.set()

    async def send(self, message: WSMessage) -> None:
        """Check ``message`` against the recording (CLOSE skips ahead to the recorded close)."""
        kind = message.type
        if kind in _KEEPALIVE:
            return
        sends = self._sends
        if kind is WSMsgType.CLOSE:
            closes = (i for i in range(self._sent, len(sends)) if sends[i].type is kind)
            self._advance(next(closes, len(sends) - 1) + 1)
            return
        expected = sends[self._sent] if self._sent < len(sends) else None
        data = message.data if kind is WSMsgType.TEXT else bytes(message.data)
        if expected is None or (expected.type, expected.data) != (kind, data):
            wanted = "nothing more" if expected is None else _shown(expected.type, expected.data)
            raise self._mismatch(_shown(kind, data), wanted)
        self._advance(self._sent + 1)

    async def receive(self) -> WSMessage:
        """The next recorded server message once the client has caught up; then CLOSED."""
        while not self._closed and self._received < len(self._recvs):
            needed, frame = self._recvs[self._received]
            if self._sent >= needed:
                self._received += 1
                return WSMessage(frame.type, frame.data, frame.extra)
            if self._progress is None:
                self._progress = asyncio.Event()
            self._progress.clear()
            await self._progress.wait()
        return CLOSED

    async def aclose(self) -> None:
        """End the session: receive returns CLOSED from now on."""
        self._closed = True
        self._advance(self._sent)
