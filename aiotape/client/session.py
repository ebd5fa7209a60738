"""ClientSession: builds wire requests, follows redirects, keeps cookies; the transport does I/O."""

from __future__ import annotations

import asyncio
import json as _json
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Mapping
from http.cookies import BaseCookie
from ssl import SSLContext
from types import TracebackType
from typing import Any, Generic, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .auth import BasicAuth, strip_auth_from_url
from .cookies import AbstractCookieJar, CookieJar, cookie_header
from .exceptions import (
    InvalidUrlClientError,
    NonHttpUrlClientError,
    RequestInfo,
    TooManyRedirects,
)
from .network import NetworkTransport
from .pool import TCPConnector
from .prepare import (
    DEFAULT_HEADERS,
    USER_AGENT,
    WS_SCHEME_FOR,
    as_cookie,
    check_method,
    check_scheme,
    encode_request_body,
    host_header,
    redirect_target,
    resolve_timeout,
    resolve_ws_timeout,
    without,
)
from .proxies import DIRECT, ProxyRoute, env_route, explicit_route, netrc_auth_for
from .response import ClientResponse
from .timeouts import (
    DEFAULT_TIMEOUT,
    ClientTimeout,
    ClientWSTimeout,
    deadline,
)
from .transport import Request, Transport, close_body, current_override
from .websocket import ClientWebSocketResponse

__all__ = ["ClientSession", "request"]

_T = TypeVar("_T")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_URL_CACHE_SIZE = 256

RaiseForStatus = bool | Callable[[ClientResponse], Awaitable[None]]


class _RequestContextManager(Generic[_T]):
    """Both ``await session.get(...)`` and ``async with session.get(...) as resp``."""

    __slots__ = ("_coro", "_resp")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self._resp: _T | None = None

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()

    async def __aenter__(self) -> _T:
        self._resp = await self._coro
        return self._resp

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._resp is not None:
            await self._resp.__aexit__(exc_type, exc, tb)  # type: ignore[attr-defined]


class ClientSession:
    """An aiohttp-compatible client session whose I/O goes through a pluggable Transport."""

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: TCPConnector | None = None,
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
        read_bufsize: int = 2**16,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
    ) -> None:
        if base_url is not None:
            base_url = URL(base_url)
            if not base_url.absolute:
                raise ValueError("base_url must be an absolute URL")
        self._base_url: URL | None = base_url
        if transport is None:
            transport = NetworkTransport(
                connector,
                read_bufsize=read_bufsize,
                max_line_size=max_line_size,
                max_field_size=max_field_size,
                max_headers=max_headers,
            )
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
        self._timeout = timeout if timeout is not None else DEFAULT_TIMEOUT
        self._auto_decompress = auto_decompress
        self._trust_env = trust_env
        self._proxy = proxy
        self._proxy_auth = proxy_auth
        self._requote_redirect_url = requote_redirect_url
        self._read_bufsize = read_bufsize
        self._url_cache: dict[str, URL] = {}
        self._closed = False

    # -- properties -----------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True once ``close()`` was awaited."""
        return self._closed

    @property
    def transport(self) -> Transport:
        """The session's own transport (overrides from ``use_transport`` apply per request)."""
        return self._transport

    @property
    def connector(self) -> TCPConnector | None:
        """The connector given at construction, if any."""
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
    def trust_env(self) -> bool:
        """Whether ``*_PROXY`` / ``NO_PROXY`` and netrc credentials are used (aiohttp's rules)."""
        return self._trust_env

    # -- verbs ----------------------------------------------------------------------------
    def request(
        self, method: str, url: str | URL, **kwargs: Any
    ) -> _RequestContextManager[ClientResponse]:
        """Perform an HTTP request."""
        return _RequestContextManager(self._request(method, url, **kwargs))

    def get(self, url: str | URL, **kwargs: Any) -> _RequestContextManager[ClientResponse]:
        """Perform a GET request."""
        return _RequestContextManager(self._request("GET", url, **kwargs))

    def options(self, url: str | URL, **kwargs: Any) -> _RequestContextManager[ClientResponse]:
        """Perform an OPTIONS request."""
        return _RequestContextManager(self._request("OPTIONS", url, **kwargs))

    def head(self, url: str | URL, **kwargs: Any) -> _RequestContextManager[ClientResponse]:
        """Perform a HEAD request (redirects not followed by default)."""
        kwargs.setdefault("allow_redirects", False)
        return _RequestContextManager(self._request("HEAD", url, **kwargs))

    def post(self, url: str | URL, **kwargs: Any) -> _RequestContextManager[ClientResponse]:
        """Perform a POST request."""
        return _RequestContextManager(self._request("POST", url, **kwargs))

    def put(self, url: str | URL, **kwargs: Any) -> _RequestContextManager[ClientResponse]:
        """Perform a PUT request."""
        return _RequestContextManager(self._request("PUT", url, **kwargs))

    def patch(self, url: str | URL, **kwargs: Any) -> _RequestContextManager[ClientResponse]:
        """Perform a PATCH request."""
        return _RequestContextManager(self._request("PATCH", url, **kwargs))

    def delete(self, url: str | URL, **kwargs: Any) -> _RequestContextManager[ClientResponse]:
        """Perform a DELETE request."""
        return _RequestContextManager(self._request("DELETE", url, **kwargs))

    def ws_connect(
        self, url: str | URL, **kwargs: Any
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
        ssl: SSLContext | bool | None = True,
        server_hostname: str | None = None,
        max_msg_size: int = 4 * 1024 * 1024,
        compress: int = 0,
        method: str = "GET",
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
        url, req_headers = self._prepare_headers(url, headers, None, auth, None)
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
            True if ssl is None else ssl,
            server_hostname,
            proxy=route.url,
            proxy_auth=route.auth,
            proxy_headers=route.headers,
        )
        channel = await self._current_transport().connect_ws(
            request, protocols=tuple(protocols), max_msg_size=max_msg_size, compress=compress
        )
        set_cookie = channel.handshake.headers.getall("Set-Cookie", ())
        if set_cookie:
            self._cookie_jar.update_cookies_from_headers(set_cookie, url)
        return ClientWebSocketResponse(
            channel,
            timeout=ws_timeout,
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
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
    ) -> tuple[URL, CIMultiDict[str]]:
        """Merge default, auto, auth and cookie headers; returns the URL without credentials."""
        merged = CIMultiDict(self._default_headers)
        if headers:
            given = CIMultiDict(headers)
            for name in given:
                merged.popall(name, None)
            merged.extend(given)
        skip = self._skip_auto_headers
        if skip_auto_headers is not None:
            skip = skip | {h.lower() for h in skip_auto_headers}
        if "Host" not in merged and "host" not in skip:
            merged["Host"] = host_header(url)
        for name, value in DEFAULT_HEADERS:
            if name not in merged and name.lower() not in skip:
                merged[name] = value
        if "User-Agent" not in merged and "user-agent" not in skip:
            merged["User-Agent"] = USER_AGENT
        url, url_auth = strip_auth_from_url(url)
        if auth is not None and url_auth is not None:
            raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
        auth = auth or url_auth or self._auth
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
            jar_cookies.update(as_cookie(cookies))
        if jar_cookies:
            existing = merged.popall("Cookie", [])
            value = cookie_header(jar_cookies)
            merged["Cookie"] = "; ".join([*existing, value]) if existing else value
        return url, merged

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
        timeout: ClientTimeout | float | None = None,
        ssl: SSLContext | bool | None = True,
        server_hostname: str | None = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        proxy_headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        auto_decompress: bool | None = None,
        read_bufsize: int | None = None,
    ) -> ClientResponse:
        url = self._target_url(str_or_url, params)
        explicit = self._explicit_route(proxy, proxy_auth, proxy_headers)
        method = check_method(method)
        real_timeout = resolve_timeout(timeout, self._timeout)
        loop = asyncio.get_running_loop()
        started = loop.time()
        total_deadline = deadline(started, real_timeout.total, real_timeout.ceil_threshold)
        transport = self._current_transport()
        history: list[ClientResponse] = []
        while True:
            check_scheme(url, bool(history))
            route, hop_auth = explicit or DIRECT, auth
            if self._trust_env:
                route, hop_auth = await self._from_env(url, explicit, auth, headers)
            url, req_headers = self._prepare_headers(
                url, headers, skip_auto_headers, hop_auth, cookies
            )
            body = encode_request_body(
                method, data, json, self._json_serialize, chunked, req_headers
            )
            request = Request(
                method,
                url,
                CIMultiDictProxy(req_headers),
                body,
                real_timeout,
                started,
                total_deadline,
                True if ssl is None else ssl,
                server_hostname,
                proxy=route.url,
                proxy_auth=route.auth,
                proxy_headers=route.headers,
            )
            try:
                wire = await transport.handle(request)
            except BaseException:
                await close_body(body)
                raise
            resp = ClientResponse(
                method,
                url,
                wire,
                request_info=RequestInfo(url, method, request.headers, url),
                history=tuple(history),
                auto_decompress=self._auto_decompress
                if auto_decompress is None
                else auto_decompress,
                read_bufsize=self._read_bufsize if read_bufsize is None else read_bufsize,
            )
            set_cookie = wire.headers.getall("Set-Cookie", ())
            if set_cookie:
                self._cookie_jar.update_cookies_from_headers(set_cookie, url)
            location = resp.headers.get("Location") or resp.headers.get("URI")
            if not (allow_redirects and resp.status in _REDIRECTS and location):
                break
            history.append(resp)
            resp.release()
            if max_redirects and len(history) >= max_redirects:
                raise TooManyRedirects(history[0].request_info, tuple(history))
            if (resp.status == 303 and method != "HEAD") or (
                resp.status in (301, 302) and method == "POST"
            ):
                method, data, json = "GET", None, None
                headers = without(headers, ("Content-Length", "Content-Type"))
            target = redirect_target(url, location, self._requote_redirect_url)
            if target.origin() != url.origin():
                auth = None
                headers = without(headers, ("Authorization",))
            url, params = target, None
        await self._check_status(resp, raise_for_status)
        return resp

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
    connector: TCPConnector | None = None,
    transport: Transport | None = None,
    cookies: Any = None,
    **kwargs: Any,
) -> _SessionRequestContextManager:
    """One request in a throwaway session: ``async with aiotape.request("GET", url) as resp``."""
    session = ClientSession(connector=connector, transport=transport, cookies=cookies)
    return _SessionRequestContextManager(session._request(method, url, **kwargs), session)
