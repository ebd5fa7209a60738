"""Opening connections: DNS (with a small cache), TCP, TLS, under connect timeouts.

:func:`open_connection` is shared by the HTTP pool and the websocket client: it takes any
``protocol_factory`` and returns the asyncio transport with its protocol.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from yarl import URL

from .errors import map_exceptions
from .exceptions import ConnectionKey, ConnectionTimeoutError, InvalidURL
from .timeouts import TimeoutScope, deadline, earliest
from .transport import Request

__all__ = ["Resolver", "connect_scope", "connection_key", "open_connection", "ssl_context"]

P = TypeVar("P", bound=asyncio.BaseProtocol)
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]

_SECURE_SCHEMES = frozenset({"https", "wss"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_contexts: dict[bool, ssl.SSLContext] = {}


def ssl_context(setting: ssl.SSLContext | bool) -> ssl.SSLContext:
    """The context for an ``ssl=`` setting: True verifies, False does not, a context as given.

    The two default contexts are created once and cached (creating one loads the CA store).
    """
    if isinstance(setting, ssl.SSLContext):
        return setting
    ctx = _contexts.get(setting)
    if ctx is None:
        ctx = ssl.create_default_context()
        if not setting:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        _contexts[setting] = ctx
    return ctx


def connection_key(request: Request, default_ssl: ssl.SSLContext | bool = True) -> ConnectionKey:
    """The pool key of ``request`` (its proxy included); ``request.ssl=True`` means "the
    connector's setting"."""
    url = request.url
    host = url.raw_host
    if not host:
        raise InvalidURL(url, "no host to connect to")
    scheme = url.scheme
    port = url.port if url.port is not None else _DEFAULT_PORTS.get(scheme)
    setting = default_ssl if request.ssl is True else request.ssl
    proxy_headers = request.proxy_headers
    return ConnectionKey(
        host,
        port,
        scheme in _SECURE_SCHEMES,
        setting,
        request.proxy,
        request.proxy_auth,
        hash(tuple(proxy_headers.items())) if proxy_headers else None,
        request.server_hostname,
    )


@dataclass(frozen=True, slots=True)
class _CachedHosts:
    infos: tuple[AddrInfo, ...]
    expires: float | None


class Resolver:
    """``loop.getaddrinfo`` with an optional TTL cache (aiohttp's ``ttl_dns_cache``)."""

    __slots__ = ("_cache", "_family", "_ttl", "_use_cache")

    def __init__(self, *, ttl: float | None = 10, use_cache: bool = True, family: int = 0) -> None:
        self._ttl = ttl
        self._use_cache = use_cache
        self._family = family
        self._cache: dict[tuple[str, int], _CachedHosts] = {}

    async def resolve(self, host: str, port: int) -> tuple[AddrInfo, ...]:
        """Addresses for ``host:port`` (IP literals skip DNS); raises ``socket.gaierror``."""
        literal = _ip_literal(host, port)
        if literal is not None:
            return (literal,)
        loop = asyncio.get_running_loop()
        now = loop.time()
        cached = self._cache.get((host, port)) if self._use_cache else None
        if cached is not None and (cached.expires is None or cached.expires > now):
            return cached.infos
        infos = tuple(
            await loop.getaddrinfo(
                host, port, family=self._family, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG
            )
        )
        if not infos:
            raise socket.gaierror(socket.EAI_NONAME, f"No address found for {host}")
        if self._use_cache:
            expires = None if self._ttl is None else now + self._ttl
            self._cache[(host, port)] = _CachedHosts(infos, expires)
        return infos

    def clear(self) -> None:
        """Forget every cached address."""
        self._cache.clear()


def _ip_literal(host: str, port: int) -> AddrInfo | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.version == 6:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))


def _timed_out(url: URL) -> ConnectionTimeoutError:
    return ConnectionTimeoutError(f"Connection timeout to host {url}")


def _server_hostname(key: ConnectionKey) -> str | None:
    if not key.is_ssl:
        return None
    if key.server_hostname is not None:
        return key.server_hostname
    return key.host.rstrip(".")


async def open_connection(
    key: ConnectionKey,
    request: Request,
    protocol_factory: Callable[[], P],
    *,
    resolver: Resolver | None = None,
    connect_deadline: float | None = None,
    local_addr: tuple[str, int] | None = None,
) -> tuple[asyncio.Transport, P]:
    """Resolve, connect and (for https/wss) handshake TLS; return transport and protocol.

    Timeouts: ``connect`` (absolute ``connect_deadline`` if given, else counted from now)
    and ``sock_connect`` per address attempt raise ``ConnectionTimeoutError``; the request's
    total ``deadline`` raises ``asyncio.TimeoutError``. Errors are aiotape exceptions
    (ClientConnectorError, ...DNSError, ...CertificateError, ...SSLError).
    """
    loop = asyncio.get_running_loop()
    timeout = request.timeout
    if connect_deadline is None:
        connect_deadline = deadline(loop.time(), timeout.connect, timeout.ceil_threshold)
    url = request.url
    resolver = resolver if resolver is not None else Resolver(use_cache=False)
    ssl_ctx = ssl_context(key.ssl) if key.is_ssl else None
    hostname = _server_hostname(key)
    port = key.port if key.port is not None else (443 if key.is_ssl else 80)
    with connect_scope(connect_deadline, request):
        with map_exceptions(key, connecting=True):
            infos = await resolver.resolve(key.host, port)
        last_error: BaseException | None = None
        for family, _type, proto, _name, address in infos:
            attempt_deadline = deadline(loop.time(), timeout.sock_connect, timeout.ceil_threshold)
            try:
                with (
                    TimeoutScope(attempt_deadline, lambda: _timed_out(url)),
                    map_exceptions(key, connecting=True),
                ):
                    transport, protocol = await loop.create_connection(
                        protocol_factory,
                        address[0],
                        address[1],
                        ssl=ssl_ctx,
                        server_hostname=hostname,
                        family=family,
                        proto=proto,
                        local_addr=local_addr,
                    )
            except ConnectionTimeoutError:
                raise
            except OSError as exc:  # mapped ClientConnectorError: try the next address
                last_error = exc
                if isinstance(exc, ssl.SSLError):
                    raise
                continue
            return transport, protocol
        assert last_error is not None
        raise last_error


def connect_scope(connect_at: float | None, request: Request) -> TimeoutScope:
    """One timer for whichever comes first: the connect deadline (``ConnectionTimeoutError``)
    or the request's total deadline (``asyncio.TimeoutError``)."""
    when = earliest(connect_at, request.deadline)
    if when is not None and when == connect_at:
        url = request.url
        return TimeoutScope(when, lambda: _timed_out(url))
    return TimeoutScope(when, asyncio.TimeoutError)
