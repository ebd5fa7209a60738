"""Mock websockets: a server-side object for route handlers and the client's channel to it."""

from __future__ import annotations

import asyncio
import json as _json
from collections.abc import Callable
from typing import Any

from ..client import exceptions
from ..client.simulation import handshake_response
from ..client.transport import CLOSED, WSCloseCode, WSMessage, WSMsgType
from .routes import Call, WebSocketHandler

__all__ = ["MockWebSocket", "MockWebSocketChannel"]

_HANDLER_GRACE_TICKS = 100
_ENDS_ITERATION = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED})


class MockWebSocket:
    """The server end of a mocked websocket, given to ``async def handler(ws)``.

    Like aiohttp's ``web.WebSocketResponse``: ``async for msg in ws`` yields TEXT/BINARY
    messages until the client closes; pings are answered and a client's close is echoed
    automatically. When the handler returns, the socket is closed with 1000 (1011 if it raised).
    """

    def __init__(self, request: Call, protocol: str | None) -> None:
        self.request = request
        self.protocol = protocol
        self.close_code: int | None = None
        self._inbox: asyncio.Queue[WSMessage] = asyncio.Queue()
        self._outbox: asyncio.Queue[WSMessage] = asyncio.Queue()
        self._closed = False
        self._lost = False

    @property
    def closed(self) -> bool:
        """True once either side started closing or the connection is gone."""
        return self._closed

    async def receive(self) -> WSMessage:
        """The next message from the client: TEXT, BINARY, CLOSE, then CLOSED forever."""
        if self._closed and self._inbox.empty():
            return CLOSED
        return await self._inbox.get()

    async def receive_str(self) -> str:
        """The next message, which must be TEXT."""
        msg = await self.receive()
        if msg.type is not WSMsgType.TEXT:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT")
        return str(msg.data)

    async def receive_bytes(self) -> bytes:
        """The next message, which must be BINARY."""
        msg = await self.receive()
        if msg.type is not WSMsgType.BINARY:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.BINARY")
        return bytes(msg.data)

    async def receive_json(self, *, loads: Callable[[str], Any] = _json.loads) -> Any:
        """The next TEXT message decoded as JSON."""
        return loads(await self.receive_str())

    def __aiter__(self) -> MockWebSocket:
        return self

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in _ENDS_ITERATION:
            raise StopAsyncIteration
        return msg

    def _send(self, msg: WSMessage) -> None:
        if self._closed:
            raise exceptions.ClientConnectionResetError("Cannot write to closing transport")
        self._outbox.put_nowait(msg)

    async def send_str(self, data: str) -> None:
        """Send a TEXT message."""
        self._send(WSMessage(WSMsgType.TEXT, data, ""))

    async def send_bytes(self, data: bytes) -> None:
        """Send a BINARY message."""
        self._send(WSMessage(WSMsgType.BINARY, bytes(data), ""))

    async def send_json(self, data: Any, *, dumps: Callable[[Any], str] = _json.dumps) -> None:
        """Send ``data`` as a JSON TEXT message."""
        self._send(WSMessage(WSMsgType.TEXT, dumps(data), ""))

    async def ping(self, message: bytes = b"") -> None:
        """Send a PING (the client answers it with a PONG this side ignores)."""
        self._send(WSMessage(WSMsgType.PING, message, ""))

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"") -> bool:
        """Send a CLOSE frame; False if already closing. Does not wait for the client's echo."""
        if self._closed:
            return False
        self._outbox.put_nowait(WSMessage(WSMsgType.CLOSE, code, message.decode()))
        self._closed = True
        self.close_code = code
        return True

    def _from_client(self, msg: WSMessage) -> None:
        """Deliver a client message, answering pings and echoing a close at once."""
        if msg.type is WSMsgType.PING:
            if not self._closed:
                self._outbox.put_nowait(WSMessage(WSMsgType.PONG, msg.data, ""))
        elif msg.type is WSMsgType.CLOSE:
            if not self._closed:
                reason = msg.extra or ""
                close = WSMessage(
                    WSMsgType.CLOSE,
                    msg.data,
                    reason.decode() if isinstance(reason, (bytes, bytearray)) else reason,
                )
                self._inbox.put_nowait(close)
                self._outbox.put_nowait(close)
                self._closed = True
                self.close_code = msg.data
        elif msg.type is not WSMsgType.PONG and not self._closed:
            self._inbox.put_nowait(msg)

    def _connection_lost(self) -> None:
        """The TCP connection is gone: both ends see CLOSED."""
        if self._lost:
            return
        self._lost = self._closed = True
        self._inbox.put_nowait(CLOSED)
        self._outbox.put_nowait(CLOSED)


class MockWebSocketChannel:
    """The client end: a WebSocketChannel whose peer is a handler running in a task."""

    def __init__(
        self,
        server: MockWebSocket,
        handler: WebSocketHandler,
        on_error: Callable[[BaseException], None],
    ) -> None:
        accepted = () if server.protocol is None else (("Sec-WebSocket-Protocol", server.protocol),)
        self.handshake = handshake_response(
            (("Upgrade", "websocket"), ("Connection", "upgrade"), *accepted)
        )
        self.protocol = server.protocol
        self._server = server
        self._on_error = on_error
        self._gone = False
        self._task = asyncio.get_running_loop().create_task(self._serve(handler))

    async def _serve(self, handler: WebSocketHandler) -> None:
        server = self._server
        try:
            await handler(server)
        except exceptions.ClientConnectionResetError:
            pass
        except Exception as exc:
            self._on_error(exc)
            await server.close(code=WSCloseCode.INTERNAL_ERROR)
        else:
            await server.close()
        finally:
            server._connection_lost()

    async def send(self, message: WSMessage) -> None:
        """Deliver one message to the handler; a CLOSE after the server's is a no-op."""
        if message.type is WSMsgType.CLOSE and self._server.closed:
            return
        if self._gone:
            raise exceptions.ClientConnectionResetError("Cannot write to closing transport")
        self._server._from_client(message)

    async def receive(self) -> WSMessage:
        """The next message from the handler; CLOSED once the connection is gone."""
        outbox = self._server._outbox
        if self._gone and outbox.empty():
            return CLOSED
        msg = await outbox.get()
        if msg.type is WSMsgType.CLOSED:
            self._gone = True
        return msg

    async def aclose(self) -> None:
        """Drop the connection and let the handler finish (it sees CLOSED, sends fail).

        A handler still busy after ``_HANDLER_GRACE_TICKS`` loop iterations (awaiting
        something other than this socket) is cancelled, so closing never hangs.
        """
        self._gone = True
        self._server._connection_lost()
        task = self._task
        for _ in range(_HANDLER_GRACE_TICKS):
            if task.done():
                return
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.wait({task})
