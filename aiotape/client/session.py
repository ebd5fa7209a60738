"""ClientSession: builds wire requests, follows redirects, keeps cookies; the transport does I/O."""

from __future__ import annotations

import asyncio
import json as _json
import warnings
from collections.abc import Callable, Coroutine, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.cookies import BaseCookie
from ssl import SSLContext
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .auth import BasicAuth, strip_auth_from_url
from .cookies import AbstractCookieJar, CookieJar, cookie_header, request_cookies
from .exceptions import (
    ClientPayloadError,
    InvalidUrlClientError,
    NonHttpUrlClientError,
    RequestInfo,
    TooManyRedirects,
)
from .fingerprint import SSLSetting, ssl_setting
from .middlewares import ClientMiddlewareType, ClientRequest, build_client_middlewares
from .network import NetworkTransport
from .options import RaiseForStatus, RequestOptions, WSConnectOptions
from .payloads import finish_body, rewind_body
from .pool import BaseConnector
from .prepare import (
    DEFAULT_HEADERS,
    UNSET,
    USER_AGENT,
    WS_SCHEME_FOR,
    Unset,
    check_method,
    check_scheme,
    encode_request_body,
    host_header,
    redirect_target,
    resolve_timeout,
    resolve_ws_timeout,
    session_timeout,
    without,
)
from .proxies import DIRECT, ProxyRoute, env_route, explicit_route, netrc_auth_for
from .response import ClientResponse, HttpVersion, HttpVersion11, utf8_fallback
from .session_options import (
    CharsetResolver,
    check_class,
    check_request_class,
    check_version,
    request_limits,
    running_loop,
    version_headers,
    with_expect_continue,
    without_unframed_body,
)
from .ssl_params import merge_ssl_params
from .timeouts import (
    ClientTimeout,
    ClientWSTimeout,
    deadline,
)
from .tracing import RequestTrace, TraceConfig
from .transport import Request, Transport, WSOptions, close_body, current_override
from .websocket import ClientWebSocketResponse

if TYPE_CHECKING:
    from .options import Unpack

__all__ = ["ClientSession", "request"]

_T = TypeVar("_T")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_URL_CACHE_SIZE = 256
_POST_METHODS = frozenset({"PATCH", "POST", "PUT"})
_CREDENTIAL_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")
_CONSUMED_BODY = (
    "Cannot follow redirect with a consumed request body. "
    "Use bytes, a seekable file-like object, or set allow_redirects=False."
)


class _RequestContextManager(Coroutine[Any, Any, _T], Generic[_T]):
    """``await session.get(...)``, ``async with session.get(...) as resp`` and, being a
    coroutine as aiohttp's is, ``asyncio.create_task(session.get(...))``."""

    __slots__ = ("_coro", "_resp")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self._resp: _T | None = None

    def send(self, value: Any) -> Any:
        """Coroutine protocol: forwards to the request coroutine."""
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        """Coroutine protocol: forwards to the request coroutine."""
        return self._coro.throw(*args)

    def close(self) -> None:
        """Coroutine protocol: closes the request coroutine (nothing was sent)."""
        self._coro.close()

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()

    async def __aenter__(self) -> _T:
        self._resp = await self._coro
        return await self._resp.__aenter__()  # type: ignore[attr-defined, no-any-return]

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._resp is not None:
            await self._resp.__aexit__(exc_type, exc, tb)  # type: ignore[attr-defined]


@dataclass(slots=True)
class _Hop:
    """What the next hop of a request sends; following a redirect rewrites it."""

    method: str
    url: URL
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None
    data: Any
    json: Any
    auth: BasicAuth | None
    cookies: Any


@dataclass(frozen=True, slots=True)
class _Send:
    """How every hop of one request goes over the seam."""

    transport: Transport
    middlewares: Sequence[ClientMiddlewareType]
    auto_decompress: bool
    read_bufsize: int
    response_class: type[ClientResponse]
    resolve_charset: CharsetResolver
    read_until_eof: bool

    async def exchange(self, request: Request) -> ClientResponse:
        """Send ``request`` through the transport; its response head as a ClientResponse."""
        wire = await self.transport.handle(request)
        if not self.read_until_eof:
            wire = without_unframed_body(wire)
        url = request.url
        resp = self.response_class(
            request.method,
            url,
            wire,
            request_info=RequestInfo(
                url.with_fragment(None) if url.raw_fragment else url,
                request.method,
                request.headers,
                url,
            ),
            auto_decompress=self.auto_decompress,
            read_bufsize=self.read_bufsize,
        )
        if self.resolve_charset is not utf8_fallback:
            resp._resolve_charset = self.resolve_charset
        return resp


class ClientSession:
    """An aiohttp-compatible client session whose I/O goes through a pluggable Transport."""

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: BaseConnector | None = None,
        transport: Transport | None = None,
        cookies: Mapping[str, Any] | Iterable[tuple[str, Any]] | BaseCookie[str] | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        json_serialize: Callable[[Any], str] = _json.dumps,
        cookie_jar: AbstractCookieJar | None = None,
        connector_owner: bool = True,
        raise_for_status: RaiseForStatus = False,
        timeout: ClientTimeout | None = None,
        auto_decompress: bool = True,
        trust_env: bool = False,
        requote_redirect_url: bool = True,
        read_bufsize: int = 2**18,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        trace_configs: list[TraceConfig] | None = None,
        middlewares: Sequence[ClientMiddlewareType] = (),
        loop: asyncio.AbstractEventLoop | None = None,
        json_serialize_bytes: Callable[[Any], bytes] | None = None,
        request_class: Any = None,
        response_class: type[ClientResponse] = ClientResponse,
        ws_response_class: type[ClientWebSocketResponse] = ClientWebSocketResponse,
        version: HttpVersion | str = HttpVersion11,
        fallback_charset_resolver: CharsetResolver = utf8_fallback,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
    ) -> None:
        check_request_class(request_class)
        self._version = check_version(version)
        self._response_class = check_class(response_class, ClientResponse, "response_class")
        self._ws_response_class = check_class(
            ws_response_class, ClientWebSocketResponse, "ws_response_class"
        )
        self._loop = running_loop(loop)
        self._json_dumps = json_serialize_bytes or json_serialize
        self._resolve_charset = fallback_charset_resolver
        self._limits = (max_line_size, max_field_size, max_headers)
        if base_url is not None:
            base_url = URL(base_url)
            if not base_url.absolute:
                raise ValueError("base_url must be an absolute URL")
            if not base_url.path.endswith("/"):
                raise ValueError("base_url must have a trailing '/'")
        self._base_url: URL | None = base_url
        if connector is not None and transport is not None:
            raise ValueError(
                "connector and transport cannot both be given (the transport would never use "
                "the connector): pass NetworkTransport(connector) as the transport instead"
            )
        if transport is None:
            transport = NetworkTransport(
                connector,
                read_bufsize=read_bufsize,
                max_line_size=max_line_size,
                max_field_size=max_field_size,
                max_headers=max_headers,
            )
            connector = transport.connector
        self._transport: Transport = transport
        self._connector = connector
        self._owns_transport = connector_owner
        self._cookie_jar: AbstractCookieJar = cookie_jar if cookie_jar is not None else CookieJar()
        if cookies is not None:
            self._cookie_jar.update_cookies(cookies)
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers or {})
        self._skip_auto_headers = frozenset(h.lower() for h in skip_auto_headers or ())
        self._auth = auth
        self._json_serialize = json_serialize
        self._raise_for_status = raise_for_status
        self._timeout = session_timeout(timeout)
        self._auto_decompress = auto_decompress
        self._trust_env = trust_env
        self._proxy = proxy
        self._proxy_auth = proxy_auth
        self._requote_redirect_url = requote_redirect_url
        self._read_bufsize = read_bufsize
        self._url_cache: dict[str, URL] = {}
        self._trace_configs = trace_configs or []
        for trace_config in self._trace_configs:
            trace_config.freeze()
        self._middlewares = tuple(middlewares)
        self._closed = False

    # -- properties -----------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True once ``close()`` was awaited."""
        return self._closed

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop given or running at construction (deprecated in aiohttp too)."""
        warnings.warn("client.loop property is deprecated", DeprecationWarning, stacklevel=2)
        return self._loop

    @property
    def version(self) -> HttpVersion:
        """The HTTP version of requests (``version=``): HTTP/1.1 or HTTP/1.0."""
        return self._version

    @property
    def transport(self) -> Transport:
        """The session's own transport (overrides from ``use_transport`` apply per request)."""
        return self._transport

    @property
    def connector(self) -> BaseConnector | None:
        """The connector in use (a default one when none was given); None with a transport."""
        return self._connector

    @property
    def connector_owner(self) -> bool:
        """Whether closing the session closes its connector (transport)."""
        return self._owns_transport

    @property
    def cookie_jar(self) -> AbstractCookieJar:
        """The session's cookie jar."""
        return self._cookie_jar

    @property
    def headers(self) -> CIMultiDict[str]:
        """Default headers sent with every request."""
        return self._default_headers

    @property
    def skip_auto_headers(self) -> frozenset[str]:
        """Auto headers (lower-cased names) the session does not add."""
        return self._skip_auto_headers

    @property
    def auth(self) -> BasicAuth | None:
        """Default BasicAuth."""
        return self._auth

    @property
    def timeout(self) -> ClientTimeout:
        """Default timeout."""
        return self._timeout

    @property
    def json_serialize(self) -> Callable[[Any], str]:
        """The JSON serializer for ``json=``."""
        return self._json_serialize

    @property
    def raise_for_status(self) -> RaiseForStatus:
        """Session-wide raise_for_status setting."""
        return self._raise_for_status

    @property
    def auto_decompress(self) -> bool:
        """Whether bodies are decompressed."""
        return self._auto_decompress

    @property
    def requote_redirect_url(self) -> bool:
        """Whether redirect URLs are requoted."""
        return self._requote_redirect_url

    @property
    def trace_configs(self) -> list[TraceConfig]:
        """The TraceConfigs whose signals each request fires (frozen)."""
        return self._trace_configs

    @property
    def trust_env(self) -> bool:
        """Whether ``*_PROXY`` / ``NO_PROXY`` and netrc credentials are used (aiohttp's rules)."""
        return self._trust_env

    # -- verbs ----------------------------------------------------------------------------
    def request(
        self, method: str, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> _RequestContextManager[ClientResponse]:
        """Perform an HTTP request."""
        return _RequestContextManager(self._request(method, url, **kwargs))

    def get(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> _RequestContextManager[ClientResponse]:
        """Perform a GET request."""
        return _RequestContextManager(self._request("GET", url, **kwargs))

    def options(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> _RequestContextManager[ClientResponse]:
        """Perform an OPTIONS request."""
        return _RequestContextManager(self._request("OPTIONS", url, **kwargs))

    def head(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> _RequestContextManager[ClientResponse]:
        """Perform a HEAD request (redirects not followed by default)."""
        kwargs.setdefault("allow_redirects", False)
        return _RequestContextManager(self._request("HEAD", url, **kwargs))

    def post(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> _RequestContextManager[ClientResponse]:
        """Perform a POST request."""
        return _RequestContextManager(self._request("POST", url, **kwargs))

    def put(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> _RequestContextManager[ClientResponse]:
        """Perform a PUT request."""
        return _RequestContextManager(self._request("PUT", url, **kwargs))

    def patch(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> _RequestContextManager[ClientResponse]:
        """Perform a PATCH request."""
        return _RequestContextManager(self._request("PATCH", url, **kwargs))

    def delete(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> _RequestContextManager[ClientResponse]:
        """Perform a DELETE request."""
        return _RequestContextManager(self._request("DELETE", url, **kwargs))

    def ws_connect(
        self, url: str | URL, **kwargs: Unpack[WSConnectOptions]
    ) -> _RequestContextManager[ClientWebSocketResponse]:
        """Open a websocket: ``async with session.ws_connect(url) as ws``."""
        return _RequestContextManager(self._ws_connect(url, **kwargs))

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
        url = self._target_url(str_or_url, params)
        explicit = self._explicit_route(proxy, proxy_auth, proxy_headers)
        scheme = WS_SCHEME_FOR.get(url.scheme)
        if scheme is None:
            raise NonHttpUrlClientError(url)
        url = url.with_scheme(scheme)
        if not url.host:
            raise InvalidUrlClientError(url)
        route = explicit or DIRECT
        if self._trust_env:
            route, auth = await self._from_env(url, explicit, auth, headers)
        url, req_headers, _ = self._prepare_headers(url, headers, None, auth, None)
        if origin is not None:
            req_headers["Origin"] = origin
        ws_timeout = resolve_ws_timeout(timeout, receive_timeout)
        started = asyncio.get_running_loop().time()
        request = Request(
            method.upper(),
            url,
            CIMultiDictProxy(req_headers),
            b"",
            self._timeout,
            started,
            deadline(started, self._timeout.total, self._timeout.ceil_threshold),
            ssl_setting(ssl),
            server_hostname,
            proxy=route.url,
            proxy_auth=route.auth,
            proxy_headers=route.headers,
        )
        options = WSOptions(tuple(protocols), max_msg_size, compress)
        channel = await self._current_transport().connect_ws(request, options)
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

    # -- the request pipeline ---------------------------------------------------------------
    def _target_url(self, str_or_url: str | URL, params: Any) -> URL:
        """The request URL (base_url and params applied) of an open session."""
        if self._closed:
            raise RuntimeError("Session is closed")
        url = self._build_url(str_or_url)
        return url if params is None else url.extend_query(params)

    def _explicit_route(
        self,
        proxy: str | URL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    ) -> ProxyRoute | None:
        """The request's proxy settings, else the session's; None when neither names a proxy."""
        if proxy is None and self._proxy is None:
            return None
        return explicit_route(
            self._proxy if proxy is None else proxy,
            self._proxy_auth if proxy_auth is None else proxy_auth,
            proxy_headers,
        )

    async def _from_env(
        self,
        url: URL,
        explicit: ProxyRoute | None,
        auth: BasicAuth | None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    ) -> tuple[ProxyRoute, BasicAuth | None]:
        """``trust_env``: the hop's proxy (unless explicit) and, when no other source gives
        credentials (auth, URL, session auth, an Authorization header), netrc's for the host."""
        route = explicit if explicit is not None else await env_route(url)
        given = CIMultiDict(headers or {})
        if (
            auth is not None
            or self._auth is not None
            or url.raw_user is not None
            or "Authorization" in self._default_headers
            or "Authorization" in given
        ):
            return route, auth
        return route, await netrc_auth_for(url)

    def _build_url(self, str_or_url: str | URL) -> URL:
        if isinstance(str_or_url, URL):
            url = str_or_url
        else:
            cached = self._url_cache.get(str_or_url)
            if cached is None:
                try:
                    cached = URL(str_or_url)
                except (TypeError, ValueError) as exc:
                    raise InvalidUrlClientError(str_or_url) from exc
                if len(self._url_cache) >= _URL_CACHE_SIZE:
                    self._url_cache.clear()
                self._url_cache[str_or_url] = cached
            url = cached
        if self._base_url is not None and not url.absolute:
            url = self._base_url.join(url)
        return url

    def _skipped(self, skip_auto_headers: Iterable[str] | None) -> frozenset[str]:
        """Lower-cased names of the auto headers not to add: the session's and the call's."""
        if skip_auto_headers is None:
            return self._skip_auto_headers
        return self._skip_auto_headers | {h.lower() for h in skip_auto_headers}

    def _auth_for(self, url: URL) -> BasicAuth | None:
        """The session's auth, which aiohttp sends only to the base_url origin when set."""
        base = self._base_url
        return self._auth if base is None or base.origin() == url.origin() else None

    def _current_transport(self) -> Transport:
        override = current_override()
        return override(self._transport) if override is not None else self._transport

    def _prepare_headers(
        self,
        url: URL,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
        skip_auto_headers: Iterable[str] | None,
        auth: BasicAuth | None,
        cookies: Any,
        redirected: bool = False,
    ) -> tuple[URL, CIMultiDict[str], BasicAuth | None]:
        """Merge default, auto, auth and cookie headers.

        Returns the URL without credentials and the auth used (a redirect keeps it, as
        aiohttp does, unless it crosses origins).
        """
        merged = CIMultiDict(self._default_headers)
        if headers:
            given = CIMultiDict(headers)
            for name in given:
                merged.popall(name, None)
            merged.extend(given)
        skip = (
            self._skip_auto_headers
            if skip_auto_headers is None
            else self._skipped(skip_auto_headers)
        )
        if "Host" not in merged and "host" not in skip:
            merged["Host"] = host_header(url)
        for name, value in DEFAULT_HEADERS:
            if name not in merged and name.lower() not in skip:
                merged[name] = value
        if "User-Agent" not in merged and "user-agent" not in skip:
            merged["User-Agent"] = USER_AGENT
        url, url_auth = strip_auth_from_url(url)
        if auth is not None and url_auth is not None and not redirected:
            raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
        if auth is None or url_auth is not None:
            auth = url_auth or (self._auth and self._auth_for(url))
        if auth is not None:
            if not isinstance(auth, BasicAuth):
                raise TypeError("BasicAuth() tuple is required instead")
            if "Authorization" in merged:
                raise ValueError(
                    "Cannot combine AUTHORIZATION header with AUTH argument "
                    "or credentials encoded in URL"
                )
            merged["Authorization"] = auth.encode()
        jar_cookies = self._cookie_jar.filter_cookies(url)
        if cookies:
            jar_cookies.update(request_cookies(self._cookie_jar, cookies, url))
        if jar_cookies:
            existing = merged.popall("Cookie", [])
            value = cookie_header(jar_cookies)
            merged["Cookie"] = "; ".join([*existing, value]) if existing else value
        return url, merged, auth

    async def _request(
        self,
        method: str,
        str_or_url: str | URL,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        cookies: Any = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        allow_redirects: bool = True,
        max_redirects: int = 10,
        chunked: bool | None = None,
        raise_for_status: RaiseForStatus | None = None,
        timeout: ClientTimeout | float | Unset | None = UNSET,
        ssl: SSLSetting | None = True,
        verify_ssl: bool | None = None,
        ssl_context: SSLContext | None = None,
        fingerprint: bytes | None = None,
        server_hostname: str | None = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        auto_decompress: bool | None = None,
        read_bufsize: int | None = None,
        trace_request_ctx: Any = None,
        middlewares: Sequence[ClientMiddlewareType] | None = None,
        compress: str | bool | None = None,
        expect100: bool = False,
        read_until_eof: bool = True,
        max_line_size: int | None = None,
        max_field_size: int | None = None,
        max_headers: int | None = None,
    ) -> ClientResponse:
        head_limits = request_limits(self._limits, max_line_size, max_field_size, max_headers)
        if expect100:
            headers = with_expect_continue(headers)
        url = self._target_url(str_or_url, params)
        explicit = self._explicit_route(proxy, proxy_auth, proxy_headers)
        ssl = merge_ssl_params(ssl, verify_ssl, ssl_context, fingerprint)
        method = check_method(method)
        real_timeout = resolve_timeout(timeout, self._timeout)
        loop = asyncio.get_running_loop()
        started = loop.time()
        total_deadline = deadline(started, real_timeout.total, real_timeout.ceil_threshold)
        transport = self._current_transport()
        trace = (
            RequestTrace(self, self._trace_configs, trace_request_ctx)
            if self._trace_configs
            else None
        )
        if trace is not None:  # tracing hook: request start
            headers = await trace.send_request_start(method, url, self._default_headers, headers)
            transport = trace.transport(transport)
        send = _Send(
            transport,
            self._middlewares if middlewares is None else middlewares,
            self._auto_decompress if auto_decompress is None else auto_decompress,
            self._read_bufsize if read_bufsize is None else read_bufsize,
            self._response_class,
            self._resolve_charset,
            read_until_eof,
        )
        hop = _Hop(method, url, headers, data, json, auth, cookies)
        history: list[ClientResponse] = []
        body: bytes | Any = b""
        try:
            while True:
                check_scheme(hop.url, bool(history))
                route, hop_auth = explicit or DIRECT, hop.auth
                if self._trust_env:
                    route, hop_auth = await self._from_env(hop.url, explicit, hop.auth, hop.headers)
                req_headers, body = self._encode_hop(
                    hop, hop_auth, skip_auto_headers, chunked, compress, bool(history)
                )
                request = Request(
                    hop.method,
                    hop.url,
                    CIMultiDictProxy(req_headers),
                    body,
                    real_timeout,
                    started,
                    total_deadline,
                    ssl,
                    server_hostname,
                    sum(r._simulated_elapsed for r in history) if history else 0.0,
                    trace,
                    head_limits=head_limits,
                    version=self._version,
                    proxy=route.url,
                    proxy_auth=route.auth,
                    proxy_headers=route.headers,
                )
                resp = await self._send(send, request)
                set_cookie = resp.headers.getall("Set-Cookie", ())
                if set_cookie:
                    self._cookie_jar.update_cookies_from_headers(set_cookie, hop.url)
                if not (allow_redirects and resp.status in _REDIRECTS):
                    break
                if trace is not None:  # tracing hook: redirect
                    await trace.send_request_redirect(hop.method, hop.url, hop.headers, resp)
                history.append(resp)
                if not self._redirect(hop, resp, body, max_redirects, history):
                    break
            if not isinstance(body, bytes):
                finish_body(body)
            resp._history = tuple(history)  # as aiohttp: on the final response only
            await self._check_status(resp, raise_for_status)
        except BaseException as exc:
            await close_body(body)
            if trace is not None:  # tracing hook: request exception
                await trace.send_request_exception(hop.method, hop.url, hop.headers, exc)
            raise
        if trace is not None:  # tracing hook: request end
            await trace.send_request_end(hop.method, hop.url, hop.headers, resp)
        return resp

    def _encode_hop(
        self,
        hop: _Hop,
        auth: BasicAuth | None,
        skip_auto_headers: Iterable[str] | None,
        chunked: bool | None,
        compress: str | bool | None,
        redirected: bool,
    ) -> tuple[CIMultiDict[str], bytes | Any]:
        """The next hop's final headers and encoded body (``hop.url`` loses its credentials;
        ``hop.auth`` becomes the auth used, which a same-origin redirect keeps)."""
        hop.url, headers, hop.auth = self._prepare_headers(
            hop.url, hop.headers, skip_auto_headers, auth, hop.cookies, redirected
        )
        if self._version is not HttpVersion11:
            version_headers(self._version, headers)
        body = encode_request_body(
            hop.method, hop.data, hop.json, self._json_dumps, chunked, headers, compress
        )
        if (
            hop.method in _POST_METHODS
            and "Content-Type" not in headers
            and "content-type" not in self._skipped(skip_auto_headers)
        ):
            headers["Content-Type"] = "application/octet-stream"
        return headers, body

    def _redirect(
        self,
        hop: _Hop,
        resp: ClientResponse,
        body: bytes | Any,
        max_redirects: int,
        history: list[ClientResponse],
    ) -> bool:
        """Turn ``hop`` into the request that follows the redirect ``resp`` (aiohttp's rules:
        method, body and credentials); False when ``resp`` is the answer (no Location)."""
        if max_redirects and len(history) >= max_redirects:
            resp.release()
            raise TooManyRedirects(history[0].request_info, tuple(history))
        if (resp.status == 303 and hop.method != "HEAD") or (
            resp.status in (301, 302) and hop.method == "POST"
        ):
            hop.method, hop.data, hop.json = "GET", None, None
            hop.headers = without(hop.headers, ("Content-Length",))
            finish_body(body)
        elif not rewind_body(body):
            resp.release()
            raise ClientPayloadError(_CONSUMED_BODY)
        location = resp.headers.get("Location") or resp.headers.get("URI")
        if not location:
            return False  # aiohttp returns it, listed in its own history
        resp.release()
        target = redirect_target(hop.url, location, self._requote_redirect_url)
        if target.origin() != hop.url.origin():
            hop.auth = hop.cookies = None
            hop.headers = without(hop.headers, _CREDENTIAL_HEADERS)
        hop.url = target
        return True

    async def _send(self, send: _Send, request: Request) -> ClientResponse:
        """One hop over the seam, through the client middlewares when there are any."""
        if not send.middlewares:
            return await send.exchange(request)

        async def innermost(req: ClientRequest) -> ClientResponse:
            return await send.exchange(req.wire_request())

        handler = build_client_middlewares(innermost, send.middlewares)
        return await handler(ClientRequest(request, self, request.url))

    async def _check_status(
        self, resp: ClientResponse, raise_for_status: RaiseForStatus | None
    ) -> None:
        check = self._raise_for_status if raise_for_status is None else raise_for_status
        if check is True:
            resp.raise_for_status()
        elif callable(check):
            await check(resp)

    # -- lifecycle --------------------------------------------------------------------------
    async def close(self) -> None:
        """Close the session and, if it owns it, its transport (pooled connections)."""
        if not self._closed:
            self._closed = True
            if self._owns_transport:
                await self._transport.aclose()

    def detach(self) -> None:
        """Mark the session closed without closing its transport."""
        self._closed = True

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        if not getattr(self, "_closed", True):
            _warn(f"Unclosed client session {self!r}", ResourceWarning, source=self)


class _SessionRequestContextManager:
    """``async with aiotape.request(...)``: a one-shot session closed on exit."""

    __slots__ = ("_coro", "_resp", "_session")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse], session: ClientSession) -> None:
        self._coro = coro
        self._session = session
        self._resp: ClientResponse | None = None

    async def _open(self) -> ClientResponse:
        try:
            self._resp = await self._coro
        except BaseException:
            await self._session.close()
            raise
        return self._resp

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._read_and_close().__await__()

    async def _read_and_close(self) -> ClientResponse:
        resp = await self._open()
        try:
            await resp.read()
        finally:
            await self._session.close()
        return resp

    async def __aenter__(self) -> ClientResponse:
        return await self._open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._resp is not None:
            self._resp.release()
        await self._session.close()


def request(
    method: str,
    url: str | URL,
    *,
    connector: BaseConnector | None = None,
    transport: Transport | None = None,
    **kwargs: Unpack[RequestOptions],
) -> _SessionRequestContextManager:
    """One request in a throwaway session: ``async with aiotape.request("GET", url) as resp``.

    ``cookies`` go to the throwaway session's jar, and a given ``connector`` stays open,
    as in aiohttp.
    """
    cookies = kwargs.pop("cookies", None)
    session = ClientSession(
        connector=connector,
        transport=transport,
        cookies=cookies,
        connector_owner=connector is None,
    )
    return _SessionRequestContextManager(session._request(method, url, **kwargs), session)
