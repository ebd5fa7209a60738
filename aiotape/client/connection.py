"""One HTTP/1.1 socket: an ``asyncio.BufferedProtocol`` running one exchange at a time.

The connection writes the request, feeds received bytes to :class:`ResponseParser` and wakes
the one task waiting on the current :class:`ResponseBody` (a single future; read timeouts
are ``loop.call_at`` timers, no per-request task). When a response has fully arrived, the
body keeps its chunks and the connection goes back to its owner (the pool) if keep-alive.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import Protocol

from httptools import HttpParserError

from .errors import IncompleteResponse, translate
from .exceptions import (
    ClientConnectionError,
    ConnectionKey,
    ServerDisconnectedError,
    SocketTimeoutError,
)
from .http11 import LAST_CHUNK, ParserState, ResponseHead, ResponseParser, frame_chunk
from .timeouts import TimeoutScope, deadline, earliest
from .transport import Request, close_body

__all__ = ["ConnectionOwner", "ConnectionSettings", "HTTP11Connection", "ResponseBody"]

_BUFFER_FACTOR = 4
_COALESCE_LIMIT = 2**16
_READ_SIZE = 2**18
_read_buffers = threading.local()


def _read_buffer() -> memoryview:
    """This thread's socket read buffer, shared by its connections.

    asyncio's default ``recv(256 KiB)`` allocates a fresh object per read, above malloc's
    mmap threshold; the page faults and heap trimming that follow cost more than parsing
    (2-3x on streamed downloads). Reads land here instead: a read is fed to the parser, which
    copies what it keeps, before the loop (one per thread) does anything else.
    """
    view: memoryview | None = getattr(_read_buffers, "view", None)
    if view is None:
        view = _read_buffers.view = memoryview(bytearray(_READ_SIZE))
    return view


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Parser limits and read buffering of a connection: reading pauses while more than
    4 x ``read_bufsize`` body bytes wait for the reader and resumes at ``read_bufsize``."""

    read_bufsize: int = 2**16
    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 128


class ConnectionOwner(Protocol):
    """Where a connection reports that it is free again or gone (the pool)."""

    def release(self, conn: HTTP11Connection) -> None:
        """The exchange finished and the connection may be reused."""

    def discard(self, conn: HTTP11Connection) -> None:
        """The connection is closed; forget it."""


class ResponseBody:
    """Wire body chunks of one response (``BodyStream``); also carries the parsed head."""

    __slots__ = (
        "_chunks",
        "_conn",
        "_deadline",
        "_error",
        "_loop",
        "_timeout",
        "_waiter",
        "head",
        "request",
    )

    def __init__(
        self,
        conn: HTTP11Connection,
        loop: asyncio.AbstractEventLoop,
        request: Request,
        chunks: deque[bytes],
    ) -> None:
        self._conn: HTTP11Connection | None = conn
        self._loop = loop
        self._timeout = request.timeout
        self._deadline = request.deadline
        self._chunks = chunks
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self.head: ResponseHead | None = None
        self.request = request

    @property
    def done(self) -> bool:
        """True once the whole body has arrived or the exchange failed."""
        return self._conn is None

    @property
    def buffered(self) -> int:
        """Body bytes received and not read yet."""
        conn = self._conn
        return conn.buffered if conn is not None else sum(map(len, self._chunks))

    async def read_chunk(self) -> bytes:
        """The next chunk as it arrived; ``b""`` once the body is complete."""
        chunks = self._chunks
        if self._conn is not None and self._deadline and self._loop.time() >= self._deadline:
            self._expire(False)  # total timeout: like aiohttp, what is buffered still reads
        while not chunks:
            if self._error is not None:
                raise self._error
            if self._conn is None:
                return b""
            await self._wait()
        chunk = chunks.popleft()
        conn = self._conn
        if conn is not None:
            conn.consumed(len(chunk))
        return chunk

    def close(self) -> None:
        """Release the body; before the end this drops the connection."""
        conn = self._conn
        if conn is not None:
            conn.fail(ClientConnectionError("Connection closed"))
        self._chunks.clear()

    async def wait_head(self) -> ResponseHead:
        """Wait until the head has arrived (or raise the exchange's error)."""
        while self.head is None:
            if self._error is not None:
                raise self._error
            await self._wait()
        return self.head

    async def _wait(self) -> None:
        loop = self._loop
        waiter = loop.create_future()
        self._waiter = waiter
        timeout = self._timeout
        read_at = (
            deadline(loop.time(), timeout.sock_read, timeout.ceil_threshold)
            if timeout.sock_read
            else None
        )
        when = earliest(read_at, self._deadline)
        timer = None if when is None else loop.call_at(when, self._expire, when == read_at)
        try:
            await waiter
        except asyncio.CancelledError:
            self.close()
            raise
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def _expire(self, sock_read: bool) -> None:
        conn = self._conn
        if conn is not None:
            error: BaseException = (
                SocketTimeoutError("Timeout on reading data from socket")
                if sock_read
                else asyncio.TimeoutError()
            )
            conn.fail(error)

    def _detach(self, error: BaseException | None) -> None:
        """The exchange is over (complete when ``error`` is None): wake the reader."""
        self._conn = None
        if error is not None:
            self._error = error
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class HTTP11Connection(asyncio.BufferedProtocol):
    """An HTTP/1.1 client connection to one origin (created by ``open_connection``)."""

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
        self._transport: asyncio.Transport | None = None
        self._read_buffer = _read_buffer()
        self._exchange: ResponseBody | None = None
        self._drain: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._writing_paused = False
        self._must_close = False
        self._close_requested = False
        self._closed = False
        self.received = False
        self.exchanges = 0
        self.idle_since = 0.0

    @property
    def is_reusable(self) -> bool:
        """True when idle, open and allowed to carry another request."""
        transport = self._transport
        return (
            not self._closed
            and self._exchange is None
            and transport is not None
            and not transport.is_closing()
            and not self._parser.should_close
        )

    @property
    def buffered(self) -> int:
        """Body bytes of the current response received and not read yet."""
        return self._parser.buffered

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        """The reused buffer the next socket read fills."""
        return self._read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        """The socket filled ``nbytes`` of the buffer (the parser copies what it keeps)."""
        self.data_received(self._read_buffer[:nbytes])

    def data_received(self, data: bytes | memoryview) -> None:
        """Feed the parser and wake the reader."""
        exchange = self._exchange
        if exchange is None:  # nothing was asked: the peer cannot be trusted any more
            self.fail(None)
            return
        self.received = True
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
            self._wake_drain()
        if parser.state is ParserState.COMPLETE:
            self._finish(exchange)
            return
        if parser.buffered > self._high_water and not self._reading_paused:
            self._reading_paused = True
            self._transport.pause_reading()  # type: ignore[union-attr]
        exchange._wake()

    def eof_received(self) -> None:
        """Let the transport close; ``connection_lost`` settles the exchange."""

    def connection_lost(self, exc: Exception | None) -> None:
        """Complete a close-delimited body or fail the exchange."""
        self._closed = True
        exchange = self._exchange
        if exchange is not None:
            try:
                self._parser.feed_eof()
            except IncompleteResponse as incomplete:
                cause: BaseException = incomplete
                if exc is not None:
                    cause = (
                        IncompleteResponse(f"{incomplete.message} {exc!r}", head_received=True)
                        if incomplete.head_received
                        else exc
                    )
                self._detach(
                    translate(
                        cause,
                        self.key,
                        request=exchange.request,
                        head_received=incomplete.head_received,
                    )
                )
            else:
                self._detach(None)
        self._wake_drain()
        self._owner.discard(self)

    def pause_writing(self) -> None:
        """The transport's write buffer is full: stop streaming the upload."""
        self._writing_paused = True

    def resume_writing(self) -> None:
        """The write buffer drained: continue the upload."""
        self._writing_paused = False
        self._wake_drain()

    # -- exchanges ------------------------------------------------------------------------
    async def send(self, request: Request, head: bytes) -> ResponseBody:
        """Write ``request`` (``head`` already serialized) and wait for the response head."""
        transport = self._transport
        if transport is None or self._closed:
            self.fail(None)
            raise ServerDisconnectedError()
        parser = self._parser
        parser.start(request.method)
        exchange = ResponseBody(self, self._loop, request, parser.chunks)
        self._exchange = exchange
        self.received = False
        self._close_requested = request.headers.get("Connection", "").lower() == "close"
        body = request.body
        try:
            if isinstance(body, bytes):
                if len(body) <= _COALESCE_LIMIT:
                    transport.write(head + body)
                else:  # no copy of a large body just to prepend the head
                    transport.write(head)
                    transport.write(body)
            else:
                transport.write(head)
                await self._upload(exchange, body, request)
            await exchange.wait_head()
        except BaseException:
            if self._exchange is exchange:
                self.fail(ClientConnectionError("Connection closed"))
            raise
        return exchange

    async def _upload(
        self, exchange: ResponseBody, body: AsyncIterable[bytes], request: Request
    ) -> None:
        te = request.headers.get("Transfer-Encoding", "")
        chunked = "chunked" in te.lower()
        transport = self._transport
        assert transport is not None
        # Until the last byte is written the connection cannot be reused, even if the
        # response completes first (the server answered without reading everything).
        self._must_close = True
        with TimeoutScope(request.deadline, asyncio.TimeoutError):
            async for chunk in body:
                if exchange.head is not None or exchange.done:
                    break  # answered early or failed: the rest of the body is not wanted
                if not chunk:
                    continue
                transport.write(frame_chunk(chunk) if chunked else chunk)
                if self._writing_paused:
                    await self._drain_writes()
            else:
                if chunked:
                    transport.write(LAST_CHUNK)
                self._must_close = False
                return
            await close_body(body)

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

    def consumed(self, size: int) -> None:
        """The reader took ``size`` body bytes: resume reading below the low-water mark."""
        parser = self._parser
        parser.buffered -= size
        if self._reading_paused and parser.buffered <= self._low_water:
            self._reading_paused = False
            if self._transport is not None:
                self._transport.resume_reading()

    def _finish(self, exchange: ResponseBody) -> None:
        if self._reading_paused:
            self._reading_paused = False
            self._transport.resume_reading()  # type: ignore[union-attr]
        self._exchange = None
        self.exchanges += 1
        exchange._detach(None)
        if self._must_close:  # the upload was cut short: drop what is still queued
            self.fail(None)
        elif self._parser.keep_alive and not self._close_requested:
            self.idle_since = self._loop.time()
            self._owner.release(self)
        else:
            self.close()

    def _detach(self, error: BaseException | None) -> None:
        exchange = self._exchange
        if exchange is not None:
            self._exchange = None
            exchange._detach(error)

    def fail(self, error: BaseException | None) -> None:
        """Abort the current exchange with ``error`` and drop the connection."""
        self._detach(error)
        self._wake_drain()
        self._closed = True
        if self._transport is not None:
            self._transport.abort()
        self._owner.discard(self)

    def close(self) -> None:
        """Close the connection gracefully (any exchange fails)."""
        self._detach(ClientConnectionError("Connection closed"))
        self._closed = True
        if self._transport is not None:
            self._transport.close()
        self._owner.discard(self)
