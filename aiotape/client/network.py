"""NetworkTransport: the default Transport, HTTP/1.1 over pooled asyncio connections.

Making one is cheap: the network machinery (the pool, dialing and resolvers, TLS settings, the
HTTP/1.1 parser, connections, tunnels) is imported by the first request sent or the first look
at ``connector``, so sessions whose requests all go to a mock or a cassette never import it.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from multidict import CIMultiDictProxy, getversion

from . import exceptions
from .transport import Request, Response

if TYPE_CHECKING:
    from .connection_settings import ConnectionSettings
    from .http11 import HeaderLines
    from .pool import BaseConnector
    from .pool_key import ConnectionKey
    from .ws_channel import NetworkWebSocketChannel
    from .ws_types import WebSocketChannel, WSOptions

__all__ = ["NetworkTransport"]

_TARGETS = 256
"""How many URLs a NetworkTransport keeps _Targets for (all are dropped when full)."""
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class NetworkTransport:
    """Sends requests over the network through a :class:`TCPConnector` (implements Transport)."""

    def __init__(
        self,
        connector: BaseConnector | None = None,
        *,
        read_bufsize: int = 2**16,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
    ) -> None:
        self._connector = connector  # None: a TCPConnector, made on first use
        self._limits = (read_bufsize, max_line_size, max_field_size, max_headers)
        self._settings: ConnectionSettings | None = None  # made with the first _Target
        self._websockets: weakref.WeakSet[NetworkWebSocketChannel] | None = None
        self._closed = False
        self._header_lines: HeaderLines = {}
        self._targets: dict[int, _Target] = {}

    @property
    def connector(self) -> BaseConnector:
        """The pool this transport draws connections from (made on first use when none was
        given: a transport that never sends builds none; closed, if the transport is)."""
        connector = self._connector
        if connector is None:
            connector = self._connector = _net().TCPConnector()
            if self._closed:
                connector._close_now()
        return connector

    async def handle(self, request: Request) -> Response:
        """Send ``request`` on a pooled (or new) connection and return the response head.

        A request that may be replayed (idempotent method, bytes body) and fails on a reused
        connection before any response byte arrived is retried once on a new connection.
        """
        connector = self._connector or self.connector
        target = self._targets.get(id(request.url))
        if target is None or not target.serves(request):
            target = self._target(request)
        key = target.key
        head = target.head(request, self._header_lines)
        conn = connector.take_idle(key) if request.trace is None else None
        if conn is None:
            conn = await connector.acquire(key, request, target.settings)
        reused = conn.exchanges > 0
        try:
            exchange = conn.send_whole(request, head)
            if exchange is None:
                exchange = await conn.send(request, head)
            else:
                await exchange.wait_head()
        except (exceptions.ServerDisconnectedError, exceptions.ClientOSError):
            if not (reused and not conn.received and _replayable(request)):
                raise
            conn = await connector.acquire(key, request, target.settings, fresh=True)
            exchange = await conn.send(request, head)
        h = exchange.head
        assert h is not None
        return Response(h.status, h.reason, h.headers, exchange, h.version, h.raw_headers)

    def _target(self, request: Request) -> _Target:
        """A new _Target for ``request``'s URL, kept unless it has proxy headers (which
        a later request could change in place). The first one makes the read settings."""
        net = _net()
        settings = self._settings
        if settings is None:
            settings = self._settings = net.ConnectionSettings(*self._limits)
        target = _Target(request, net.connection_key(request, self.connector.ssl), settings)
        if request.proxy_headers is None:
            if len(self._targets) >= _TARGETS:
                self._targets.clear()
            self._targets[id(request.url)] = target
        return target

    async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
        """Open a websocket (handshake and framing live in ``ws_channel``) on a connection
        of the connector: its limits, local address and resolver apply."""
        connector = self.connector
        if connector.closed:
            raise exceptions.ClientConnectionError("Connector is closed.")
        from .ws_connect import connect_ws  # websockets is imported by the first websocket

        channel = await connect_ws(request, options, ssl=connector.ssl, dial=self._dial_ws)
        if self._websockets is None:
            self._websockets = weakref.WeakSet()
        self._websockets.add(channel)
        return channel

    async def _dial_ws(
        self,
        key: ConnectionKey,
        request: Request,
        factory: Callable[[], NetworkWebSocketChannel],
    ) -> tuple[asyncio.Transport, NetworkWebSocketChannel]:
        """A websocket's socket from the connector, its slot freed when the socket is gone."""
        connector = self.connector
        sock, channel = await connector.dial_held(key, request, factory)
        channel.when_lost(lambda: connector.unhold(key))
        return sock, channel

    async def aclose(self) -> None:
        """Close the connector, every pooled connection and websockets left open."""
        self._closed = True
        for channel in list(self._websockets or ()):
            await channel.aclose()
        if self._connector is not None:
            await self._connector.close()


class _Target:
    """What requests to one URL object (the session reuses it for the same URL string) go
    to: the pool key, worked out once, the transport's read settings, and the head of the
    last request, which the next one reuses when it has the same method, version and headers
    object, unchanged."""

    __slots__ = (
        "head_bytes",
        "headers",
        "headers_version",
        "key",
        "method",
        "proxy",
        "proxy_auth",
        "server_hostname",
        "settings",
        "ssl",
        "url",
        "version",
    )

    def __init__(self, request: Request, key: ConnectionKey, settings: ConnectionSettings) -> None:
        self.url = request.url
        self.ssl = request.ssl
        self.proxy = request.proxy
        self.proxy_auth = request.proxy_auth
        self.server_hostname = request.server_hostname
        self.key = key
        self.settings = settings
        self.headers: CIMultiDictProxy[str] | None = None
        self.headers_version = 0
        self.method = ""
        self.version = (1, 1)
        self.head_bytes = b""

    def serves(self, request: Request) -> bool:
        """Whether ``request`` goes where this target's key says."""
        return (
            request.url is self.url
            and request.ssl is self.ssl
            and request.proxy is self.proxy
            and request.proxy_auth is self.proxy_auth
            and request.server_hostname == self.server_hostname
            and request.proxy_headers is None
        )

    def head(self, request: Request, checked: HeaderLines) -> bytes:
        """The serialized head of ``request`` (``checked``: header lines already checked)."""
        headers = request.headers
        version = getversion(headers)  # type: ignore[arg-type]
        if (
            headers is self.headers
            and version == self.headers_version
            and request.method == self.method
            and request.version == self.version
        ):
            return self.head_bytes
        head = None if request.proxy is None else _absolute_form_head(request)
        if head is None:
            head = _net().serialize_head(
                request.method, request.url, headers.items(), request.version, checked=checked
            )
        self.headers, self.headers_version = headers, version
        self.method, self.version, self.head_bytes = request.method, request.version, head
        return head


class _Net:
    """The network machinery NetworkTransport calls, imported by the first request sent (or
    connector made) and bound here once (no request pays an import statement)."""

    __slots__ = ("ConnectionSettings", "TCPConnector", "connection_key", "serialize_head")

    def __init__(self) -> None:
        from .connection_settings import ConnectionSettings
        from .dial import connection_key
        from .http11 import serialize_head
        from .pool import TCPConnector

        self.ConnectionSettings = ConnectionSettings
        self.TCPConnector = TCPConnector
        self.connection_key = connection_key
        self.serialize_head = serialize_head


@functools.cache
def _net() -> _Net:
    """The one ``_Net``, made (and the network modules imported) on first use."""
    return _Net()


def _absolute_form_head(request: Request) -> bytes | None:
    """The head of a plain-http request sent to its proxy; None when it goes through a tunnel."""
    from .tunnel import proxied_head, tunnels  # imported by the first proxied request

    return None if tunnels(request.url) else proxied_head(request)


def _replayable(request: Request) -> bool:
    return request.method in _IDEMPOTENT and isinstance(request.body, bytes)
