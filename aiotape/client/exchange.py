"""One request/response on an HTTP/1.1 connection, as the response body's ``BodyStream``."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from . import exceptions
from .http11 import ResponseHead
from .read_buffers import BodyBuffer
from .timeouts import deadline, earliest
from .transport import Request

__all__ = ["Exchange", "ExchangeOwner"]


class ExchangeOwner(Protocol):
    """The connection an exchange runs on (``HTTP11Connection``)."""

    @property
    def buffered(self) -> int:
        """Body bytes received and not read yet."""

    def consumed(self, size: int) -> None:
        """The reader took ``size`` body bytes."""

    def fail(self, error: BaseException | None) -> None:
        """Abort the exchange with ``error`` and drop the connection."""

    def arm(self, when: float) -> None:
        """Call the current exchange's :meth:`Exchange.expired` at loop time ``when`` or later."""

    def receive_whole(self) -> BodyBuffer | None:
        """Receive the rest of the body into one buffer, if its length is known."""


class Exchange:
    """One request/response on a connection: the parsed head and the wire body chunks
    (``BodyStream``). The connection calls :meth:`wake` when something arrived and
    :meth:`finish` when the exchange is over."""

    __slots__ = (
        "_chunks",
        "_conn",
        "_deadline",
        "_error",
        "_loop",
        "_timeout",
        "_waiter",
        "_when",
        "_when_sock_read",
        "head",
        "request",
    )

    def __init__(
        self,
        conn: ExchangeOwner,
        loop: asyncio.AbstractEventLoop,
        request: Request,
        chunks: deque[bytes],
    ) -> None:
        self._conn: ExchangeOwner | None = conn
        self._loop = loop
        self._timeout = request.timeout
        self._deadline = request.deadline
        self._chunks = chunks
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._when: float | None = None  # while waiting: when the wait times out
        self._when_sock_read = False
        self.head: ResponseHead | None = None
        self.request = request

    @property
    def done(self) -> bool:
        """True once the whole body has arrived or the exchange failed."""
        return self._conn is None

    @property
    def transport(self) -> asyncio.Transport | None:
        """The socket the response arrives on; None once the exchange is over."""
        transport: asyncio.Transport | None = getattr(self._conn, "transport", None)
        return transport

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

    def whole(self) -> Awaitable[bytes] | None:
        """The rest of the body in one piece, received straight into its buffer, when the
        connection can do that (a large Content-Length body); None: use :meth:`read_chunk`."""
        conn = self._conn
        if conn is None:
            return self._rest()  # already complete (a small body arrives with its head)
        if self._deadline and self._loop.time() >= self._deadline:
            return None
        body = conn.receive_whole()
        return None if body is None else self._read_whole(body)

    async def _rest(self) -> bytes:
        """What is left of a body that already arrived (as :meth:`read_chunk` would give
        it piece by piece, then its error if any)."""
        chunks = self._chunks
        rest = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        if self._error is not None:
            raise self._error
        return rest

    async def _read_whole(self, body: BodyBuffer) -> bytes:
        while self._conn is not None:
            await self._wait()
        if self._error is not None:
            raise self._error
        return body.getvalue()

    def close(self) -> None:
        """Release the body; before the end this drops the connection."""
        conn = self._conn
        if conn is not None:
            conn.fail(exceptions.ClientConnectionError("Connection closed"))
        self._chunks.clear()

    def wait_head(self) -> Awaitable[None]:
        """Wait until the head has arrived (or raise the exchange's error)."""
        return self._wait(until_head=True)

    async def wait_continue(self, continued: Callable[[], bool]) -> bool:
        """Wait for ``100 Continue`` (``continued()``) or a final head; True for the former."""
        while not continued():
            if self.head is not None:
                return False
            if self._error is not None:
                raise self._error
            await self._wait()
        return True

    def wake(self) -> None:
        """Something arrived (head or body bytes): wake the task waiting on this exchange."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def progressed(self) -> None:
        """Body bytes arrived for :meth:`whole`: wake it if its wait times out by sock_read
        (which counts from the last byte); otherwise the end of the body wakes it."""
        if self._when_sock_read:
            self.wake()

    def finish(self, error: BaseException | None) -> None:
        """The exchange is over, complete when ``error`` is None: detach and wake the reader."""
        self._conn = None
        if error is not None:
            self._error = error
        waiter = self._waiter  # wake(), inlined: once per response
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self, until_head: bool = False) -> None:
        """Wait for :meth:`wake` (``until_head``: as often as it takes for the head to
        arrive, raising the exchange's error); a timed-out wait fails the connection
        (which wakes it).

        The timer is the connection's (:meth:`ExchangeOwner.arm`), kept armed across waits
        and exchanges: a wait only records when it times out, so a request arms no timer
        of its own while an earlier deadline is already armed.
        """
        loop = self._loop
        timeout = self._timeout
        while True:
            if until_head:
                if self.head is not None:
                    return
                if self._error is not None:
                    raise self._error
            waiter = self._waiter = loop.create_future()
            when = self._deadline
            sock_read = False
            if timeout.sock_read:
                read_at = deadline(loop.time(), timeout.sock_read, timeout.ceil_threshold)
                when = earliest(read_at, when)
                sock_read = read_at is not None and when == read_at
            self._when_sock_read = sock_read
            if when is not None:
                self._when = when
                self._conn.arm(when)  # type: ignore[union-attr]  # waits only while attached
            try:
                await waiter
            except asyncio.CancelledError:
                self.close()
                raise
            finally:
                self._waiter = None
                self._when = None
            if not until_head:
                return

    def expired(self, now: float) -> float | None:
        """The connection's timer went off at ``now``: time the wait out if it is due by
        then; returns when the timer is next due for this exchange (None: not at all)."""
        when = self._when
        if when is None or self._waiter is None:
            return None
        if when > now:
            return when
        self._expire(self._when_sock_read)
        return None

    def _expire(self, sock_read: bool) -> None:
        conn = self._conn
        if conn is not None:
            error: BaseException = (
                exceptions.SocketTimeoutError("Timeout on reading data from socket")
                if sock_read
                else asyncio.TimeoutError()
            )
            conn.fail(error)
