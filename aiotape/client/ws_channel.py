"""The network WebSocketChannel: one socket, framed by ``websockets``' sans-I/O client protocol.

``connect_ws`` opens the connection, performs and validates the upgrade handshake and returns
a channel that carries whole messages both ways. Ping answers, heartbeat and the closing
handshake's timing live above, in ClientWebSocketResponse; this module only frames.

The framer (``websockets.client.ClientProtocol``, chosen over wsproto by
``benchmarks/ws_framers.py``) owns the handshake, control frames, fragmentation, compression,
limits and the closing handshake. Two fast paths skip its per-frame overhead for the common
case only, while it is idle and no extension is active: final unmasked TEXT/BINARY frames
from the server are taken straight off the socket, and outgoing TEXT/BINARY frames are
built here (masked by websockets' C ``apply_mask``). Neither changes the framer's state.
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections import deque
from collections.abc import Sequence
from ssl import SSLContext
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy
from websockets.client import ClientProtocol
from websockets.datastructures import Headers
from websockets.exceptions import (
    InvalidHeader,
    InvalidStatus,
    InvalidUpgrade,
    PayloadTooBig,
    ProtocolError,
)
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Request as HandshakeRequest
from websockets.http11 import Response as HandshakeResponse
from websockets.protocol import OPEN
from websockets.typing import BytesLike, Subprotocol
from websockets.uri import WebSocketURI

try:
    from websockets.speedups import apply_mask
except ImportError:  # websockets built without its C extension
    from websockets.utils import apply_mask

from .connect import Resolver, connection_key, open_connection
from .exceptions import (
    ClientConnectionResetError,
    RequestInfo,
    ServerDisconnectedError,
    SocketTimeoutError,
    WSServerHandshakeError,
)
from .http11 import serialize_head
from .timeouts import TimeoutScope, deadline, earliest
from .transport import ChunkedBody, Request, Response, WSCloseCode, WSMessage, WSMsgType
from .tunnel import open_through_proxy
from .websocket import WebSocketError

__all__ = ["NetworkWebSocketChannel", "connect_ws"]

CLOSED_MESSAGE = WSMessage(WSMsgType.CLOSED, None, None)
_INBOX_HIGH_WATER = 128
_CLOSE_GRACE = 2.0
_MASK_POOL = 4096
_JOIN_LIMIT = 1 << 16
_READ_BUFFER = 1 << 16
_HEAD = struct.Struct("!BB")
_HEAD16 = struct.Struct("!BBH")
_HEAD64 = struct.Struct("!BBQ")
_DEFAULT_PORTS = {"ws": 80, "wss": 443}


class _ClientFramer(ClientProtocol):
    """websockets' client protocol, minus the automatic pong: autoping is decided above."""

    def recv_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.PING:
            self.events.append(frame)
        else:
            super().recv_frame(frame)


class NetworkWebSocketChannel(asyncio.BufferedProtocol):
    """A WebSocketChannel over one TCP (or TLS) connection.

    A BufferedProtocol: the socket is read into one reused buffer, because asyncio's plain
    ``recv(256 KiB)`` allocates (and maps) a fresh 256 KiB object per read, which costs more
    than everything else a small message needs.
    """

    handshake: Response
    protocol: str | None

    def __init__(self, framer: _ClientFramer, max_msg_size: int) -> None:
        self._framer = framer
        self._max_msg_size = max_msg_size
        self._transport: asyncio.Transport | None = None
        self._inbox: deque[WSMessage] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._fragments: list[BytesLike] = []
        self._fragments_text = False
        self._reported_error = False
        self._reading_paused = False
        self._writing_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._lost = False
        self._lost_waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._handshake_waiter: asyncio.Future[HandshakeResponse | None] | None = None
        self._plain = False
        self._idle = False
        self._partial: list[bytes] | None = None
        self._partial_need = 0
        self._partial_text = False
        self._masks = b""
        self._mask_pos = 0
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
        self._transport = transport

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
        if not self._lost_waiter.done():
            self._lost_waiter.set_result(None)
        handshake = self._handshake_waiter
        if handshake is not None and not handshake.done():
            handshake.set_exception(ServerDisconnectedError())
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
            assert self._transport is not None
            self._transport.pause_reading()

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
            return WSMessage(WSMsgType.PING, bytes(frame.data), None)
        if opcode is Opcode.PONG:
            return WSMessage(WSMsgType.PONG, bytes(frame.data), None)
        close = Close.parse(frame.data)
        code = 0 if close.code == 1005 else close.code
        return WSMessage(WSMsgType.CLOSE, code, close.reason)

    def _data_message(self, text: bool, payload: BytesLike) -> WSMessage:
        if not text:
            if not isinstance(payload, bytes):
                payload = bytes(payload)
            return WSMessage(WSMsgType.BINARY, payload, None)
        try:
            return WSMessage(WSMsgType.TEXT, str(payload, "utf-8"), None)
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
                f"Message size {_message_size(exc)} exceeds limit {self._max_msg_size}",
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
                return CLOSED_MESSAGE
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._reading_paused and len(inbox) <= _INBOX_HIGH_WATER // 2:
            self._reading_paused = False
            if not self._lost:
                assert self._transport is not None
                self._transport.resume_reading()
        return inbox.popleft()

    # -- outgoing ------------------------------------------------------------------------
    async def send(self, message: WSMessage) -> None:
        """Frame and write one whole message; CLOSE after a close frame is a no-op."""
        framer = self._framer
        kind = message.type
        state = framer.state
        if kind is WSMsgType.CLOSE and state is not OPEN:
            return
        transport = self._transport
        if self._lost or transport is None or transport.is_closing():
            raise ClientConnectionResetError("Cannot write to closing transport")
        if state is not OPEN and kind is not WSMsgType.PONG:
            raise ClientConnectionResetError("Cannot write to closing transport")
        data = message.data
        if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
            payload = data.encode("utf-8") if kind is WSMsgType.TEXT else data
            if self._plain:
                self._write_frame(transport, 0x80 | kind, payload)
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

    def _write_frame(self, transport: asyncio.Transport, head1: int, payload: BytesLike) -> None:
        """Write a final client frame without extensions: what the framer builds, minus its
        per-frame overhead (RFC 6455 section 5.2; masked by websockets' C ``apply_mask``)."""
        length = len(payload)
        if length < 126:
            head = _HEAD.pack(head1, 0x80 | length)
        elif length < 1 << 16:
            head = _HEAD16.pack(head1, 0xFE, length)
        else:
            head = _HEAD64.pack(head1, 0xFF, length)
        pos = self._mask_pos
        if pos == len(self._masks):
            self._masks = os.urandom(_MASK_POOL)
            pos = 0
        mask = self._masks[pos : pos + 4]
        self._mask_pos = pos + 4
        if length < _JOIN_LIMIT:
            transport.write(head + mask + apply_mask(payload, mask))
        else:  # no copy of a large payload just to prepend a few bytes
            transport.write(head + mask)
            transport.write(apply_mask(payload, mask))

    def _flush(self) -> None:
        transport = self._transport
        assert transport is not None
        for chunk in self._framer.data_to_send():
            if chunk:
                transport.write(chunk)
            elif not transport.is_closing():
                transport.close()

    async def _drain(self) -> None:
        self._drain_waiter = asyncio.get_running_loop().create_future()
        try:
            await self._drain_waiter
        finally:
            self._drain_waiter = None

    # -- lifecycle -----------------------------------------------------------------------
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Extra info of the underlying transport (``peername``, ``sslcontext``...)."""
        if self._transport is None:
            return default
        return self._transport.get_extra_info(name, default)

    async def aclose(self) -> None:
        """Close the socket (after flushing pending writes) and wait until it is gone.

        A peer that does not finish the (TLS) shutdown within a grace period is cut off.
        """
        transport = self._transport
        if transport is None or self._lost:
            return
        if not transport.is_closing():
            transport.close()
        cut_off = asyncio.get_running_loop().call_later(_CLOSE_GRACE, transport.abort)
        try:
            await asyncio.shield(self._lost_waiter)
        finally:
            cut_off.cancel()

    def abort(self) -> None:
        """Drop the socket at once."""
        if self._transport is not None:
            self._transport.abort()

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
        with TimeoutScope(when, _timeout_error(by_sock_read)):
            response = await self._handshake_waiter
        self._handshake_waiter = None
        failure = framer.handshake_exc
        if failure is not None or response is None:
            raise _handshake_error(request, response, failure)
        self._opened()
        raw = response.headers.raw_items()
        self.handshake = Response(
            response.status_code,
            response.reason_phrase,
            _headers(response),
            ChunkedBody(()),
            (1, 1),
            tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in raw),
        )


def _message_size(exc: PayloadTooBig) -> str:
    """The refused message's size as far as it is known (websockets >= 14 records it)."""
    size: int | None = getattr(exc, "size", None)
    if size is None:
        return "unknown"
    current: int | None = getattr(exc, "current_size", None)
    return str(size + (current or 0))


def _timeout_error(by_sock_read: bool) -> type[BaseException]:
    return SocketTimeoutError if by_sock_read else asyncio.TimeoutError


def _headers(response: HandshakeResponse) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(response.headers.raw_items()))


def _handshake_error(
    request: Request, response: HandshakeResponse | None, failure: Exception | None
) -> Exception:
    """aiohttp's WSServerHandshakeError (same messages) for a refused or broken handshake."""
    info = RequestInfo(request.url, request.method, request.headers, request.url)
    if response is None:
        if failure is None or isinstance(failure.__cause__, EOFError):
            return ServerDisconnectedError()
        reason = failure.__cause__ or failure
        return WSServerHandshakeError(
            info, (), status=400, message=f"Invalid HTTP response: {reason}"
        )
    if isinstance(failure, InvalidStatus):
        message = "Invalid response status"
    elif isinstance(failure, InvalidUpgrade):
        message = f"Invalid {failure.name.lower()} header"
    elif isinstance(failure, InvalidHeader) and failure.name == "Sec-WebSocket-Accept":
        message = "Invalid challenge response"
    else:
        message = str(failure)
    return WSServerHandshakeError(
        info, (), status=response.status_code, message=message, headers=_headers(response)
    )


def _handshake_headers(framer: _ClientFramer, request: Request) -> Headers:
    """The library's upgrade headers plus the request's own (Origin, Cookie, Authorization...)."""
    generated = framer.connect().headers
    headers = Headers()
    host = request.headers.get("Host")
    headers["Host"] = host if host is not None else generated["Host"]
    for name, value in generated.raw_items():
        if name.lower() != "host":
            headers[name] = value
    for name, value in request.headers.items():
        if name not in generated:
            headers[name] = value
    return headers


def _framer_for(
    request: Request, protocols: Sequence[str], max_msg_size: int, compress: int
) -> _ClientFramer:
    url = request.url
    port = url.port if url.port is not None else _DEFAULT_PORTS[url.scheme]
    extensions = None
    if compress:
        extensions = [
            ClientPerMessageDeflateFactory(
                server_max_window_bits=compress if compress < 15 else None,
                client_max_window_bits=True,
            )
        ]
    return _ClientFramer(
        WebSocketURI(url.scheme == "wss", url.host or "", port, url.raw_path, url.raw_query_string),
        extensions=extensions,
        subprotocols=[Subprotocol(p) for p in protocols] if protocols else None,
        max_size=max_msg_size or None,
    )


async def connect_ws(
    request: Request,
    *,
    protocols: Sequence[str] = (),
    max_msg_size: int = 4 * 1024 * 1024,
    compress: int = 0,
    ssl: SSLContext | bool = True,
    resolver: Resolver | None = None,
) -> NetworkWebSocketChannel:
    """Open ``request.url`` (ws/wss), perform the upgrade handshake and return the channel.

    ``ssl`` is the connector's default, used when ``request.ssl`` is True. Raises
    WSServerHandshakeError (aiohttp's messages) when the server refuses the upgrade, and
    ``open_connection``'s errors when the server cannot be reached.
    """
    serialize_head(request.method, request.url, request.headers.items())  # refuse injection
    framer = _framer_for(request, protocols, max_msg_size, compress)
    headers = _handshake_headers(framer, request)
    key = connection_key(request, ssl)
    opener = open_connection if key.proxy is None else open_through_proxy
    _transport, channel = await opener(
        key,
        request,
        lambda: NetworkWebSocketChannel(framer, max_msg_size),
        resolver=resolver,
    )
    try:
        await channel._handshake(request, headers)
    except BaseException:
        channel.abort()
        await channel.aclose()
        raise
    return channel
