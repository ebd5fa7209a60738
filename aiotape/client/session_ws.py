"""``ClientSession.ws_connect``: the websocket handshake request, sent through the session's
transport, and the ClientWebSocketResponse around the channel it opens."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import exceptions
from .auth import BasicAuth
from .prepare import WS_SCHEME_FOR, resolve_ws_timeout
from .proxies import DIRECT, ProxyRoute
from .request_builder import RequestBuilder
from .request_context import RequestContextManager
from .request_info import SSLSetting
from .timeouts import ClientTimeout, deadline
from .transport import Request, WSOptions
from .websocket import ClientWebSocketResponse

if TYPE_CHECKING:
    from .options import Unpack, WSConnectOptions
    from .request_trace import RequestTrace
    from .ws_timeout import ClientWSTimeout

__all__ = ["WebSocketConnecting", "handshake_request", "ws_url"]


def ws_url(url: URL) -> URL:
    """``url`` with its websocket scheme (ws or wss); an error for other schemes or no host."""
    scheme = WS_SCHEME_FOR.get(url.scheme)
    if scheme is None:
        raise exceptions.NonHttpUrlClientError(url)
    url = url.with_scheme(scheme)
    if not url.host:
        raise exceptions.InvalidUrlClientError(url)
    return url


def handshake_request(
    method: str,
    url: URL,
    headers: CIMultiDict[str],
    timeout: ClientTimeout,
    ssl: SSLSetting,
    server_hostname: str | None,
    route: ProxyRoute,
    trace: RequestTrace | None = None,
) -> Request:
    """The seam request of a websocket handshake (no body), timed from now; ``trace`` is
    the session's tracing (with trace configs), for the transport's connection signals."""
    started = asyncio.get_running_loop().time()
    return Request(
        method.upper(),
        url,
        CIMultiDictProxy(headers),
        b"",
        timeout,
        started,
        deadline(started, timeout.total, timeout.ceil_threshold),
        ssl,
        server_hostname,
        proxy=route.url,
        proxy_auth=route.auth,
        proxy_headers=route.headers,
        trace=trace,
    )


class WebSocketConnecting(RequestBuilder):
    """Websockets of a ClientSession (a base of ClientSession, which sets the attributes
    declared here)."""

    _trust_env: bool
    _timeout: ClientTimeout
    _ws_response_class: type[ClientWebSocketResponse] = ClientWebSocketResponse

    def ws_connect(
        self, url: str | URL, **kwargs: Unpack[WSConnectOptions]
    ) -> RequestContextManager[ClientWebSocketResponse]:
        """Open a websocket: ``async with session.ws_connect(url) as ws``."""
        return RequestContextManager(self._ws_connect(url, **kwargs))

    async def _ws_connect(
        self,
        str_or_url: str | URL,
        *,
        protocols: Iterable[str] = (),
        timeout: ClientWSTimeout | float | None = None,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        auth: BasicAuth | None = None,
        origin: str | None = None,
        params: Any = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        ssl: SSLSetting | None = True,
        server_hostname: str | None = None,
        max_msg_size: int = 4 * 1024 * 1024,
        compress: int = 0,
        method: str = "GET",
        decode_text: bool = True,
    ) -> ClientWebSocketResponse:
        from .fingerprint import ssl_setting  # loaded by the first websocket

        target = self._target_url(str_or_url, params)  # what traces report, as aiohttp's
        url = ws_url(target)
        trace = None
        if self._trace_configs:
            from .request_trace import RequestTrace  # imported only by sessions that trace

            trace = RequestTrace(self, self._trace_configs, None)
            headers = await trace.send_request_start(method, target, self._default_headers, headers)
        explicit = self._explicit_route(proxy, proxy_auth, proxy_headers)
        route = explicit or DIRECT
        if self._trust_env:
            route, auth = await self._from_env(url, explicit, auth, headers)
        url, req_headers, _ = self._prepare_headers(url, headers, None, auth, None)
        if origin is not None:
            req_headers["Origin"] = origin
        ws_timeout = resolve_ws_timeout(timeout, receive_timeout)
        request = handshake_request(
            method, url, req_headers, self._timeout, ssl_setting(ssl), server_hostname, route, trace
        )
        options = WSOptions(tuple(protocols), max_msg_size, compress)
        if trace is None:
            channel = await self._current_transport().connect_ws(request, options)
        else:
            channel = await trace.connect_ws(
                self._current_transport(), request, options, target, headers
            )
        set_cookie = channel.handshake.headers.getall("Set-Cookie", ())
        if set_cookie:
            self._cookie_jar.update_cookies_from_headers(set_cookie, url)
        return self._ws_response_class(
            channel,
            timeout=ws_timeout,
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
            decode_text=decode_text,
        )
