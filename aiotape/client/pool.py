"""TCPConnector: the keep-alive pool of HTTP/1.1 connections, keyed by ConnectionKey."""

from __future__ import annotations

import asyncio
import ssl as _ssl
from collections import deque

from .connect import Resolver, connect_scope, open_connection
from .connection import ConnectionSettings, HTTP11Connection
from .exceptions import ClientConnectionError, ConnectionKey
from .timeouts import deadline
from .transport import Request
from .tunnel import open_through_proxy

__all__ = ["TCPConnector"]

_Waiter = tuple[ConnectionKey, "asyncio.Future[None]"]


class TCPConnector:
    """Opens, limits and reuses connections (aiohttp's ``TCPConnector`` options).

    ``limit`` / ``limit_per_host`` cap connections in use (0 = unlimited); waiting for a
    free slot counts against the ``connect`` timeout. A connection returns to the pool only
    once its response fully arrived and allowed keep-alive; idle ones expire after
    ``keepalive_timeout`` seconds. ``enable_cleanup_closed``, ``happy_eyeballs_delay``,
    ``interleave`` and ``ssl_shutdown_timeout`` are accepted for compatibility and ignored
    (addresses are tried one after another).
    """

    def __init__(
        self,
        *,
        ssl: _ssl.SSLContext | bool = True,
        limit: int = 100,
        limit_per_host: int = 0,
        force_close: bool = False,
        keepalive_timeout: float | None = None,
        enable_cleanup_closed: bool = False,
        ttl_dns_cache: float | None = 10,
        use_dns_cache: bool = True,
        family: int = 0,
        local_addr: tuple[str, int] | None = None,
        happy_eyeballs_delay: float | None = 0.25,
        interleave: int | None = None,
        ssl_shutdown_timeout: float | None = None,
    ) -> None:
        if force_close and keepalive_timeout is not None:
            raise ValueError("keepalive_timeout cannot be set if force_close is True")
        self._ssl = ssl
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._force_close = force_close
        self._keepalive_timeout = 15.0 if keepalive_timeout is None else keepalive_timeout
        self._local_addr = local_addr
        self._resolver = Resolver(ttl=ttl_dns_cache, use_cache=use_dns_cache, family=family)
        self._idle: dict[ConnectionKey, list[HTTP11Connection]] = {}
        self._in_use: set[HTTP11Connection] = set()
        self._per_key: dict[ConnectionKey, int] = {}
        self._total = 0
        self._waiters: deque[_Waiter] = deque()
        self._cleanup: asyncio.TimerHandle | None = None
        self._closed = False

    # -- aiohttp's read-only properties ---------------------------------------------------
    @property
    def ssl(self) -> _ssl.SSLContext | bool:
        """Default TLS setting for requests that do not pass ``ssl=``."""
        return self._ssl

    @property
    def resolver(self) -> Resolver:
        """The DNS resolver (and cache) shared by this connector's connections."""
        return self._resolver

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def limit(self) -> int:
        """Maximum connections in use (0 = unlimited)."""
        return self._limit

    @property
    def limit_per_host(self) -> int:
        """Maximum connections in use per (host, port, ssl) (0 = unlimited)."""
        return self._limit_per_host

    @property
    def force_close(self) -> bool:
        """True when connections are never reused."""
        return self._force_close

    # -- acquiring ------------------------------------------------------------------------
    async def acquire(
        self,
        key: ConnectionKey,
        request: Request,
        settings: ConnectionSettings,
        *,
        fresh: bool = False,
    ) -> HTTP11Connection:
        """A pooled connection for ``key`` or a new one (always new when ``fresh``)."""
        if self._closed:
            raise ClientConnectionError("Connector is closed.")
        if not fresh:
            conn = self._take_idle(key)
            if conn is not None:
                return conn
        loop = asyncio.get_running_loop()
        timeout = request.timeout
        connect_at = deadline(loop.time(), timeout.connect, timeout.ceil_threshold)
        if not self._has_slot(key):
            with connect_scope(connect_at, request):
                conn = await self._wait_for_slot(key, fresh)
            if conn is not None:
                return conn
        self._reserve(key)
        try:
            opener = open_connection if key.proxy is None else open_through_proxy
            _, conn = await opener(
                key,
                request,
                lambda: HTTP11Connection(key, self, settings),
                resolver=self._resolver,
                connect_deadline=connect_at,
                local_addr=self._local_addr,
            )
        except BaseException:
            self._unreserve(key)
            raise
        if self._closed:
            self._unreserve(key)
            conn.fail(ClientConnectionError("Connector is closed."))
            raise ClientConnectionError("Connector is closed.")
        self._in_use.add(conn)
        return conn

    def _has_slot(self, key: ConnectionKey) -> bool:
        return (not self._limit or self._total < self._limit) and (
            not self._limit_per_host or self._per_key.get(key, 0) < self._limit_per_host
        )

    def _reserve(self, key: ConnectionKey) -> None:
        self._total += 1
        self._per_key[key] = self._per_key.get(key, 0) + 1

    def _unreserve(self, key: ConnectionKey) -> None:
        self._total -= 1
        left = self._per_key[key] - 1
        if left:
            self._per_key[key] = left
        else:
            del self._per_key[key]
        self._wake_waiter()

    def _take_idle(self, key: ConnectionKey) -> HTTP11Connection | None:
        conns = self._idle.get(key)
        if not conns:
            return None
        if not self._has_slot(key):
            return None
        expired_before = asyncio.get_running_loop().time() - self._keepalive_timeout
        while conns:
            conn = conns.pop()
            if conn.is_reusable and conn.idle_since > expired_before:
                self._reserve(key)
                self._in_use.add(conn)
                return conn
            conn.close()
        return None

    async def _wait_for_slot(self, key: ConnectionKey, fresh: bool) -> HTTP11Connection | None:
        """Wait until ``key`` may open a connection (None) or an idle one is free for it."""
        loop = asyncio.get_running_loop()
        while True:
            entry: _Waiter = (key, loop.create_future())
            self._waiters.append(entry)
            try:
                await entry[1]
            except BaseException:
                if entry in self._waiters:
                    self._waiters.remove(entry)
                else:  # woken and cancelled at once: pass the turn on
                    self._wake_waiter()
                raise
            if self._closed:
                raise ClientConnectionError("Connector is closed.")
            conn = None if fresh else self._take_idle(key)
            if conn is not None:
                return conn
            if self._has_slot(key):
                return None

    def _wake_waiter(self) -> None:
        for entry in self._waiters:
            key, waiter = entry
            if self._has_slot(key):
                self._waiters.remove(entry)
                if not waiter.done():
                    waiter.set_result(None)
                return

    # -- ConnectionOwner ------------------------------------------------------------------
    def release(self, conn: HTTP11Connection) -> None:
        """Put a connection whose response completed with keep-alive back in the pool."""
        if conn not in self._in_use:
            return
        self._in_use.discard(conn)
        if self._closed or self._force_close:
            self._unreserve(conn.key)
            conn.close()
            return
        self._idle.setdefault(conn.key, []).append(conn)
        self._arm_cleanup()
        self._unreserve(conn.key)

    def discard(self, conn: HTTP11Connection) -> None:
        """Forget a closed connection (in use or idle)."""
        if conn in self._in_use:
            self._in_use.discard(conn)
            self._unreserve(conn.key)
            return
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)

    # -- idle expiry and shutdown ---------------------------------------------------------
    def _arm_cleanup(self) -> None:
        if self._cleanup is None:
            loop = asyncio.get_running_loop()
            self._cleanup = loop.call_at(loop.time() + self._keepalive_timeout, self._expire)

    def _expire(self) -> None:
        self._cleanup = None
        expired_before = asyncio.get_running_loop().time() - self._keepalive_timeout
        for conns in list(self._idle.values()):
            for conn in [c for c in conns if c.idle_since <= expired_before]:
                conn.close()
        self._idle = {key: conns for key, conns in self._idle.items() if conns}
        if self._idle:
            self._arm_cleanup()

    async def close(self) -> None:
        """Close every connection, idle or in use; waiting acquirers fail."""
        if self._closed:
            return
        self._closed = True
        if self._cleanup is not None:
            self._cleanup.cancel()
            self._cleanup = None
        conns = [*self._in_use, *(c for idle in self._idle.values() for c in idle)]
        for conn in conns:
            conn.fail(ClientConnectionError("Connector is closed."))
        self._idle.clear()
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
        if conns:
            await asyncio.sleep(0)  # let the transports run connection_lost

    async def __aenter__(self) -> TCPConnector:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
