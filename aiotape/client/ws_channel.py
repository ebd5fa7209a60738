"""The network WebSocketChannel: one socket, framed by ``websockets``' sans-I/O client protocol.

It carries whole messages both ways (``ws_connect`` opens it). Ping answers, heartbeat and the
closing handshake's timing live above, in ClientWebSocketResponse; this module only frames.

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
from .simulation import handshake_response
from .timeouts import TimeoutScope, deadline, earliest
from .transport import CLOSED, Request, Response, WSCloseCode, WSMessage, WSMsgType
from .websocket import QUEUED, WebSocketError
from .ws_framer import ClientFramer, FrameWriter, message_size
from .ws_handshake import handshake_error, timeout_error

__all__ = ["NetworkWebSocketChannel"]

_INBOX_HIGH_WATER = 128
_SMALL = 125  # the longest payload a 2-byte frame head can announce
_QUEUE_FROM = 1 << 16  # messages this large wait in the inbox, not in a reader's future
_CLOSE_GRACE = 2.0
_READ_BUFFER = 1 << 16
_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_CLOSE = WSMsgType.CLOSE
_new_message = tuple.__new__  # WSMessage without the Python-level __new__ of a NamedTuple


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
        self._small_limit = min(_SMALL, max_msg_size) if max_msg_size else _SMALL
        self._loop = loop = asyncio.get_running_loop()
        self._socket: asyncio.Transport | None = None
        self._inbox: deque[WSMessage] = deque()
        self._waiter: asyncio.Future[WSMessage] | None = None
        self._fragments: list[BytesLike] = []
        self._fragments_text = False
        self._reported_error = False
        self._reading_paused = False
        self._writing_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._lost = False
        self._on_lost: Callable[[], None] | None = None
        self._lost_waiter: asyncio.Future[None] = loop.create_future()
        self._handshake_waiter: asyncio.Future[HandshakeResponse | None] | None = None
        self._plain = False
        self._idle = False
        self._send_plain = False
        self._partial: list[bytes] | None = None
        self._partial_need = 0
        self._partial_text = False
        self._writer = FrameWriter()
        self._read_buffer = bytearray(_READ_BUFFER)
        self._read_view = memoryview(self._read_buffer)
        self.protocol = None
        if framer.state is OPEN:
            self._opened()

    def _opened(self) -> None:
        """The handshake is done: note the subprotocol and whether fast paths apply."""
        framer = self._framer
        self.protocol = framer.subprotocol
        self._plain = not framer.extensions
        self._idle = self._plain and not framer.reader.buffer
        self._send_plain = self._plain

    def _framer_moved(self) -> None:
        """The framer took bytes or sent a control frame: may the fast paths still apply?"""
        framer = self._framer
        self._send_plain = self._plain and framer.state is OPEN and not self._lost
        self._idle = self._send_plain and framer.current_size is None and not framer.reader.buffer

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._socket = transport  # the connected socket: "transport" is aiotape's seam

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._read_view

    def buffer_updated(self, nbytes: int) -> None:
        """Bytes were read into the buffer. Fast path: the read is exactly one small, final,
        unmasked TEXT/BINARY frame (a request/response exchange), decoded in place."""
        buffer = self._read_buffer
        if (
            self._idle
            and self._partial is None
            and nbytes >= 2
            and buffer[1] + 2 == nbytes
            and buffer[1] <= self._small_limit  # also: no mask bit, no extended length
        ):
            head1 = buffer[0]
            if head1 == 0x82:
                payload = bytes(self._read_view[2:nbytes])
                self._deliver(_new_message(WSMessage, (_BINARY, payload, "")))
                return
            if head1 == 0x81:
                try:
                    text = str(self._read_view[2:nbytes], "utf-8")
                except UnicodeDecodeError:
                    pass  # the general path fails the connection
                else:
                    self._deliver(_new_message(WSMessage, (_TEXT, text, "")))
                    return
        self.data_received(bytes(self._read_view[:nbytes]))

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
        self._framer_moved()

    def eof_received(self) -> bool:
        self._framer.receive_eof()
        self._flush()
        self._framer_moved()
        self._dispatch(self._framer.events_received())
        if self._framer.handshake_exc is not None:
            self._settle_handshake(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._send_plain = self._idle = False
        if self._on_lost is not None:
            self._on_lost()
        if not self._lost_waiter.done():
            self._lost_waiter.set_result(None)
        handshake = self._handshake_waiter
        if handshake is not None and not handshake.done():
            handshake.set_exception(exceptions.ServerDisconnectedError())
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(CLOSED)

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
            self._deliver(self._data_message(head1 == 0x81, data[start:stop]))
            pos = stop
            if not self._idle:
                break
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
        self._deliver(self._data_message(self._partial_text, payload))
        return data[need:]

    def _dispatch(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, HandshakeResponse):
                self._settle_handshake(event)
                continue
            message = self._message(event)
            if message is not None:
                self._deliver(message)

    def _deliver(self, message: WSMessage) -> None:
        """Hand ``message`` to the waiting reader, or queue it (and stop reading the socket
        while too much is queued)."""
        waiter = self._waiter
        inbox = self._inbox
        if waiter is not None:
            self._waiter = None
            if not waiter.done():  # else its reader was cancelled
                data = message[1]
                if isinstance(data, (bytes, str)) and len(data) >= _QUEUE_FROM:
                    inbox.append(message)
                    message = QUEUED
                waiter.set_result(message)
                return
        inbox.append(message)
        if len(inbox) >= _INBOX_HIGH_WATER and not self._reading_paused:
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
            self._framer_moved()
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
        self._deliver(WSMessage(WSMsgType.ERROR, error, None))

    def next_message(self) -> asyncio.Future[WSMessage]:
        """The next whole message as a future (done when one is queued): ``receive`` without
        a coroutine of its own. CLOSED once the connection is gone; QUEUED for a large
        message, which the next call returns."""
        waiter = self._loop.create_future()
        inbox = self._inbox
        if inbox:
            waiter.set_result(inbox.popleft())
            if self._reading_paused and len(inbox) <= _INBOX_HIGH_WATER // 2:
                self._reading_paused = False
                if not self._lost:
                    assert self._socket is not None
                    self._socket.resume_reading()
        elif self._lost:
            waiter.set_result(CLOSED)
        else:
            self._waiter = waiter
        return waiter

    async def receive(self) -> WSMessage:
        """The next whole message; CLOSED once the connection is gone."""
        message = await self.next_message()
        return await self.next_message() if message is QUEUED else message

    # -- outgoing ------------------------------------------------------------------------
    async def send(self, message: WSMessage) -> None:
        """Frame and write one whole message; CLOSE after a close frame is a no-op."""
        drain = self.send_nowait(message)
        if drain is not None:
            await drain

    def send_nowait(self, message: WSMessage) -> Awaitable[None] | None:
        """``send`` without a coroutine of its own: frame and write ``message`` now, and
        return what to await while the socket's write buffer is full (None if it is not)."""
        kind = message[0]
        if self._send_plain and (kind is _TEXT or kind is _BINARY):
            sock = self._socket
            assert sock is not None
            if sock.is_closing():
                raise exceptions.ClientConnectionResetError("Cannot write to closing transport")
            data = message[1]
            self._writer.write(sock, 0x80 | kind, data.encode() if kind is _TEXT else data)
        elif kind is _CLOSE and self._framer.state is not OPEN:
            return None
        else:
            self._send_framed(message)
        return self._drain() if self._writing_paused else None

    def _send_framed(self, message: WSMessage) -> None:
        """Frame ``message`` with the framer: control frames, extensions, closing states."""
        framer = self._framer
        kind = message.type
        state = framer.state
        sock = self._socket
        if self._lost or sock is None or sock.is_closing():
            raise exceptions.ClientConnectionResetError("Cannot write to closing transport")
        if state is not OPEN and kind is not WSMsgType.PONG:
            raise exceptions.ClientConnectionResetError("Cannot write to closing transport")
        data = message.data
        if kind is WSMsgType.TEXT:
            framer.send_text(data.encode("utf-8"))
        elif kind is WSMsgType.BINARY:
            framer.send_binary(data)
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
            self._framer_moved()  # the framer now tracks the closing handshake
        else:
            raise ValueError(f"cannot send a {kind!r} message")
        if framer.writes:
            self._flush()

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

    async def upgrade(self, request: Request, headers: Headers) -> None:
        """Send the upgrade request (``headers``) and await the server's accepting answer."""
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
