"""Connections through an HTTP proxy: absolute-form requests and CONNECT tunnels.

A plain ``http://`` request goes to the proxy with its full URL as the request target and
the proxy's credentials in ``Proxy-Authorization`` (:func:`proxied_head`). ``https://``,
``ws://`` and ``wss://`` go through ``CONNECT host:port`` (credentials and ``proxy_headers``
on the CONNECT); once the proxy answers 200 the socket carries the origin's TLS (checked
against the origin's name) or, for ``ws://``, the websocket handshake.
:func:`open_through_proxy` has :func:`~aiotape.client.dial.open_connection`'s signature,
so the pool and the websocket client call whichever the connection key asks for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import exceptions
from .dial import Resolver, connect_scope, open_connection, ssl_context
from .error_mapping import IncompleteResponse, map_exceptions
from .http11 import ResponseHead, ResponseParser, serialize_head
from .pool_key import ConnectionKey
from .request_info import RequestInfo
from .timeouts import deadline
from .transport import Request

__all__ = ["open_through_proxy", "proxied_head", "tunnels"]

P = TypeVar("P", bound=asyncio.BaseProtocol)

_TUNNELED = frozenset({"https", "wss", "ws"})


def tunnels(url: URL) -> bool:
    """True when requests to ``url`` go through a CONNECT tunnel rather than absolute-form."""
    return url.scheme in _TUNNELED


def _hop_headers(
    request: Request, base: CIMultiDictProxy[str] | CIMultiDict[str]
) -> CIMultiDict[str]:
    """``base`` with ``proxy_headers`` replacing same-named ones, then ``proxy_auth``."""
    merged = CIMultiDict(base)
    given = request.proxy_headers
    if given:
        for name in given:
            merged.popall(name, None)
        merged.extend(given)
    if request.proxy_auth is not None:
        merged["Proxy-Authorization"] = request.proxy_auth.encode()
    return merged


def proxied_head(request: Request) -> bytes:
    """The head of a plain-http request sent to its proxy: absolute-form target, hop headers."""
    url = request.url
    headers = _hop_headers(request, request.headers)
    return serialize_head(
        request.method,
        url,
        headers.items(),
        request.version,
        target=str(url.with_fragment(None)),
    )


def _connect_headers(request: Request) -> CIMultiDict[str]:
    base: CIMultiDict[str] = CIMultiDict()
    headers = request.headers
    base["Host"] = headers.get("Host") or request.url.host_port_subcomponent or ""
    user_agent = headers.get("User-Agent")
    if user_agent is not None:
        base["User-Agent"] = user_agent
    return _hop_headers(request, base)


class _ConnectReply(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT (its head only) from a fresh socket."""

    def __init__(self) -> None:
        self._parser = ResponseParser()
        self._parser.start("HEAD")
        self.head: asyncio.Future[ResponseHead] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        if self.head.done():
            return
        try:
            self._parser.feed(data)
        except Exception as exc:  # parser errors cross the boundary in open_through_proxy
            self.head.set_exception(exc)
            return
        if self._parser.head is not None:
            self.head.set_result(self._parser.head)

    def eof_received(self) -> bool:
        self.connection_lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.head.done():
            self.head.set_exception(
                exc or IncompleteResponse("Server disconnected", head_received=False)
            )


def _proxy_key(key: ConnectionKey, request: Request) -> ConnectionKey:
    proxy = key.proxy
    assert isinstance(proxy, URL)
    return ConnectionKey(proxy.raw_host or "", proxy.port, False, request.ssl)


async def _dial_proxy(
    key: ConnectionKey,
    request: Request,
    protocol_factory: Callable[[], P],
    resolver: Resolver | None,
    connect_deadline: float | None,
    local_addr: tuple[str, int] | None,
) -> tuple[asyncio.Transport, P]:
    """TCP to the proxy; a refused or unreachable proxy is ``ClientProxyConnectionError``."""
    try:
        return await open_connection(
            key,
            request,
            protocol_factory,
            resolver=resolver,
            connect_deadline=connect_deadline,
            local_addr=local_addr,
        )
    except exceptions.ClientConnectorError as exc:
        if type(exc) is not exceptions.ClientConnectorError:  # DNS and TLS errors keep their class
            raise
        raise exceptions.ClientProxyConnectionError(key, exc.os_error) from exc.os_error


def _refusal(
    request: Request, head: ResponseHead, sent: CIMultiDict[str]
) -> exceptions.ClientHttpProxyError:
    """aiohttp's error for a CONNECT answered with anything but 200."""
    assert isinstance(request.proxy, URL)
    url = request.url
    info = RequestInfo(url, "CONNECT", CIMultiDictProxy(sent), request.proxy)
    return exceptions.ClientHttpProxyError(
        info, (), status=head.status, message=head.reason, headers=head.headers
    )


async def open_through_proxy(
    key: ConnectionKey,
    request: Request,
    protocol_factory: Callable[[], P],
    *,
    resolver: Resolver | None = None,
    connect_deadline: float | None = None,
    local_addr: tuple[str, int] | None = None,
) -> tuple[asyncio.Transport, P]:
    """Connect to ``key.proxy``; for https/ws/wss, also open a CONNECT tunnel (and TLS).

    The ``connect`` timeout covers reaching the proxy, the CONNECT exchange and the TLS
    handshake. Raises ``ClientProxyConnectionError`` when the proxy cannot be reached,
    ``ClientHttpProxyError`` when it refuses the CONNECT, and the origin's TLS errors.
    """
    loop = asyncio.get_running_loop()
    if connect_deadline is None:
        timeout = request.timeout
        connect_deadline = deadline(loop.time(), timeout.connect, timeout.ceil_threshold)
    proxy_key = _proxy_key(key, request)
    if not tunnels(request.url):
        return await _dial_proxy(
            proxy_key, request, protocol_factory, resolver, connect_deadline, local_addr
        )
    transport, reply = await _dial_proxy(
        proxy_key, request, _ConnectReply, resolver, connect_deadline, local_addr
    )
    try:
        with connect_scope(connect_deadline, request):
            sent = _connect_headers(request)
            target = f"{request.url.host_subcomponent}:{key.port}"
            with map_exceptions(proxy_key, request=request):
                transport.write(serialize_head("CONNECT", request.url, sent.items(), target=target))
                head = await reply.head
            if head.status != 200:
                raise _refusal(request, head, sent)
            protocol = protocol_factory()
            if not key.is_ssl:
                transport.set_protocol(protocol)
                protocol.connection_made(transport)
                return transport, protocol
            with map_exceptions(key, connecting=True):
                tls = await loop.start_tls(
                    transport,
                    protocol,
                    ssl_context(key.ssl),
                    server_hostname=key.server_hostname or key.host.rstrip("."),
                )
            assert tls is not None
            protocol.connection_made(tls)
            return tls, protocol
    except BaseException:
        transport.abort()
        raise
