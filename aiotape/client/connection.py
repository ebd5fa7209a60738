"""One HTTP/1.1 socket: an ``asyncio.BufferedProtocol`` running one exchange at a time.

The connection writes the request, feeds received bytes to :class:`ResponseParser` and wakes
the one task waiting on the current :class:`Exchange` (a single future; read timeouts are
``loop.call_at`` timers, no per-request task; only a streamed upload runs in a task of its
own, so the response head can arrive before the upload ends). Its lifecycle is one
explicit :class:`ConnectionState`. A fully arrived response's chunks stay with its exchange and
a keep-alive connection goes back to its owner (the pool); a body read whole skips the parser.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from time import monotonic
from typing import Protocol

from httptools import HttpParserError

from . import exceptions
from .connection_settings import ConnectionSettings
from .connection_state import MOVES, ConnectionState
from .error_mapping import IncompleteResponse, translate
from .exchange import Exchange
from .http11 import LAST_CHUNK, ParserState, ResponseParser, body_framing, frame_chunk, wire_body
from .pool_key import ConnectionKey
from .read_buffers import BodyBuffer, read_buffer
from .timeouts import TimeoutScope
from .transport import Request, close_body

__all__ = [
    "ConnectionOwner",
    "ConnectionSettings",
    "ConnectionState",
    "HTTP11Connection",
]

_BUFFER_FACTOR = 4
_COALESCE_LIMIT = 2**16


_IDLE = ConnectionState.IDLE
_SENDING = ConnectionState.SENDING
_RECEIVING = ConnectionState.RECEIVING
_CLOSED = ConnectionState.CLOSED
_COMPLETE = ParserState.COMPLETE


class ConnectionOwner(Protocol):
    """Where a connection reports that it is free again or gone (the pool)."""

    def release(self, conn: HTTP11Connection) -> None:
        """The exchange finished and the connection may be reused."""

    def discard(self, conn: HTTP11Connection) -> None:
        """The connection is closed; forget it."""


class HTTP11Connection(asyncio.BufferedProtocol):
    """An HTTP/1.1 client connection to one origin (created by ``open_connection``).

    Its lifecycle is :attr:`state`; the two flow-control flags only mirror asyncio's
    pause/resume calls (reading paused for a slow reader, writing paused by a full buffer)."""

    def __init__(
        self, key: ConnectionKey, owner: ConnectionOwner, settings: ConnectionSettings
    ) -> None:
        self.key = key
        self._owner = owner
        self._loop = asyncio.get_running_loop()
        self._parser = ResponseParser(
            max_line_size=settings.max_line_size,
            max_field_size=settings.max_field_size,
            max_headers=settings.max_headers,
        )
        self._low_water = settings.read_bufsize
        self._high_water = settings.read_bufsize * _BUFFER_FACTOR
        self._socket: asyncio.Transport | None = None
        self._read_buffer = read_buffer()
        self._body: BodyBuffer | None = None  # a whole body being received straight into it
        self._state = _IDLE
        self._exchange: Exchange | None = None
        self._drain: asyncio.Future[None] | None = None
        self._uploading: asyncio.Task[None] | None = None
        self._reading_paused = False
        self._writing_paused = False
        self._timer: asyncio.TimerHandle | None = None
        self.exchanges = 0
        self.idle_since = 0.0

    @property
    def state(self) -> ConnectionState:
        """Where the connection is in its life."""
        return self._state

    @property
    def is_reusable(self) -> bool:
        """True when idle, open and allowed to carry another request."""
        sock = self._socket
        return (
            self._state is _IDLE
            and sock is not None
            and not sock.is_closing()
            and not self._parser.should_close
        )

    @property
    def transport(self) -> asyncio.Transport | None:
        """The socket (asyncio's transport) while open."""
        return self._socket

    @property
    def received(self) -> bool:
        """True once any byte of the current (or last) response arrived."""
        return self._parser.received

    @property
    def buffered(self) -> int:
        """Body bytes of the current response received and not read yet."""
        return self._parser.buffered

    def _enter(self, state: ConnectionState) -> None:
        """The one place the state changes (the moves are listed on ConnectionState)."""
        assert state in MOVES[self._state], f"{self._state.value} -> {state.value}"
        self._state = state

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the socket (asyncio's transport)."""
        assert isinstance(transport, asyncio.Transport)
        self._socket = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        """Where the next socket read goes: the reused read buffer, or a whole body's own."""
        body = self._body
        return self._read_buffer if body is None else body.get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        """The socket filled ``nbytes`` of the buffer (the parser copies what it keeps)."""
        body = self._body
        if body is None:
            self.data_received(self._read_buffer[:nbytes])
            return
        exchange = self._exchange
        assert exchange is not None  # the body is dropped with its exchange
        if body.received(nbytes):
            self._body = None
            self._finish(exchange)
        else:
            exchange.progressed()

    def receive_whole(self) -> BodyBuffer | None:
        """Receive the rest of a large Content-Length body straight into one buffer (None:
        it keeps arriving as chunks); the chunks already buffered move into it first."""
        body = self._body = BodyBuffer.take_over(self._parser, self._read_buffer)
        if body is not None:
            self.consumed(body.filled)
        return body

    def data_received(self, data: bytes | memoryview) -> None:
        """Feed the parser and wake the reader."""
        exchange = self._exchange
        if exchange is None:  # nothing was asked: the peer cannot be trusted any more
            self.fail(None)
            return
        parser = self._parser
        try:
            parser.feed(data)
        except HttpParserError as exc:
            self.fail(
                translate(
                    exc, self.key, request=exchange.request, head_received=exchange.head is not None
                )
            )
            return
        if exchange.head is None and parser.head is not None:
            exchange.head = parser.head
        if parser.state is _COMPLETE:
            self._finish(exchange)
            return
        if parser.buffered > self._high_water and not self._reading_paused:
            self._reading_paused = True
            self._socket.pause_reading()  # type: ignore[union-attr]
        exchange.wake()

    def eof_received(self) -> None:
        """Let the socket close; ``connection_lost`` settles the exchange."""

    def connection_lost(self, exc: Exception | None) -> None:
        """Complete a close-delimited body or fail the exchange."""
        self._enter(_CLOSED)
        self._disarm()
        self._body = None
        exchange = self._exchange
        if exchange is not None:
            try:
                self._parser.feed_eof()
            except IncompleteResponse as incomplete:
                self._end_exchange(self._lost_error(exchange, incomplete, exc))
            else:
                self._end_exchange(None)
        self._wake_drain()
        self._owner.discard(self)

    def _lost_error(
        self, exchange: Exchange, incomplete: IncompleteResponse, exc: Exception | None
    ) -> BaseException:
        cause: BaseException = incomplete
        if exc is not None:
            cause = (
                IncompleteResponse(f"{incomplete.message} {exc!r}", head_received=True)
                if incomplete.head_received
                else exc
            )
        return translate(
            cause, self.key, request=exchange.request, head_received=incomplete.head_received
        )

    def pause_writing(self) -> None:
        """The socket's write buffer is full: stop streaming the upload."""
        self._writing_paused = True

    def resume_writing(self) -> None:
        """The write buffer drained: continue the upload."""
        self._writing_paused = False
        self._wake_drain()

    # -- exchanges ------------------------------------------------------------------------
    def send_whole(self, request: Request, head: bytes) -> Exchange | None:
        """Write a request with a bytes body at once when nothing needs awaiting first (no
        trace, no ``100 Continue``) and return its exchange, whose head is still to come
        (``Exchange.wait_head``); None when the request must go through :meth:`send`."""
        body = request.body
        if (
            not isinstance(body, bytes)
            or request.trace is not None
            or (body and _expects_continue(request))
        ):
            return None
        exchange = self._begin(request)
        try:
            self._write_whole(request, head, body)
        except BaseException:
            self._drop(exchange)
            raise
        return exchange

    async def send(self, request: Request, head: bytes) -> Exchange:
        """Write ``request`` (``head`` already serialized) and wait for the response head.

        A streamed body is uploaded by a task of its own, so the head is returned as soon as
        it arrives while the upload goes on (a caller may finish its upload only after it
        sees the response); closing the exchange or the connection cancels the upload.
        """
        exchange = self._begin(request)
        parser = self._parser
        sock = self._socket
        assert sock is not None
        body = request.body
        upload: asyncio.Task[None] | None = None
        try:
            if request.trace is not None:  # tracing hook: headers (and a bytes body) sent
                await request.trace.send_request_headers(request)
            if body and _expects_continue(request):
                self._enter(_SENDING)
                sock.write(head)
                head = b""
                if not await exchange.wait_continue(lambda: parser.continued):
                    await close_body(body)  # answered without 100: never sent, the connection
                    return exchange  # stays SENDING and is dropped when the response ends
            if isinstance(body, bytes):
                self._write_whole(request, head, body)
            else:
                framing = body_framing(request.headers)
                if self._state is not _SENDING:
                    self._enter(_SENDING)
                sock.write(head)
                upload = self._loop.create_task(self._upload(exchange, body, request, framing))
                upload.add_done_callback(self._uploaded)
            await exchange.wait_head()
        except BaseException:
            self._drop(exchange)
            if upload is not None and not upload.done():
                await asyncio.wait((upload,))  # the body is closed before the caller sees it
            raise
        return exchange

    def _begin(self, request: Request) -> Exchange:
        """The exchange of ``request``, now this connection's (``ServerDisconnectedError``
        once the connection is closed)."""
        if self._socket is None or self._state is _CLOSED:
            self.fail(None)
            raise exceptions.ServerDisconnectedError()
        parser = self._parser
        parser.start(request.method, request.head_limits)
        exchange = self._exchange = Exchange(self, self._loop, request, parser.chunks)
        return exchange

    def _write_whole(self, request: Request, head: bytes, body: bytes) -> None:
        """Write the head (what is left of it) and a bytes body; RECEIVING from now on."""
        if body or "Transfer-Encoding" in request.headers:
            body = wire_body(body, request.headers)
        self._enter(_RECEIVING)
        sock = self._socket
        assert sock is not None
        if len(body) <= _COALESCE_LIMIT:
            sock.write(head + body)
        else:  # no copy of a large body just to prepend the head
            sock.write(head)
            sock.write(body)

    def _drop(self, exchange: Exchange) -> None:
        """Sending ``exchange`` failed: drop the connection if it is still current."""
        if self._exchange is exchange:
            self.fail(exceptions.ClientConnectionError("Connection closed"))

    async def _upload(
        self,
        exchange: Exchange,
        body: AsyncIterable[bytes],
        request: Request,
        framing: tuple[bool, int | None],
    ) -> None:
        """Stream the body while SENDING; RECEIVING once its last byte is written.

        Stops early (closing the body) when the exchange is over or a Content-Length is
        reached; the body is closed too when the upload is cancelled or fails, unless it
        can be sent again (see ``_stop_upload``).
        """
        chunked, left = framing
        sock = self._socket
        assert sock is not None
        self._uploading = asyncio.current_task()  # from now on, cancelled if the exchange ends
        chunks = aiter(body)
        complete = False
        try:
            with TimeoutScope(request.deadline, asyncio.TimeoutError):
                while not exchange.done:  # once over, the rest of the body is not wanted
                    try:
                        chunk = await anext(chunks)
                    except StopAsyncIteration:
                        complete = True
                        break
                    if not chunk:
                        continue
                    if left is not None:
                        chunk = chunk[:left]
                        left -= len(chunk)
                    sock.write(frame_chunk(chunk) if chunked else chunk)
                    while self._writing_paused and not exchange.done:
                        await self._drain_writes()
                    if left == 0:
                        break
            if complete and chunked:
                sock.write(LAST_CHUNK)
            if (complete or left == 0) and self._state is _SENDING:
                self._enter(_RECEIVING)
        finally:
            if not complete:
                await _stop_upload(body)

    def _uploaded(self, upload: asyncio.Task[None]) -> None:
        """The upload task ended: a failed upload fails the exchange and the connection.

        As in aiohttp, a failing body source surfaces as ``ClientConnectionError`` (caused
        by the source's exception); a total timeout stays ``asyncio.TimeoutError``.
        """
        if self._uploading is upload:
            self._uploading = None
        if upload.cancelled():
            return
        error = upload.exception()
        if error is None or self._state is _CLOSED:
            return
        if not isinstance(error, (exceptions.ClientError, asyncio.TimeoutError)):
            source_error = error
            error = exceptions.ClientConnectionError(
                "Failed to send bytes into the underlying connection "
                f"Connection<{self.key!r}>: {source_error!r}"
            )
            error.__cause__ = source_error
        self.fail(error)

    async def _drain_writes(self) -> None:
        waiter = self._loop.create_future()
        self._drain = waiter
        try:
            await waiter
        finally:
            self._drain = None

    def _wake_drain(self) -> None:
        waiter = self._drain
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def arm(self, when: float) -> None:
        """Have the timer go off at ``when`` at the latest (an exchange's wait times out).

        One timer serves every wait: it stays armed when a wait ends, and when it goes off
        early for the current wait it is armed again for that wait's time.
        """
        timer = self._timer
        if timer is not None:
            if timer.when() <= when:
                return
            timer.cancel()
        self._timer = self._loop.call_at(when, self._timer_due)

    def _timer_due(self) -> None:
        timer = self._timer
        self._timer = None
        exchange = self._exchange
        if exchange is not None and timer is not None:
            later = exchange.expired(timer.when())
            if later is not None:
                self.arm(later)

    def _disarm(self) -> None:
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()

    def consumed(self, size: int) -> None:
        """The reader took ``size`` body bytes: resume reading below the low-water mark."""
        parser = self._parser
        parser.buffered -= size
        if self._reading_paused and parser.buffered <= self._low_water:
            self._reading_paused = False
            if self._socket is not None:
                self._socket.resume_reading()

    def _finish(self, exchange: Exchange) -> None:
        """The response completed: back to IDLE for the owner, or close."""
        if self._reading_paused:
            self._reading_paused = False
            self._socket.resume_reading()  # type: ignore[union-attr]
        self._exchange = None
        self.exchanges += 1
        exchange.finish(None)
        if self._state is _SENDING:  # the upload was cut short: drop what is still queued
            self.fail(None)
        elif (
            self._parser.keep_alive
            and exchange.request.headers.get("Connection", "").lower() != "close"
        ):
            self._enter(_IDLE)
            self.idle_since = monotonic()  # the pool's keep-alive clock, as aiohttp's
            self._owner.release(self)
        else:
            self.close()

    def _end_exchange(self, error: BaseException | None) -> None:
        exchange = self._exchange
        if exchange is not None:
            self._exchange = None
            exchange.finish(error)

    def fail(self, error: BaseException | None) -> None:
        """Abort the current exchange with ``error`` and drop the connection."""
        self._shut(error, abort=True)

    def close(self) -> None:
        """Close the connection gracefully (any exchange fails)."""
        busy = self._exchange is not None  # idle: no error to build (see exceptions.py)
        self._shut(
            exceptions.ClientConnectionError("Connection closed") if busy else None, abort=False
        )

    def _shut(self, error: BaseException | None, *, abort: bool) -> None:
        self._enter(_CLOSED)
        self._disarm()
        self._body = None
        self._end_exchange(error)
        self._wake_drain()
        upload = self._uploading
        if upload is not None:
            self._uploading = None
            upload.cancel()
        sock = self._socket
        if sock is not None:
            if abort:
                sock.abort()
            else:
                sock.close()
        self._owner.discard(self)


async def _stop_upload(body: AsyncIterable[bytes]) -> None:
    """An upload ended before the body did: close the body, unless it can be sent again
    (a file a redirect may re-send: the session closes it once the request is over)."""
    stopped = getattr(body, "upload_stopped", None)
    if stopped is None or not stopped():
        await close_body(body)


def _expects_continue(request: Request) -> bool:
    """The request asks for ``100 Continue`` before its body (``expect100=`` or the header)."""
    return request.headers.get("Expect", "").lower() == "100-continue"
