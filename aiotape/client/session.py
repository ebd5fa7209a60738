"""ClientSession: builds wire requests, follows redirects, keeps cookies; the transport does I/O."""

from __future__ import annotations

import asyncio
import json as _json
import warnings
from collections.abc import Callable, Coroutine, Generator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from .auth import BasicAuth
from .cookies import AbstractCookieJar, CookieJar
from .network import NetworkTransport
from .pipeline import RequestPipeline
from .prepare import (
    session_timeout,
)
from .request_context import (
    CustomResponseContextManager,
    RequestContextManager,
    ResponseContextManager,
)
from .response import ClientResponse, HttpVersion, HttpVersion11, utf8_fallback
from .session_options import (
    CharsetResolver,
    Limits,
    check_class,
    check_request_class,
    check_version,
    frozen,
    running_loop,
)
from .timeouts import (
    ClientTimeout,
)

if TYPE_CHECKING:
    from http.cookies import BaseCookie

    from .middlewares import ClientMiddlewareType
    from .options import RaiseForStatus, RequestOptions, Unpack, WSConnectOptions
    from .pool import BaseConnector
    from .seam_protocols import Transport
    from .tracing import TraceConfig
    from .websocket import ClientWebSocketResponse

__all__ = ["ClientSession", "request"]


def session_transport(
    connector: BaseConnector | None,
    transport: Transport | None,
    read_bufsize: int,
    limits: Limits,
) -> tuple[Transport, NetworkTransport | None]:
    """A session's transport, and the NetworkTransport whose connector the session reports:
    the given transport (and None), else a NetworkTransport over ``connector`` (a new one,
    made on first use, when None)."""
    if connector is not None and transport is not None:
        raise ValueError(
            "connector and transport cannot both be given (the transport would never use "
            "the connector): pass NetworkTransport(connector) as the transport instead"
        )
    if transport is not None:
        return transport, None
    network = NetworkTransport(
        connector,
        read_bufsize=read_bufsize,
        max_line_size=limits[0],
        max_field_size=limits[1],
        max_headers=limits[2],
    )
    return network, network


class ClientSession(RequestPipeline):
    """An aiohttp-compatible client session whose I/O goes through a pluggable Transport."""

    _closed = True  # until __init__ completes: __del__ leaves a half-made session alone
    _ws_response_class: type[ClientWebSocketResponse] | None = None  # None: the default

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
        ws_response_class: type[ClientWebSocketResponse] | None = None,
        version: HttpVersion | str = HttpVersion11,
        fallback_charset_resolver: CharsetResolver = utf8_fallback,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
    ) -> None:
        check_request_class(request_class)
        self._version = check_version(version)
        self._context = ResponseContextManager  # read by every request: on the instance
        self._init_classes(response_class, ws_response_class)
        self._loop = running_loop(loop)
        self._init_builder(base_url, headers, skip_auto_headers, auth, cookie_jar, cookies)
        self._limits = (max_line_size, max_field_size, max_headers)
        self._transport, self._network = session_transport(
            connector, transport, read_bufsize, self._limits
        )
        self._owns_transport = connector_owner
        self._json_serialize = json_serialize
        self._json_dumps = json_serialize_bytes or json_serialize
        self._resolve_charset = fallback_charset_resolver
        self._raise_for_status = raise_for_status
        self._timeout = session_timeout(timeout)
        self._auto_decompress, self._read_bufsize = auto_decompress, read_bufsize
        self._trust_env, self._requote_redirect_url = trust_env, requote_redirect_url
        self._proxy, self._proxy_auth = proxy, proxy_auth
        self._trace_configs = frozen(trace_configs)
        self._middlewares = tuple(middlewares)
        self._plain = (
            not self._middlewares
            and not trust_env
            and self._version is HttpVersion11
            and type(self._cookie_jar) is CookieJar
        )
        self._closed = False

    def _init_classes(
        self,
        response_class: type[ClientResponse],
        ws_response_class: type[ClientWebSocketResponse] | None,
    ) -> None:
        """Check the response classes; note whether responses keep ClientResponse's ``async with``
        and ``release`` (else the verbs return a CustomResponseContextManager, which enters
        them)."""
        if response_class is not ClientResponse:
            self._response_class = check_class(response_class, ClientResponse, "response_class")
            if (
                response_class.__aenter__ is not ClientResponse.__aenter__
                or response_class.__aexit__ is not ClientResponse.__aexit__
                or response_class.release is not ClientResponse.release
            ):
                self._context = CustomResponseContextManager
        if ws_response_class is not None:
            from .websocket import ClientWebSocketResponse  # a custom one is checked against it

            self._ws_response_class = check_class(
                ws_response_class, ClientWebSocketResponse, "ws_response_class"
            )

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
        return None if self._network is None else self._network.connector

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
    ) -> RequestContextManager[ClientResponse]:
        """Perform an HTTP request."""
        return self._open(method, url, kwargs)

    def get(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager[ClientResponse]:
        """Perform a GET request."""
        return self._open("GET", url, kwargs)

    def options(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager[ClientResponse]:
        """Perform an OPTIONS request."""
        return self._open("OPTIONS", url, kwargs)

    def head(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager[ClientResponse]:
        """Perform a HEAD request (redirects not followed by default)."""
        kwargs.setdefault("allow_redirects", False)
        return self._open("HEAD", url, kwargs)

    def post(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager[ClientResponse]:
        """Perform a POST request."""
        return self._open("POST", url, kwargs)

    def put(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager[ClientResponse]:
        """Perform a PUT request."""
        return self._open("PUT", url, kwargs)

    def patch(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager[ClientResponse]:
        """Perform a PATCH request."""
        return self._open("PATCH", url, kwargs)

    def delete(
        self, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> RequestContextManager[ClientResponse]:
        """Perform a DELETE request."""
        return self._open("DELETE", url, kwargs)

    def ws_connect(
        self, url: str | URL, **kwargs: Unpack[WSConnectOptions]
    ) -> RequestContextManager[ClientWebSocketResponse]:
        """Open a websocket: ``async with session.ws_connect(url) as ws``."""
        from .ws_opening import open_websocket  # the handshake: loaded by the first websocket

        return RequestContextManager(open_websocket(self, url, **kwargs))

    # -- lifecycle --------------------------------------------------------------------------
    async def close(self) -> None:
        """Close the session and, if it owns it, its transport (pooled connections)."""
        if not self._closed:
            self._closed = True
            self._plain = False  # calls go the general way, which says the session is closed
            if self._owns_transport:
                await self._transport.aclose()

    def detach(self) -> None:
        """Mark the session closed without closing its transport."""
        self._closed = True
        self._plain = False

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
        if not self._closed:
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
    return _SessionRequestContextManager(session._request(method, url, kwargs), session)
