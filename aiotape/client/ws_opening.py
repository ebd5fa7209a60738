"""What ``ClientSession.ws_connect`` does (imported by the first): the websocket handshake request,
sent through the session's transport, and the ClientWebSocketResponse around the channel it
opens.

As aiohttp's handshake goes through its ``request()``, a 3xx answer is followed (its rules:
Location, at most 10 hops, cookies kept, credentials dropped across origins), the session's
middlewares see each hop, trace configs get the request and connection signals, every answer's
cookies are stored, and the session's ``raise_for_status`` judges the last answer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import exceptions
from .auth import BasicAuth
from .fingerprint import ssl_setting
from .prepare import (
    CREDENTIAL_HEADERS,
    REDIRECT_STATUSES,
    WS_SCHEME_FOR,
    becomes_get,
    check_status,
    redirect_location,
    redirect_target,
    resolve_ws_timeout,
    without,
)
from .proxies import DIRECT, ProxyRoute
from .request_info import RequestInfo, SSLSetting
from .request_plan import OPTION_DEFAULTS
from .response import ClientResponse
from .timeouts import ClientTimeout, deadline
from .transport import Request, Response
from .websocket import ClientWebSocketResponse
from .ws_types import WSOptions

if TYPE_CHECKING:
    from .request_trace import RequestTrace
    from .session import ClientSession
    from .ws_timeout import ClientWSTimeout
    from .ws_types import WebSocketChannel

__all__ = ["handshake_request", "open_websocket", "ws_url"]

_MAX_REDIRECTS: int = OPTION_DEFAULTS["max_redirects"]  # aiohttp's ws_connect uses request()'s


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
    started: float,
    trace: RequestTrace | None = None,
) -> Request:
    """The seam request of a websocket handshake (no body) started at loop time ``started``;
    ``trace`` is the session's tracing (with trace configs), for the transport's connection
    signals."""
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


async def open_websocket(
    session: ClientSession,
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
    """The websocket ``session.ws_connect(str_or_url, ...)`` opens."""
    target = session._target_url(str_or_url, params)  # what traces report, as aiohttp's
    url = ws_url(target)
    trace = None
    if session._trace_configs:
        from .request_trace import RequestTrace  # imported only by sessions that trace

        trace = RequestTrace(session, session._trace_configs, None)
        headers = await trace.send_request_start(method, target, session._default_headers, headers)
    ws_timeout = resolve_ws_timeout(timeout, receive_timeout)
    hop = _Hop(
        method,
        target,
        url,
        headers,
        auth,
        session._explicit_route(proxy, proxy_auth, proxy_headers),
        origin,
        ssl_setting(ssl),
        server_hostname,
        WSOptions(tuple(protocols), max_msg_size, compress),
    )
    channel = await _handshake(session, hop, trace)
    return (session._ws_response_class or ClientWebSocketResponse)(
        channel,
        timeout=ws_timeout,
        autoclose=autoclose,
        autoping=autoping,
        heartbeat=heartbeat,
        decode_text=decode_text,
    )


async def _handshake(
    session: ClientSession, hop: _Hop, trace: RequestTrace | None
) -> WebSocketChannel:
    """The channel of an accepted handshake, following redirects as aiohttp's
    ``request()`` does (at most ``_MAX_REDIRECTS``), with its tracing signals."""
    history: list[ClientResponse] = []
    channel: WebSocketChannel | None = None
    answer: ClientResponse | None = None
    plain = trace is None and not session._middlewares
    try:
        while True:
            route, auth = hop.route or DIRECT, hop.auth
            if session._trust_env:
                route, auth = await session._from_env(hop.url, hop.route, auth, hop.headers)
            request = _hop_request(session, hop, trace, route, auth, bool(history))
            try:
                if plain:
                    transport = session._current_transport()
                    channel = await transport.connect_ws(request, hop.options)
                else:
                    channel = await _open_ws(session, request, hop, trace)
            except exceptions.WSServerHandshakeError as exc:
                refusal, answer = exc, _answer(exc, request)
                if answer is None:
                    raise
            else:
                session._store_cookies(channel.handshake.headers, request.url)
                break
            session._store_cookies(answer.headers, request.url)  # any answer's, as aiohttp
            if answer.status not in REDIRECT_STATUSES:
                break
            if trace is not None:  # tracing hook: redirect
                await trace.send_request_redirect(hop.method, hop.target, hop.headers, answer)
            history.append(answer)
            if len(history) >= _MAX_REDIRECTS:
                raise exceptions.TooManyRedirects(history[0].request_info, tuple(history))
            if not hop.follow(answer, session._requote_redirect_url):
                break
        if session._raise_for_status is not False:
            await _judge_ws_status(session, request, channel, answer)
    except BaseException as exc:
        if trace is not None:  # tracing hook: request exception
            await trace.send_request_exception(hop.method, hop.target, hop.headers, exc)
        raise
    if channel is None:
        assert answer is not None
        if history:
            refusal.history = tuple(history)
        if trace is not None:  # tracing hook: request end (a refusal)
            await trace.send_request_end(hop.method, hop.target, hop.headers, answer)
        raise refusal
    if trace is not None:  # tracing hook: request end
        answer = _response(request, channel.handshake)
        await trace.send_request_end(hop.method, hop.target, hop.headers, answer)
    return channel


def _hop_request(
    session: ClientSession,
    hop: _Hop,
    trace: RequestTrace | None,
    route: ProxyRoute,
    auth: BasicAuth | None,
    redirected: bool,
) -> Request:
    """The seam request of ``hop`` through ``route`` with ``auth`` (which ``hop.auth``
    becomes, unless the URL's own credentials replace it)."""
    url, headers, hop.auth = session._prepare_headers(
        hop.url, hop.headers, None, auth, None, redirected
    )
    if hop.origin is not None:
        headers["Origin"] = hop.origin
    return handshake_request(
        hop.method,
        url,
        headers,
        session._timeout,
        hop.ssl,
        hop.server_hostname,
        route,
        # The session's loop: on 3.11 each get_running_loop() costs a getpid() system call.
        (session._loop or asyncio.get_running_loop()).time(),
        trace,
    )


async def _judge_ws_status(
    session: ClientSession,
    request: Request,
    channel: WebSocketChannel | None,
    answer: ClientResponse | None,
) -> None:
    """The session's ``raise_for_status`` on the last answer, as aiohttp's ``request()``
    applies it before ws_connect looks for a 101: True raises ClientResponseError for a
    status >= 400, a callable sees every answer (the 101 too); a channel it refuses is
    closed."""
    check = session._raise_for_status
    if channel is not None:
        if not callable(check):
            return
        answer = _response(request, channel.handshake)
    assert answer is not None
    try:
        await check_status(check, answer)
    except BaseException:
        if channel is not None:
            await channel.aclose()
        raise


async def _open_ws(
    session: ClientSession, request: Request, hop: _Hop, trace: RequestTrace | None
) -> WebSocketChannel:
    """The channel for ``request``: through the session's middlewares, if any."""
    if session._middlewares:
        return await _through_middlewares(session, request, hop, trace)
    return await _connect_channel(session, request, hop, trace)


async def _connect_channel(
    session: ClientSession, request: Request, hop: _Hop, trace: RequestTrace | None
) -> WebSocketChannel:
    """The channel the current transport opens for ``request`` (traced: as ``hop.target``)."""
    transport = session._current_transport()
    if trace is None:
        return await transport.connect_ws(request, hop.options)
    return await trace.connect_ws(transport, request, hop.options, hop.target)


async def _through_middlewares(
    session: ClientSession, request: Request, hop: _Hop, trace: RequestTrace | None
) -> WebSocketChannel:
    """As aiohttp's: the middlewares see the handshake request and its answer (the 101,
    or the refusing answer) as a ClientResponse; what the outermost returns decides."""
    from .middlewares import ClientRequest, build_client_middlewares

    answered: list[tuple[ClientResponse, WebSocketChannel | BaseException]] = []

    async def innermost(req: ClientRequest) -> ClientResponse:
        wire = req.wire_request()
        try:
            channel = await _connect_channel(session, wire, hop, trace)
        except exceptions.WSServerHandshakeError as exc:
            answer = _answer(exc, wire)
            if answer is None:
                raise
            answered.append((answer, exc))
            return answer
        answer = _response(wire, channel.handshake)
        answered.append((answer, channel))
        return answer

    handler = build_client_middlewares(innermost, session._middlewares)
    outcome: WebSocketChannel | BaseException | None = None
    try:
        resp = await handler(ClientRequest(request, session, request.url))
        outcome = next((done for answer, done in answered if answer is resp), None)
    finally:
        for _, unused in answered:  # channels the middlewares did not return
            if unused is not outcome and not isinstance(unused, BaseException):
                await unused.aclose()
    if outcome is None:  # a response the middlewares made themselves
        raise exceptions.WSServerHandshakeError(
            resp.request_info,
            (),
            status=resp.status,
            message="Invalid response status",
            headers=resp.headers,
        )
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


class _Hop:
    """What the next handshake request sends: method, URL as given (``target``, http or ws:
    traces report it) and as sent (``url``, ws or wss), the caller's headers and auth, which
    a redirect changes; and what every hop sends alike: proxy route, Origin, TLS settings
    and websocket options."""

    __slots__ = (
        "auth",
        "headers",
        "method",
        "options",
        "origin",
        "route",
        "server_hostname",
        "ssl",
        "target",
        "url",
    )

    def __init__(
        self,
        method: str,
        target: URL,
        url: URL,
        headers: Any,
        auth: BasicAuth | None,
        route: ProxyRoute | None,
        origin: str | None,
        ssl: SSLSetting,
        server_hostname: str | None,
        options: WSOptions,
    ) -> None:
        self.method = method
        self.target = target
        self.url = url
        self.headers = headers
        self.auth = auth
        self.route = route
        self.origin = origin
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.options = options

    def follow(self, answer: ClientResponse, requote: bool) -> bool:
        """Become the request following the redirect ``answer`` (aiohttp's rules for the
        method and credentials); False when it names no Location."""
        location = redirect_location(answer.headers)
        if not location:
            return False
        target = redirect_target(self.target, location, requote)
        if becomes_get(answer.status, self.method):
            self.method = "GET"
        if target.origin() != self.target.origin():
            self.auth = None
            self.headers = without(self.headers, CREDENTIAL_HEADERS)
        self.target, self.url = target, ws_url(target)
        return True


def _answer(exc: exceptions.WSServerHandshakeError, request: Request) -> ClientResponse | None:
    """The answer that refused the handshake; None when there was none to read."""
    from .simulation import handshake_response, reason_phrase
    from .ws_handshake import BROKEN_ANSWER  # loaded by the first websocket already

    if exc.headers is None and exc.message.startswith(BROKEN_ANSWER):
        return None
    headers = exc.headers.items() if exc.headers is not None else ()
    return _response(request, handshake_response(headers, exc.status, reason_phrase(exc.status)))


def _response(request: Request, wire: Response) -> ClientResponse:
    """``wire``, the answer to ``request``, as a ClientResponse."""
    info = RequestInfo(request.url, request.method, request.headers, request.url)
    return ClientResponse(request.method, request.url, wire, request_info=info)
