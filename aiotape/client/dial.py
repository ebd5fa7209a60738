"""Opening connections: DNS (with a small cache), TCP, TLS, under connect timeouts.

:func:`open_connection` is shared by the HTTP pool and the websocket client: it takes any
``protocol_factory`` and returns the connected socket (asyncio's transport) and protocol.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import socket
import ssl
import sys
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from yarl import URL

from . import exceptions
from .fingerprint import SSLSetting, fingerprint_mismatch
from .pool_key import ConnectionKey
from .resolvers import AbstractResolver, ResolveResult, ThreadedResolver
from .schemes import DEFAULT_PORTS, SECURE_SCHEMES
from .timeouts import TimeoutScope, deadline, earliest
from .transport import Request

if TYPE_CHECKING:
    from .seam_protocols import TraceHooks

__all__ = [
    "Resolver",
    "connect_scope",
    "connection_key",
    "interleaved",
    "open_connection",
    "sock_connect_scope",
    "ssl_context",
]

P = TypeVar("P", bound=asyncio.BaseProtocol)
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]

_contexts: dict[bool, ssl.SSLContext] = {}


def ssl_context(setting: SSLSetting) -> ssl.SSLContext:
    """The context for an ``ssl=`` setting: True verifies, False does not, a context as given;
    a Fingerprint does not verify (the digest is checked after the handshake).

    The two default contexts are created once and cached (creating one loads the CA store);
    as aiohttp's, they offer ALPN ``http/1.1``.
    """
    if isinstance(setting, ssl.SSLContext):
        return setting
    verify = setting is True
    ctx = _contexts.get(verify)
    if ctx is None:
        ctx = ssl.create_default_context()
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["http/1.1"])
        _contexts[verify] = ctx
    return ctx


def connection_key(request: Request, default_ssl: SSLSetting = True) -> ConnectionKey:
    """The pool key of ``request`` (its proxy included); ``request.ssl=True`` means "the
    connector's setting"."""
    url = request.url
    host = url.raw_host
    if not host:
        raise exceptions.InvalidURL(url, "no host to connect to")
    scheme = url.scheme
    port = url.port if url.port is not None else DEFAULT_PORTS.get(scheme)
    setting = default_ssl if request.ssl is True else request.ssl
    proxy_headers = request.proxy_headers
    return tuple.__new__(  # ConnectionKey(...) without its Python-level __new__
        ConnectionKey,
        (
            host,
            port,
            scheme in SECURE_SCHEMES,
            setting,
            request.proxy,
            request.proxy_auth,
            hash(tuple(proxy_headers.items())) if proxy_headers else None,
            request.server_hostname,
        ),
    )


class _CachedHosts:
    """A host's cached addresses and the loop time they expire (None: never)."""

    __slots__ = ("expires", "infos")

    def __init__(self, infos: tuple[AddrInfo, ...], expires: float | None) -> None:
        self.infos = infos
        self.expires = expires


class Resolver:
    """A connector's DNS cache (aiohttp's ``ttl_dns_cache``) in front of its resolver."""

    __slots__ = ("_cache", "_family", "_resolver", "_ttl", "_use_cache")

    def __init__(
        self,
        *,
        ttl: float | None = 10,
        use_cache: bool = True,
        family: int = 0,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._ttl = ttl
        self._use_cache = use_cache
        self._family = family
        self._resolver = resolver if resolver is not None else ThreadedResolver()
        self._cache: dict[tuple[str, int], _CachedHosts] = {}

    async def resolve(
        self, host: str, port: int, trace: TraceHooks | None = None
    ) -> tuple[AddrInfo, ...]:
        """Addresses for ``host:port`` (IP literals skip DNS); raises ``socket.gaierror``."""
        literal = _ip_literal(host, port)
        if literal is not None:
            return (literal,)
        loop = asyncio.get_running_loop()
        now = loop.time()
        cached = self._cache.get((host, port)) if self._use_cache else None
        if cached is not None and (cached.expires is None or cached.expires > now):
            if trace is not None:  # tracing hook: DNS cache hit
                await trace.send_dns_cache_hit(host)
            return cached.infos
        if trace is not None:  # tracing hook: DNS lookup start
            await trace.send_dns_lookup_start(host, self._use_cache)
        hosts = await self._resolver.resolve(host, port, socket.AddressFamily(self._family))
        infos = tuple(_addr_info(entry) for entry in hosts)
        if not infos:
            raise socket.gaierror(socket.EAI_NONAME, f"No address found for {host}")
        if trace is not None:  # tracing hook: DNS lookup end
            await trace.send_dns_resolvehost_end(host)
        if self._use_cache:
            expires = None if self._ttl is None else now + self._ttl
            self._cache[(host, port)] = _CachedHosts(infos, expires)
        return infos

    @property
    def family(self) -> int:
        """The address family asked for (0: any)."""
        return self._family

    @property
    def use_cache(self) -> bool:
        """Whether answers are cached."""
        return self._use_cache

    def clear(self, host: str | None = None, port: int | None = None) -> None:
        """Forget the cached addresses of ``host:port``, or every one (aiohttp's
        ``clear_dns_cache``: both or neither)."""
        if host is not None and port is not None:
            self._cache.pop((host, port), None)
        elif host is not None or port is not None:
            raise ValueError("either both host and port or none of them are allowed")
        else:
            self._cache.clear()


def _addr_info(entry: ResolveResult) -> AddrInfo:
    family, host, port = entry["family"], entry["host"], entry["port"]
    address = (host, port, 0, 0) if family == socket.AF_INET6 else (host, port)
    return (family, socket.SOCK_STREAM, entry["proto"], "", address)


def interleaved(infos: Sequence[AddrInfo], first_family_count: int) -> list[AddrInfo]:
    """``infos`` alternating between address families (RFC 8305), the first family's
    ``first_family_count`` addresses first (asyncio's and aiohttp's ``interleave``)."""
    families: dict[int, list[AddrInfo]] = {}
    for info in infos:
        families.setdefault(info[0], []).append(info)
    queues = list(families.values())
    head = queues[0][: first_family_count - 1] if queues else []
    if queues:
        del queues[0][: len(head)]
    rounds = itertools.zip_longest(*queues)
    return head + [info for info in itertools.chain.from_iterable(rounds) if info is not None]


def _ip_literal(host: str, port: int) -> AddrInfo | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.version == 6:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))


def _timed_out(url: URL) -> exceptions.ConnectionTimeoutError:
    return exceptions.ConnectionTimeoutError(f"Connection timeout to host {url}")


def _server_hostname(key: ConnectionKey) -> str | None:
    if not key.is_ssl:
        return None
    if key.server_hostname is not None:
        return key.server_hostname
    return key.host.rstrip(".")


def _tls_options(key: ConnectionKey, ssl_shutdown_timeout: float | None) -> dict[str, Any]:
    """``create_connection``'s TLS keywords for ``key`` (none for plain connections)."""
    if not key.is_ssl:
        return {}
    tls: dict[str, Any] = {"ssl": ssl_context(key.ssl), "server_hostname": _server_hostname(key)}
    if ssl_shutdown_timeout and sys.version_info >= (3, 11):
        tls["ssl_shutdown_timeout"] = ssl_shutdown_timeout
    return tls


async def open_connection(
    key: ConnectionKey,
    request: Request,
    protocol_factory: Callable[[], P],
    *,
    resolver: Resolver | None = None,
    connect_deadline: float | None = None,
    local_addr: tuple[str, int] | None = None,
    happy_eyeballs_delay: float | None = None,
    interleave: int | None = None,
    ssl_shutdown_timeout: float | None = None,
) -> tuple[asyncio.Transport, P]:
    """Resolve, connect and (for https/wss) handshake TLS; return socket and protocol.

    Addresses are tried one after another, or with ``happy_eyeballs_delay`` raced: the next
    attempt starts when the previous fails or after that many seconds, and the first to
    connect wins (RFC 8305; ``interleave`` orders them by family as asyncio does). An
    address whose TLS peer fails the fingerprint (or drops the handshake) is left for the
    next one. Timeouts: ``connect`` (absolute ``connect_deadline`` if given, else counted
    from now) and ``sock_connect`` per attempt raise ``ConnectionTimeoutError``; the
    request's total ``deadline`` raises ``asyncio.TimeoutError``. Errors are aiotape
    exceptions (ClientConnectorError, ...DNSError, ...CertificateError, ...SSLError).
    """
    from .error_mapping import map_exceptions  # imported by the first connection opened

    loop = asyncio.get_running_loop()
    timeout = request.timeout
    if connect_deadline is None:
        connect_deadline = deadline(loop.time(), timeout.connect, timeout.ceil_threshold)
    resolver = resolver if resolver is not None else Resolver(use_cache=False)
    port = key.port if key.port is not None else DEFAULT_PORTS["https" if key.is_ssl else "http"]
    tls = _tls_options(key, ssl_shutdown_timeout)

    async def attempt(info: AddrInfo) -> socket.socket:
        with sock_connect_scope(request), map_exceptions(key, connecting=True):
            return await _connect_socket(loop, info, local_addr)

    with connect_scope(connect_deadline, request):
        with map_exceptions(key, connecting=True):
            infos = list(await resolver.resolve(key.host, port, request.trace))
        if interleave or happy_eyeballs_delay is not None:
            infos = interleaved(infos, interleave or 1)
        while True:
            sock, info = await _first_connected(attempt, infos, happy_eyeballs_delay)
            infos.remove(info)
            try:
                with sock_connect_scope(request), map_exceptions(key, connecting=True):
                    conn, protocol = await loop.create_connection(
                        protocol_factory, sock=sock, **tls
                    )
            except OSError as exc:  # a mapped ClientConnectorError
                if isinstance(exc, ssl.SSLError) or not infos:
                    raise
                continue
            mismatch = fingerprint_mismatch(key.ssl, conn)
            if mismatch is None:
                return conn, protocol
            if not infos:
                raise mismatch


async def _connect_socket(
    loop: asyncio.AbstractEventLoop, info: AddrInfo, local_addr: tuple[str, int] | None
) -> socket.socket:
    family, _, proto, _, address = info
    sock = socket.socket(family, socket.SOCK_STREAM, proto)
    try:
        sock.setblocking(False)
        if local_addr is not None:
            sock.bind(local_addr)
        await loop.sock_connect(sock, address)
    except BaseException:
        sock.close()
        raise
    return sock


async def _first_connected(
    attempt: Callable[[AddrInfo], Awaitable[socket.socket]],
    infos: list[AddrInfo],
    delay: float | None,
) -> tuple[socket.socket, AddrInfo]:
    """The first socket ``attempt`` connects, and its address (see ``open_connection``).

    Addresses that failed are removed from ``infos``; when all fail the last error is
    raised (a ``ConnectionTimeoutError`` at once). Losing attempts are cancelled or closed.
    """
    if len(infos) == 1:  # the common case (an IP literal, one DNS answer): no task
        return await attempt(infos[0]), infos[0]
    running: dict[asyncio.Task[socket.socket], AddrInfo] = {}
    queue = list(infos)
    last_error: BaseException | None = None
    try:
        while queue or running:
            if queue and (delay is not None or not running):
                info = queue.pop(0)
                running[asyncio.ensure_future(attempt(info))] = info
            wait = delay if queue else None
            done, _ = await asyncio.wait(running, timeout=wait, return_when=FIRST_COMPLETED)
            for task in done:
                info = running.pop(task)
                error = task.exception()
                if error is None:
                    return task.result(), info
                if isinstance(error, exceptions.ConnectionTimeoutError) or not isinstance(
                    error, OSError
                ):
                    raise error
                last_error = error
                infos.remove(info)
        assert last_error is not None
        raise last_error
    finally:
        for task in running:
            task.cancel()
        for result in await asyncio.gather(*running, return_exceptions=True):
            if isinstance(result, socket.socket):
                result.close()


def sock_connect_scope(request: Request) -> TimeoutScope:
    """The ``sock_connect`` timer of one connection attempt (``ConnectionTimeoutError``)."""
    timeout = request.timeout
    url = request.url
    when = deadline(asyncio.get_running_loop().time(), timeout.sock_connect, timeout.ceil_threshold)
    return TimeoutScope(when, lambda: _timed_out(url))


def connect_scope(connect_at: float | None, request: Request) -> TimeoutScope:
    """One timer for whichever comes first: the connect deadline (``ConnectionTimeoutError``)
    or the request's total deadline (``asyncio.TimeoutError``)."""
    when = earliest(connect_at, request.deadline)
    if when is not None and when == connect_at:
        url = request.url
        return TimeoutScope(when, lambda: _timed_out(url))
    return TimeoutScope(when, asyncio.TimeoutError)
