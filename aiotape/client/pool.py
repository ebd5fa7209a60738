"""Connectors: the keep-alive pool of HTTP/1.1 connections, keyed by ConnectionKey.

:class:`BaseConnector` pools and limits; :class:`TCPConnector` opens TCP (and TLS)
connections; ``UnixConnector`` (in ``unix.py``) opens unix socket ones.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from ssl import SSLContext
from time import monotonic
from typing import TYPE_CHECKING, TypeVar

from . import exceptions
from .dial import P, Resolver, connect_scope, open_connection
from .fingerprint import SSLSetting, merge_ssl_params
from .pool_key import ConnectionKey
from .resolvers import AbstractResolver
from .ssl_params import UNSET, cleanup_closed_warning, shutdown_timeout
from .timeouts import deadline
from .transport import Request

if TYPE_CHECKING:
    from .connection import ConnectionSettings, HTTP11Connection

__all__ = ["BaseConnector", "TCPConnector"]

_Waiter = tuple[ConnectionKey, "asyncio.Future[None]"]
_C = TypeVar("_C", bound="BaseConnector")


class _Host(list["HTTP11Connection"]):
    """One key's idle connections (the most recently used last) and ``held``: how many of
    its connections count against the limits (in use, being opened, or kept by a websocket)."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        super().__init__()
        self.held = 0


class BaseConnector:
    """Opens, limits and reuses connections (aiohttp's ``BaseConnector`` options).

    ``limit`` / ``limit_per_host`` cap connections in use, websockets included (0 =
    unlimited); waiting for a free slot counts against the ``connect`` timeout. A connection
    returns to the pool only once its response fully arrived and allowed keep-alive; idle
    ones expire after ``keepalive_timeout`` seconds. How a connection is opened is left to
    subclasses (:class:`TCPConnector`, ``UnixConnector``): this one cannot open any.
    ``enable_cleanup_closed`` is accepted and ignored: connections aiotape drops are
    aborted, and asyncio bounds a TLS close (its 30 s ``ssl_shutdown_timeout``).
    ``timeout_ceil_threshold`` is accepted too: timeouts are ceiled by the request's
    ``ClientTimeout.ceil_threshold``.
    """

    _ssl: SSLSetting = True

    def __init__(
        self,
        *,
        keepalive_timeout: float | None = None,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        timeout_ceil_threshold: float = 5,
    ) -> None:
        if force_close and keepalive_timeout is not None:
            raise ValueError("keepalive_timeout cannot be set if force_close is True")
        cleanup_closed_warning(enable_cleanup_closed)
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._force_close = force_close
        self._keepalive_timeout = 15.0 if keepalive_timeout is None else keepalive_timeout
        # A key is here while it has idle connections or holds some; connections in use map to
        # their key's _Host, so giving one back looks no key up.
        self._idle: dict[ConnectionKey, _Host] = {}
        self._in_use: dict[HTTP11Connection, _Host] = {}
        self._total = 0
        self._waiters: deque[_Waiter] = deque()
        self._cleanup: asyncio.TimerHandle | None = None
        self._closed = False

    async def _dial(
        self,
        key: ConnectionKey,
        request: Request,
        protocol_factory: Callable[[], P],
        connect_deadline: float | None,
    ) -> tuple[asyncio.Transport, P]:
        """Open a new connection for ``key`` (the one thing a subclass provides)."""
        raise NotImplementedError(f"{type(self).__name__} cannot open connections")

    # -- aiohttp's read-only properties ---------------------------------------------------
    @property
    def ssl(self) -> SSLSetting:
        """Default TLS setting for requests that do not pass ``ssl=``."""
        return self._ssl

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
            raise exceptions.ClientConnectionError("Connector is closed.")
        trace = request.trace
        if not fresh:
            conn = self.take_idle(key)
            if conn is not None:
                if trace is not None:  # tracing hook: reuse
                    await self._traced(conn, trace.send_connection_reuseconn)
                return conn
        connect_at, conn = await self._slot(key, request, fresh)
        if conn is not None:
            return conn
        from .connection import HTTP11Connection  # imported by the first connection opened

        _, conn = await self._dial_reserved(
            key, request, lambda: HTTP11Connection(key, self, settings), connect_at
        )
        if self._closed:
            self._unreserve(key)
            conn.fail(exceptions.ClientConnectionError("Connector is closed."))
            raise exceptions.ClientConnectionError("Connector is closed.")
        self._in_use[conn] = self._idle[key]
        if trace is not None:  # tracing hook: create end
            await self._traced(conn, trace.send_connection_create_end)
        return conn

    async def _traced(
        self, conn: HTTP11Connection | None, signal: Callable[[], Awaitable[None]]
    ) -> None:
        """Fire a tracing signal about ``conn``; if a callback fails, ``conn`` is closed."""
        try:
            await signal()
        except BaseException:
            if conn is not None:
                conn.close()
            raise

    async def dial_held(
        self, key: ConnectionKey, request: Request, protocol_factory: Callable[[], P]
    ) -> tuple[asyncio.Transport, P]:
        """Open a connection the pool never reuses (a websocket) within the limits: it holds
        its slot until :meth:`unhold` is called with ``key``."""
        if self._closed:
            raise exceptions.ClientConnectionError("Connector is closed.")
        connect_at, _ = await self._slot(key, request, True)
        return await self._dial_reserved(key, request, protocol_factory, connect_at)

    def unhold(self, key: ConnectionKey) -> None:
        """A connection from :meth:`dial_held` is closed: free its slot."""
        self._unreserve(key)

    async def _slot(
        self, key: ConnectionKey, request: Request, fresh: bool
    ) -> tuple[float | None, HTTP11Connection | None]:
        """The connect deadline, and an idle connection (unless ``fresh``) that freed up
        while waiting, or None once a slot for a new one is reserved."""
        timeout = request.timeout
        now = asyncio.get_running_loop().time()
        connect_at = deadline(now, timeout.connect, timeout.ceil_threshold)
        if not self._has_slot(key):
            trace = request.trace
            with connect_scope(connect_at, request):
                if trace is not None:  # tracing hook: queued
                    await trace.send_connection_queued_start()
                conn = await self._wait_for_slot(key, fresh)
            if trace is not None:  # tracing hook: queue left (and a reuse)
                await self._traced(conn, trace.send_connection_queued_end)
                if conn is not None:
                    await self._traced(conn, trace.send_connection_reuseconn)
            if conn is not None:
                return connect_at, conn
        self._reserve(key)
        return connect_at, None

    async def _dial_reserved(
        self,
        key: ConnectionKey,
        request: Request,
        protocol_factory: Callable[[], P],
        connect_at: float | None,
    ) -> tuple[asyncio.Transport, P]:
        try:
            if request.trace is not None:  # tracing hook: create start
                await request.trace.send_connection_create_start()
            return await self._dial(key, request, protocol_factory, connect_at)
        except BaseException:
            self._unreserve(key)
            raise

    def _has_slot(self, key: ConnectionKey, host: _Host | None = None) -> bool:
        """Whether one more connection for ``key`` (whose _Host may be given) fits the limits."""
        if self._limit and self._total >= self._limit:
            return False
        if not self._limit_per_host:
            return True
        if host is None:
            host = self._idle.get(key)
        return host is None or host.held < self._limit_per_host

    def _reserve(self, key: ConnectionKey) -> None:
        """Count one more connection of ``key`` against the limits."""
        host = self._idle.get(key)
        if host is None:
            host = self._idle[key] = _Host()
        host.held += 1
        self._total += 1

    def _unreserve(self, key: ConnectionKey, host: _Host | None = None) -> None:
        """Count one connection of ``key`` (whose _Host may be given) less; wake a waiter."""
        if host is None:
            host = self._idle[key]
        self._total -= 1
        host.held -= 1
        if not host.held and not host and self._idle.get(key) is host:
            del self._idle[key]
        if self._waiters:
            self._wake_waiter()

    def take_idle(self, key: ConnectionKey) -> HTTP11Connection | None:
        """A pooled connection for ``key`` if one is idle and a slot is free (no waiting, no
        tracing signals: what :meth:`acquire` does first); None otherwise."""
        host = self._idle.get(key)
        if not host or not self._has_slot(key, host):
            return None
        expired_before = monotonic() - self._keepalive_timeout
        while host:
            conn = host.pop()
            if conn.is_reusable and conn.idle_since > expired_before:
                host.held += 1
                self._total += 1
                self._in_use[conn] = host
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
                raise exceptions.ClientConnectionError("Connector is closed.")
            conn = None if fresh else self.take_idle(key)
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
        host = self._in_use.pop(conn, None)
        if host is None:
            return
        if self._closed or self._force_close:
            self._unreserve(conn.key, host)
            conn.close()
            return
        host.append(conn)
        if self._cleanup is None:
            self._arm_cleanup()
        self._unreserve(conn.key, host)

    def discard(self, conn: HTTP11Connection) -> None:
        """Forget a closed connection (in use or idle)."""
        host = self._in_use.pop(conn, None)
        if host is not None:
            self._unreserve(conn.key, host)
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
        expired_before = monotonic() - self._keepalive_timeout
        for conns in list(self._idle.values()):
            for conn in [c for c in conns if c.idle_since <= expired_before]:
                conn.close()
        self._idle = {key: host for key, host in self._idle.items() if host or host.held}
        if any(self._idle.values()):
            self._arm_cleanup()

    async def close(self) -> None:
        """Close every connection, idle or in use; waiting acquirers fail."""
        if self._close_now():
            await asyncio.sleep(0)  # let the sockets run connection_lost

    def _close_now(self) -> bool:
        """Close at once, all but letting the sockets run ``connection_lost`` (what
        :meth:`close` awaits); whether any connection was closed."""
        if self._closed:
            return False
        self._closed = True
        if self._cleanup is not None:
            self._cleanup.cancel()
            self._cleanup = None
        in_use = [*self._in_use]
        idle = [c for conns in self._idle.values() for c in conns]
        for host in self._idle.values():
            host.clear()
        self._idle = {key: host for key, host in self._idle.items() if host.held}
        for conn in in_use:
            conn.fail(exceptions.ClientConnectionError("Connector is closed."))
        for conn in idle:
            conn.fail(None)  # no exchange to fail, so no error to build (see exceptions.py)
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
        return bool(in_use or idle)

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class TCPConnector(BaseConnector):
    """Connections over TCP, with TLS for https/wss (aiohttp's ``TCPConnector`` options).

    Names resolve through ``resolver`` (aiohttp's interface; the system resolver by
    default), cached for ``ttl_dns_cache`` seconds. ``happy_eyeballs_delay`` races the
    addresses of a host (RFC 8305; None: one after another), ordered by ``interleave``.
    ``ssl_shutdown_timeout`` (deprecated in aiohttp too) bounds the TLS close on Python
    3.11+. ``verify_ssl``, ``ssl_context`` and ``fingerprint`` are the deprecated spellings
    of ``ssl=`` and warn as in aiohttp.
    """

    def __init__(
        self,
        *,
        ssl: SSLSetting = True,
        verify_ssl: bool = True,
        fingerprint: bytes | None = None,
        ssl_context: SSLContext | None = None,
        use_dns_cache: bool = True,
        ttl_dns_cache: float | None = 10,
        family: int = 0,
        local_addr: tuple[str, int] | None = None,
        resolver: AbstractResolver | None = None,
        happy_eyeballs_delay: float | None = 0.25,
        interleave: int | None = None,
        ssl_shutdown_timeout: float | object | None = UNSET,
        keepalive_timeout: float | None = None,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        timeout_ceil_threshold: float = 5,
    ) -> None:
        super().__init__(
            keepalive_timeout=keepalive_timeout,
            force_close=force_close,
            limit=limit,
            limit_per_host=limit_per_host,
            enable_cleanup_closed=enable_cleanup_closed,
            timeout_ceil_threshold=timeout_ceil_threshold,
        )
        self._ssl = merge_ssl_params(ssl, verify_ssl, ssl_context, fingerprint)
        self._local_addr = local_addr
        self._resolver = Resolver(
            ttl=ttl_dns_cache, use_cache=use_dns_cache, family=family, resolver=resolver
        )
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._interleave = interleave
        self._ssl_shutdown_timeout = shutdown_timeout(ssl_shutdown_timeout)

    @property
    def resolver(self) -> Resolver:
        """The DNS cache (and resolver) shared by this connector's connections."""
        return self._resolver

    @property
    def family(self) -> int:
        """The address family connections use (0: any)."""
        return self._resolver.family

    @property
    def use_dns_cache(self) -> bool:
        """Whether resolved addresses are cached (for ``ttl_dns_cache`` seconds)."""
        return self._resolver.use_cache

    def clear_dns_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget the cached addresses of ``host:port``, or all of them."""
        self._resolver.clear(host, port)

    async def _dial(
        self,
        key: ConnectionKey,
        request: Request,
        protocol_factory: Callable[[], P],
        connect_deadline: float | None,
    ) -> tuple[asyncio.Transport, P]:
        if key.proxy is not None:
            from .tunnel import open_through_proxy  # imported by the first proxied connection

            return await open_through_proxy(
                key,
                request,
                protocol_factory,
                resolver=self._resolver,
                connect_deadline=connect_deadline,
                local_addr=self._local_addr,
            )
        return await open_connection(
            key,
            request,
            protocol_factory,
            resolver=self._resolver,
            connect_deadline=connect_deadline,
            local_addr=self._local_addr,
            happy_eyeballs_delay=self._happy_eyeballs_delay,
            interleave=self._interleave,
            ssl_shutdown_timeout=self._ssl_shutdown_timeout,
        )
