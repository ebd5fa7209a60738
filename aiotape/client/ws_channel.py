"""The network WebSocketChannel: one socket, framed by ``websockets``' sans-I/O client protocol.

``connect_ws`` opens the connection, performs and validates the upgrade handshake and returns
a channel that carries whole messages both ways. Ping answers, heartbeat and the closing
handshake's timing live above, in ClientWebSocketResponse; this module only frames.

The framer (``websockets.client.ClientProtocol``, chosen over wsproto by
``benchmarks/ws_framers.py``) owns the handshake, control frames, fragmentation, compression,
limits and the closing handshake. Two fast paths skip its per-frame overhead for the common
case only, while it is idle and no extension is active: final unmasked TEXT/BINARY frames
from the server are taken straight off the socket, and outgoing TEXT/BINARY frames are
built by ``ws_framer.FrameWriter``. Neither changes the framer's state.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import (
    PayloadTooBig,
    ProtocolError,
)
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Request as HandshakeRequest
from websockets.http11 import Response as HandshakeResponse
from websockets.protocol import OPEN
from websockets.typing import BytesLike

from . import exceptions
from .dial import connection_key, open_connection
from .fingerprint import SSLSetting
from .http11 import serialize_head
from .request_info import ConnectionKey
from .simulation import CLOSED, handshake_response
from .timeouts import TimeoutScope, deadline, earliest
from .transport import Request, Response, WSCloseCode, WSMessage, WSMsgType, WSOptions
from .websocket import WebSocketError
from .ws_framer import ClientFramer, FrameWriter, framer_for, message_size
from .ws_handshake import handshake_error, handshake_headers, timeout_error

__all__ = ["NetworkWebSocketChannel", "connect_ws"]

_INBOX_HIGH_WATER = 128
_CLOSE_GRACE = 2.0
_READ_BUFFER = 1 << 16
_DEFAULT_OPTIONS = WSOptions()
WSDial = Callable[
    [ConnectionKey, Request, Callable[[], "NetworkWebSocketChannel"]],
    Awaitable[tuple[asyncio.Transport, "NetworkWebSocketChannel"]],
]
"""Opens a websocket's socket: a connector's ``dial_held`` or ``open_connection``."""


class NetworkWebSocketChannel(asyncio.BufferedProtocol):
    """A WebSocketChannel over one TCP (or TLS) connection.

    A BufferedProtocol: the socket is read into one reused buffer, because asyncio's plain
    ``recv(256 KiB)`` allocates (and maps) a fresh 256 KiB object per read, which costs more
    than everything else a small message needs.
    """

    handshake: Response
    protocol: str | None

    def __init__(self, framer: ClientFramer, max_msg_size: int) -> None:
        self._framer = framer
        self._max_msg_size = max_msg_size
        self._socket: asyncio.Transport | None = None
        self._inbox: deque[WSMessage] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._fragments: list[BytesLike] = []
        self._fragments_text = False
        self._reported_error = False
        self._reading_paused = False
        self._writing_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._lost = False
        self._on_lost: Callable[[], None] | None = None
        self._lost_waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._handshake_waiter: asyncio.Future[HandshakeResponse | None] | None = None
        self._plain = False
        self._idle = False
        self._partial: list[bytes] | None = None
        self._partial_need = 0
        self._partial_text = False
        self._writer = FrameWriter()
        self._read_buffer = memoryview(bytearray(_READ_BUFFER))
        self.protocol = None
        if framer.state is OPEN:
            self._opened()

    def _opened(self) -> None:
        """The handshake is done: note the subprotocol and whether fast paths apply."""
        framer = self._framer
        self.protocol = framer.subprotocol
        self._plain = not framer.extensions
        self._idle = self._plain and not framer.reader.buffer

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._socket = transport  # the connected socket: "transport" is aiotape's seam

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self._read_buffer[:nbytes]))

    def data_received(self, data: bytes) -> None:
        """Process bytes read from the socket (also the entry point of byte-feeding tests)."""
        if self._partial is not None:
            data = self._continue_partial(data)
        if self._idle and data:
            data = self._receive_plain(data)
        if not data:
            return
        framer = self._framer
        framer.receive_data(data)
        self._flush()
        events = framer.events_received()
        if events:
            self._dispatch(events)
        if framer.parser_exc is not None and not self._reported_error:
            self._report_parser_error(framer.parser_exc)
        if framer.handshake_exc is not None:
            self._settle_handshake(None)
        self._idle = (
            self._plain
            and framer.state is OPEN
            and framer.current_size is None
            and not framer.reader.buffer
        )

    def eof_received(self) -> bool:
        self._framer.receive_eof()
        self._flush()
        self._dispatch(self._framer.events_received())
        if self._framer.handshake_exc is not None:
            self._settle_handshake(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self._on_lost is not None:
            self._on_lost()
        if not self._lost_waiter.done():
            self._lost_waiter.set_result(None)
        handshake = self._handshake_waiter
        if handshake is not None and not handshake.done():
            handshake.set_exception(exceptions.ServerDisconnectedError())
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)
        self._wake()

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    # -- incoming ------------------------------------------------------------------------
    def _receive_plain(self, data: bytes) -> bytes:
        """Fast path: take final, unmasked TEXT/BINARY frames straight off ``data``.

        Only used while the framer is idle (open, no extension, nothing buffered, no
        fragmented message in progress), so bypassing it changes none of its state. A frame
        whose payload is still incomplete is collected chunk by chunk (one join at the end).
        Returns the bytes from the first frame the framer must handle: control frames,
        fragments, oversized or malformed frames.
        """
        received = len(self._inbox)
        limit = self._max_msg_size
        pos = 0
        end = len(data)
        while end - pos >= 2:
            head1 = data[pos]
            if head1 != 0x81 and head1 != 0x82:
                break
            length = data[pos + 1]
            if length & 0x80:  # a masked frame, which a server must not send
                break
            start = pos + 2
            if length == 126:
                start = pos + 4
                length = int.from_bytes(data[pos + 2 : start], "big")
            elif length == 127:
                start = pos + 10
                length = int.from_bytes(data[pos + 2 : start], "big")
            if start > end or (limit and length > limit):
                break
            stop = start + length
            if stop > end:
                self._partial = [data[start:]]
                self._partial_need = stop - end
                self._partial_text = head1 == 0x81
                pos = end
                break
            self._inbox.append(self._data_message(head1 == 0x81, data[start:stop]))
            pos = stop
            if not self._idle:
                break
        if len(self._inbox) > received:
            self._received()
        return data[pos:] if pos else data

    def _continue_partial(self, data: bytes) -> bytes:
        """Add ``data`` to the frame being collected; return what follows that frame."""
        assert self._partial is not None
        need = self._partial_need
        if len(data) < need:
            self._partial.append(data)
            self._partial_need = need - len(data)
            return b""
        self._partial.append(data[:need] if len(data) > need else data)
        payload = b"".join(self._partial)
        self._partial = None
        self._inbox.append(self._data_message(self._partial_text, payload))
        self._received()
        return data[need:]

    def _dispatch(self, events: list[Any]) -> None:
        inbox = self._inbox
        for event in events:
            if isinstance(event, HandshakeResponse):
                self._settle_handshake(event)
                continue
            message = self._message(event)
            if message is not None:
                inbox.append(message)
        if inbox:
            self._received()

    def _received(self) -> None:
        """Wake the reader; stop reading the socket while too much is queued."""
        self._wake()
        if len(self._inbox) >= _INBOX_HIGH_WATER and not self._reading_paused:
            self._reading_paused = True
            assert self._socket is not None
            self._socket.pause_reading()

    def _settle_handshake(self, response: HandshakeResponse | None) -> None:
        waiter = self._handshake_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(response)

    def _message(self, frame: Frame) -> WSMessage | None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if not frame.fin:
                self._fragments = [frame.data]
                self._fragments_text = opcode is Opcode.TEXT
                return None
            return self._data_message(opcode is Opcode.TEXT, frame.data)
        if opcode is Opcode.CONT:
            self._fragments.append(frame.data)
            if not frame.fin:
                return None
            payload = b"".join(self._fragments)
            self._fragments = []
            return self._data_message(self._fragments_text, payload)
        if opcode is Opcode.PING:
            return WSMessage(WSMsgType.PING, bytes(frame.data), "")
        if opcode is Opcode.PONG:
            return WSMessage(WSMsgType.PONG, bytes(frame.data), "")
        close = Close.parse(frame.data)
        code = 0 if close.code == 1005 else close.code
        return WSMessage(WSMsgType.CLOSE, code, close.reason)

    def _data_message(self, text: bool, payload: BytesLike) -> WSMessage:
        if not text:
            if not isinstance(payload, bytes):
                payload = bytes(payload)
            return WSMessage(WSMsgType.BINARY, payload, "")
        try:
            return WSMessage(WSMsgType.TEXT, str(payload, "utf-8"), "")
        except UnicodeDecodeError:
            self._framer.fail(WSCloseCode.INVALID_TEXT, "invalid UTF-8 text message")
            self._flush()
            self._reported_error = True
            self._idle = False
            error = WebSocketError(WSCloseCode.INVALID_TEXT, "Invalid UTF-8 text message")
            return WSMessage(WSMsgType.ERROR, error, None)

    def _report_parser_error(self, exc: Exception) -> None:
        self._reported_error = True
        if isinstance(exc, EOFError):
            return
        if isinstance(exc, PayloadTooBig):
            error = WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG,
                f"Message size {message_size(exc)} exceeds limit {self._max_msg_size}",
            )
        elif isinstance(exc, ProtocolError):
            error = WebSocketError(WSCloseCode.PROTOCOL_ERROR, str(exc))
        elif isinstance(exc, UnicodeDecodeError):
            error = WebSocketError(WSCloseCode.INVALID_TEXT, "Invalid UTF-8 text message")
        else:
            error = WebSocketError(WSCloseCode.INTERNAL_ERROR, repr(exc))
        self._inbox.append(WSMessage(WSMsgType.ERROR, error, None))
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> WSMessage:
        """The next whole message; CLOSED once the connection is gone."""
        inbox = self._inbox
        while not inbox:
            if self._lost:
                return CLOSED
            self._waiter = waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                if self._waiter is waiter:  # a cancelled reader must not drop a newer one's
                    self._waiter = None
        if self._reading_paused and len(inbox) <= _INBOX_HIGH_WATER // 2:
            self._reading_paused = False
            if not self._lost:
                assert self._socket is not None
                self._socket.resume_reading()
        return inbox.popleft()

    # -- outgoing ------------------------------------------------------------------------
    async def send(self, message: WSMessage) -> None:
        """Frame and write one whole message; CLOSE after a close frame is a no-op."""
        framer = self._framer
        kind = message.type
        state = framer.state
        if kind is WSMsgType.CLOSE and state is not OPEN:
            return
        sock = self._socket
        if self._lost or sock is None or sock.is_closing():
            raise exceptions.ClientConnectionResetError("Cannot write to closing transport")
        if state is not OPEN and kind is not WSMsgType.PONG:
            raise exceptions.ClientConnectionResetError("Cannot write to closing transport")
        data = message.data
        if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
            payload = data.encode("utf-8") if kind is WSMsgType.TEXT else data
            if self._plain:
                self._writer.write(sock, 0x80 | kind, payload)
            elif kind is WSMsgType.TEXT:
                framer.send_text(payload)
            else:
                framer.send_binary(payload)
        elif kind is WSMsgType.PING:
            framer.send_ping(data)
        elif kind is WSMsgType.PONG:
            framer.send_pong(data)
        elif kind is WSMsgType.CLOSE:
            reason = message.extra or ""
            if isinstance(reason, (bytes, bytearray)):
                reason = reason.decode("utf-8")
            try:
                framer.send_close(data, reason)
            except ProtocolError as exc:
                raise ValueError(f"invalid close frame: {exc}") from exc
            self._idle = False  # the framer now tracks the closing handshake
        else:
            raise ValueError(f"cannot send a {kind!r} message")
        if framer.writes:
            self._flush()
        if self._writing_paused:
            await self._drain()

    def _flush(self) -> None:
        sock = self._socket
        assert sock is not None
        for chunk in self._framer.data_to_send():
            if chunk:
                sock.write(chunk)
            elif not sock.is_closing():
                sock.close()

    async def _drain(self) -> None:
        self._drain_waiter = asyncio.get_running_loop().create_future()
        try:
            await self._drain_waiter
        finally:
            self._drain_waiter = None

    # -- lifecycle -----------------------------------------------------------------------
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Extra info of the socket (``peername``, ``sslcontext``...)."""
        if self._socket is None:
            return default
        return self._socket.get_extra_info(name, default)

    async def aclose(self) -> None:
        """Close the socket (after flushing pending writes) and wait until it is gone.

        A peer that does not finish the (TLS) shutdown within a grace period is cut off.
        """
        sock = self._socket
        if sock is None or self._lost:
            return
        if not sock.is_closing():
            sock.close()
        cut_off = asyncio.get_running_loop().call_later(_CLOSE_GRACE, sock.abort)
        try:
            await asyncio.shield(self._lost_waiter)
        finally:
            cut_off.cancel()

    def when_lost(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the connection is gone (now, if it already is)."""
        if self._lost:
            callback()
        else:
            self._on_lost = callback

    def abort(self) -> None:
        """Drop the socket at once."""
        if self._socket is not None:
            self._socket.abort()

    async def _handshake(self, request: Request, headers: Headers) -> None:
        loop = asyncio.get_running_loop()
        self._handshake_waiter = loop.create_future()
        framer = self._framer
        framer.send_request(HandshakeRequest(framer.uri.resource_name, headers))
        self._flush()
        timeout = request.timeout
        sock_read = deadline(loop.time(), timeout.sock_read, timeout.ceil_threshold)
        when = earliest(request.deadline, sock_read)
        by_sock_read = when is not None and when == sock_read
        with TimeoutScope(when, timeout_error(by_sock_read)):
            response = await self._handshake_waiter
        self._handshake_waiter = None
        failure = framer.handshake_exc
        if failure is not None or response is None:
            raise handshake_error(request, response, failure)
        self._opened()
        self.handshake = handshake_response(
            response.headers.raw_items(), response.status_code, response.reason_phrase
        )


async def connect_ws(
    request: Request,
    options: WSOptions = _DEFAULT_OPTIONS,
    *,
    ssl: SSLSetting = True,
    dial: WSDial | None = None,
) -> NetworkWebSocketChannel:
    """Open ``request.url`` (ws/wss), perform the upgrade handshake and return the channel.

    ``ssl`` is the connector's default, used when ``request.ssl`` is True; ``dial`` opens
    the socket (a connector's ``dial_held``; default: ``open_connection``). Raises
    WSServerHandshakeError (aiohttp's messages) when the server refuses the upgrade, and
    the dialer's errors when the server cannot be reached.
    """
    serialize_head(request.method, request.url, request.headers.items())  # refuse injection
    framer = framer_for(request, options)
    headers = handshake_headers(framer, request)
    _, channel = await (dial or open_connection)(
        connection_key(request, ssl),
        request,
        lambda: NetworkWebSocketChannel(framer, options.max_msg_size),
    )
    try:
        await channel._handshake(request, headers)
    except BaseException:
        channel.abort()
        await channel.aclose()
        raise
    if not options.protocols:
        channel.protocol = None  # as aiohttp: only an offer made with protocols= is reported
    return channel
