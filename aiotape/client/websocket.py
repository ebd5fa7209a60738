"""ClientWebSocketResponse: aiohttp's websocket API over any WebSocketChannel.

The channel (network, mock or cassette) only carries whole messages. Everything a user
relies on beyond that lives here, so every channel gets it: answering pings (autoping),
heartbeat pings with a pong deadline, the closing handshake (autoclose, ``ws_close``
timeout), receive timeouts and ``async for``.
"""

from __future__ import annotations

import asyncio
import enum
import json
import sys
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import exceptions
from .timeouts import TimeoutScope, deadline
from .ws_messages import CLOSED, WSMessage, WSMsgType
from .ws_types import WebSocketChannel, WSCloseCode

if TYPE_CHECKING:
    from .ws_timeout import ClientWSTimeout

__all__ = ["QUEUED", "ClientWebSocketResponse", "WebSocketError", "WebSocketState"]

CLOSING_MESSAGE = WSMessage(WSMsgType.CLOSING, None, None)
QUEUED = WSMessage(WSMsgType.CONTINUATION, None, None)
"""What a channel's ``next_message`` future may resolve to instead of a large message: the
message waits in the channel, take it with another ``next_message()`` (the event loop keeps
a resolved future alive while the reader runs on, and a megabyte should not live that long)."""
_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_new_message = tuple.__new__  # WSMessage without the Python-level __new__ of a NamedTuple
_HEARTBEAT_CEIL_THRESHOLD = 5


class WebSocketState(enum.Enum):
    """Where a client websocket is: it only moves forward, OPEN -> (CLOSING ->) CLOSED."""

    OPEN = "open"
    """Messages flow both ways; the heartbeat (if any) runs."""
    CLOSING = "closing"
    """A close frame was received or a close was started: the handshake is finishing."""
    CLOSED = "closed"
    """Closed by either side or by an error: receive() returns CLOSED."""


_OPEN = WebSocketState.OPEN
_CLOSING = WebSocketState.CLOSING
_CLOSED = WebSocketState.CLOSED


class WebSocketError(Exception):
    """A websocket protocol error; ``code`` is the close code sent to the peer."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(code, message)

    def __str__(self) -> str:
        return str(self.args[1])


class ClientWebSocketResponse:
    """A client websocket, as returned by ``session.ws_connect``.

    One task reads (``receive``/``async for``); any number of tasks may send.
    """

    def __init__(
        self,
        channel: WebSocketChannel,
        *,
        timeout: ClientWSTimeout,
        autoclose: bool,
        autoping: bool,
        heartbeat: float | None,
        decode_text: bool = True,
    ) -> None:
        self._channel = channel
        self._decode_text = decode_text
        self._timeout = timeout
        self._autoclose = autoclose
        self._autoping = autoping
        self._heartbeat = heartbeat
        self._loop = asyncio.get_running_loop()
        self._state = _OPEN
        self._close_code: int | None = None
        self._exception: BaseException | None = None
        self._waiting = False
        self._reader: asyncio.Task[Any] | None = None
        self._pending: asyncio.Future[WSMessage] | None = None
        self._interrupted = False
        self._close_wait: asyncio.Future[None] | None = None
        self._closing: asyncio.Future[None] | None = None
        # The network channel's ``next_message`` and ``send_nowait`` are ``receive`` and
        # ``send`` without a coroutine of their own.
        self._source: Callable[[], Awaitable[WSMessage]] = getattr(
            channel, "next_message", channel.receive
        )
        self._send_now: Callable[[WSMessage], Awaitable[None] | None] = getattr(
            channel, "send_nowait", channel.send
        )
        self._dropping: asyncio.Task[None] | None = None
        self._heartbeat_cb: asyncio.TimerHandle | None = None
        self._heartbeat_when = 0.0
        self._pong_cb: asyncio.TimerHandle | None = None
        self._ping_task: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._pump_done = False
        self._inbox: asyncio.Queue[WSMessage] | None = None
        if heartbeat is not None:
            self._inbox = asyncio.Queue()
            self._source = self._next_pumped
            self._pump = self._loop.create_task(self._pump_channel(self._inbox))
            self._reset_heartbeat()

    # -- properties ------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True once the websocket is closed (by either side or by an error)."""
        return self._state is _CLOSED

    @property
    def close_code(self) -> int | None:
        """The close code, once known."""
        return self._close_code

    @property
    def protocol(self) -> str | None:
        """The subprotocol the server selected."""
        return self._channel.protocol

    def exception(self) -> BaseException | None:
        """The error that closed the websocket, if any."""
        return self._exception

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Extra info of the underlying socket (``peername``, ``sslcontext``...)."""
        get = getattr(self._channel, "get_extra_info", None)
        return default if get is None else get(name, default)

    # -- heartbeat -------------------------------------------------------------------------
    async def _pump_channel(self, inbox: asyncio.Queue[WSMessage]) -> None:
        """With a heartbeat, read the channel continuously so any traffic proves liveness."""
        message = CLOSED
        try:
            while True:
                message = await self._channel.receive()
                self._reset_heartbeat()
                inbox.put_nowait(message)
                if message.type is WSMsgType.CLOSED:
                    return
        except Exception as exc:
            inbox.put_nowait(WSMessage(WSMsgType.ERROR, exc, None))
        finally:
            self._pump_done = True
            if message.type is not WSMsgType.CLOSED:
                inbox.put_nowait(CLOSED)

    async def _next_pumped(self) -> WSMessage:
        assert self._inbox is not None
        if self._pump_done and self._inbox.empty():
            return CLOSED
        return await self._inbox.get()

    def _reset_heartbeat(self) -> None:
        if self._heartbeat is None or self._state is not _OPEN:
            return
        self._cancel_pong_timer()
        now = self._loop.time()
        self._heartbeat_when = deadline(now, self._heartbeat, _HEARTBEAT_CEIL_THRESHOLD) or now
        if self._heartbeat_cb is None:
            self._heartbeat_cb = self._loop.call_at(self._heartbeat_when, self._send_heartbeat)

    def _send_heartbeat(self) -> None:
        self._heartbeat_cb = None
        now = self._loop.time()
        if now < self._heartbeat_when:
            self._heartbeat_cb = self._loop.call_at(self._heartbeat_when, self._send_heartbeat)
            return
        assert self._heartbeat is not None
        pong_wait = self._heartbeat / 2
        when = deadline(now, pong_wait, _HEARTBEAT_CEIL_THRESHOLD) or now
        self._cancel_pong_timer()
        self._pong_cb = self._loop.call_at(when, self._pong_not_received, pong_wait)
        self._ping_task = self._loop.create_task(self._channel.send(_message(WSMsgType.PING)))
        self._ping_task.add_done_callback(self._ping_sent)

    def _ping_sent(self, task: asyncio.Task[None]) -> None:
        self._ping_task = None
        error = None if task.cancelled() else task.exception()
        if error is not None:
            self._fail(error)

    def _pong_not_received(self, pong_wait: float) -> None:
        self._pong_cb = None
        self._fail(exceptions.ServerTimeoutError(f"No PONG received after {pong_wait} seconds"))

    def _fail(self, exc: BaseException) -> None:
        """The heartbeat failed: close abnormally and wake the reader with an ERROR."""
        was_open = self._state is _OPEN
        if self._state is _CLOSED:
            return
        self._set_state(_CLOSED)
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        self._exception = exc
        self._dropping = self._loop.create_task(self._drop())
        if self._waiting and was_open and self._inbox is not None:
            self._inbox.put_nowait(WSMessage(WSMsgType.ERROR, exc, None))

    def _cancel_pong_timer(self) -> None:
        if self._pong_cb is not None:
            self._pong_cb.cancel()
            self._pong_cb = None

    def _cancel_heartbeat(self) -> None:
        self._cancel_pong_timer()
        if self._heartbeat_cb is not None:
            self._heartbeat_cb.cancel()
            self._heartbeat_cb = None
        if self._ping_task is not None:
            self._ping_task.cancel()
            self._ping_task = None

    def _set_state(self, state: WebSocketState) -> None:
        """The one place the state moves (never back from CLOSED); stops the heartbeat."""
        if self._state is not _CLOSED:
            self._state = state
        self._cancel_heartbeat()

    async def _drop(self) -> None:
        """Release the channel (and the heartbeat reader) without a closing handshake."""
        pump = self._pump
        if pump is not None:
            self._pump = None
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
        await self._channel.aclose()

    # -- sending ---------------------------------------------------------------------------
    async def send_frame(
        self, message: bytes, opcode: WSMsgType, compress: int | None = None
    ) -> None:
        """Send one message of type ``opcode`` (TEXT data is decoded from UTF-8)."""
        data: Any = message.decode("utf-8") if opcode is WSMsgType.TEXT else message
        await self._channel.send(WSMessage(opcode, data, None))

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a TEXT message. ``compress`` is accepted for compatibility."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        pending = self._send_now(_new_message(WSMessage, (_TEXT, data, None)))
        if pending is not None:
            await pending

    async def send_bytes(self, data: bytes, compress: int | None = None) -> None:
        """Send a BINARY message. ``compress`` is accepted for compatibility."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        pending = self._send_now(_new_message(WSMessage, (_BINARY, bytes(data), None)))
        if pending is not None:
            await pending

    async def send_json(
        self,
        data: Any,
        compress: int | None = None,
        *,
        dumps: Callable[[Any], str] = json.dumps,
    ) -> None:
        """Send ``dumps(data)`` as a TEXT message."""
        await self.send_str(dumps(data), compress=compress)

    async def send_json_bytes(
        self, data: Any, compress: int | None = None, *, dumps: Callable[[Any], bytes]
    ) -> None:
        """Send ``dumps(data)`` (an encoder returning bytes, like orjson's) as a BINARY message."""
        await self.send_bytes(dumps(data), compress=compress)

    async def ping(self, message: bytes = b"") -> None:
        """Send a PING."""
        await self._channel.send(_message(WSMsgType.PING, message))

    async def pong(self, message: bytes = b"") -> None:
        """Send a PONG."""
        await self._channel.send(_message(WSMsgType.PONG, message))

    # -- closing ---------------------------------------------------------------------------
    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"") -> bool:
        """Perform the closing handshake; False if the websocket was already closed."""
        if self._waiting and self._state is _OPEN:
            self._close_wait = self._loop.create_future()
            self._set_state(_CLOSING)
            self._interrupt_reader()
            await self._close_wait
        if self._state is _CLOSED:
            if self._dropping is not None:
                await asyncio.shield(self._dropping)
            return False
        self._set_state(_CLOSED)
        self._closing = closing = self._loop.create_future()
        try:
            return await self._close_handshake(code, message)
        finally:
            closing.set_result(None)

    async def _close_handshake(self, code: int, message: bytes) -> bool:
        try:
            await self._channel.send(WSMessage(WSMsgType.CLOSE, code, message))
        except asyncio.CancelledError:
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            await self._drop()
            raise
        except Exception as exc:
            return await self._abnormal_close(exc)
        if self._close_code is not None:
            await self._drop()
            return True
        return await self._await_close_reply()

    async def _await_close_reply(self) -> bool:
        when = deadline(self._loop.time(), self._timeout.ws_close, float("inf"))
        while True:
            try:
                with TimeoutScope(when, asyncio.TimeoutError):
                    msg = await self._source()
            except asyncio.CancelledError:
                self._close_code = WSCloseCode.ABNORMAL_CLOSURE
                await self._drop()
                raise
            except Exception as exc:
                return await self._abnormal_close(exc)
            if msg.type is WSMsgType.CLOSE:
                self._close_code = msg.data
                await self._drop()
                return True
            if msg.type is WSMsgType.CLOSED:
                return await self._abnormal_close(exceptions.ServerDisconnectedError())

    async def _abnormal_close(self, exc: BaseException) -> bool:
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        self._exception = exc
        await self._drop()
        return True

    def _interrupt_reader(self) -> None:
        """Wake the task blocked in ``receive`` so it returns CLOSING (close from elsewhere):
        cancel the future it awaits, or else the task itself."""
        pending, reader = self._pending, self._reader
        if pending is not None:
            self._interrupted = pending.cancel()  # False: a message arrived, it returns that
        elif reader is not None and reader is not asyncio.current_task():
            self._interrupted = True
            reader.cancel()

    # -- receiving -------------------------------------------------------------------------
    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next TEXT/BINARY message (PING/PONG too without autoping), CLOSE, or CLOSED."""
        receive_timeout = timeout or self._timeout.ws_receive
        while True:
            if self._waiting:
                raise RuntimeError("Concurrent call to receive() is not allowed")
            if self._state is _CLOSED:
                return CLOSED
            if self._state is _CLOSING:
                await self.close()
                return CLOSED
            self._waiting = True
            source = self._source()
            reader = None
            if isinstance(source, asyncio.Future):
                self._pending = source
            else:
                self._reader = reader = asyncio.current_task(self._loop)
            try:
                if receive_timeout:
                    with TimeoutScope(self._loop.time() + receive_timeout, asyncio.TimeoutError):
                        msg = await source
                else:
                    msg = await source
                if msg is QUEUED:
                    msg = await self._source()
            except asyncio.CancelledError:
                if not self._interrupted:
                    self._close_code = WSCloseCode.ABNORMAL_CLOSURE
                    raise
                self._interrupted = False  # close() from another task woke us
                if sys.version_info >= (3, 11) and reader is not None:
                    reader.uncancel()
                msg = CLOSING_MESSAGE if self._state is _CLOSING else CLOSED
            except asyncio.TimeoutError:
                self._close_code = WSCloseCode.ABNORMAL_CLOSURE
                raise
            finally:
                self._waiting = False
                self._reader = self._pending = None
                if self._close_wait is not None and not self._close_wait.done():
                    self._close_wait.set_result(None)
            kind = msg[0]
            if kind is _TEXT:
                return msg if self._decode_text else msg._replace(data=msg.data.encode("utf-8"))
            if kind is _BINARY:
                return msg
            if msg is CLOSED and self._closing is not None:  # another task is closing
                await asyncio.shield(self._closing)
                return msg
            if not await self._on_control(msg):
                return msg

    async def _on_control(self, msg: WSMessage) -> bool:
        """Act on a control message: True when autoping consumed it (PING/PONG), False when
        ``receive`` returns it (after CLOSE, CLOSING, CLOSED or ERROR changed the state)."""
        kind = msg.type
        if kind is WSMsgType.PING and self._autoping:
            await self.pong(msg.data)
            return True
        if kind is WSMsgType.PONG and self._autoping:
            return True
        if kind is WSMsgType.CLOSE:
            self._set_state(_CLOSING)
            self._close_code = msg.data
            if self._state is not _CLOSED and self._autoclose:
                await self.close()
        elif kind is WSMsgType.CLOSING:
            self._set_state(_CLOSING)
        elif kind is WSMsgType.CLOSED:
            if self._state is not _CLOSED:
                self._set_state(_CLOSED)
                self._close_code = WSCloseCode.ABNORMAL_CLOSURE
                await self._drop()
        elif kind is WSMsgType.ERROR:
            await self._on_error(msg.data)
        return False

    async def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, WebSocketError):
            self._close_code = exc.code
            await self.close(code=exc.code)
            return
        self._exception = exc
        self._set_state(_CLOSING)
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        await self.close()

    async def receive_str(self, *, timeout: float | None = None) -> str:
        """The next message, which must be TEXT (bytes with ``ws_connect(decode_text=False)``)."""
        msg = await self.receive(timeout)
        if msg[0] is not _TEXT:
            raise exceptions.WSMessageTypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT"
            )
        data: str = msg[1]
        return data

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        """The next message, which must be BINARY."""
        msg = await self.receive(timeout)
        if msg[0] is not _BINARY:
            raise exceptions.WSMessageTypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.BINARY"
            )
        data: bytes = msg[1]
        return data

    async def receive_json(
        self,
        *,
        loads: Callable[[str], Any] = json.loads,
        timeout: float | None = None,
    ) -> Any:
        """The next TEXT message decoded with ``loads``."""
        return loads(await self.receive_str(timeout=timeout))

    # -- protocols -------------------------------------------------------------------------
    def __aiter__(self) -> ClientWebSocketResponse:
        return self

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise StopAsyncIteration
        return msg

    async def __aenter__(self) -> ClientWebSocketResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _message(kind: WSMsgType, data: bytes = b"") -> WSMessage:
    return WSMessage(kind, data, None)
