"""MockRouter: a Transport that answers from registered routes and records every call."""

from __future__ import annotations

import itertools
import traceback
from collections.abc import AsyncIterable, Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDictProxy
from yarl import URL

from ..client.network import NetworkTransport
from ..client.prepare import WS_SCHEME_FOR
from ..client.transport import (
    Request,
    Response,
    Transport,
    WebSocketChannel,
    WSOptions,
    use_transport,
)
from .matching import (
    UNSET,
    DataMatch,
    ExactKey,
    HeadersMatch,
    ParamsLike,
    Passthrough,
    RequestPattern,
    UrlLike,
    exact_key,
)
from .responses import MockResponse, ResponseHeaders
from .routes import (
    SHOWN_ROUTES,
    Call,
    Callback,
    Route,
    RouteOptions,
    WebSocketHandler,
    WebSocketRoute,
    describe_route,
    first_in_turn,
    new_call,
)
from .ws import MockWebSocket, MockWebSocketChannel

if TYPE_CHECKING:
    from ..client.options import Unpack
    from .no_match import NoMatchingRoute

__all__ = ["MockRouter"]

_SEEN_URLS = 1024  # (method, URL) pairs whose exact routes are remembered


async def _read_body(body: bytes | AsyncIterable[bytes]) -> bytes:
    if type(body) is bytes:
        return body
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    return b"".join([bytes(chunk) async for chunk in body])


class MockRouter:
    """A Transport answering from routes: ``ClientSession(transport=router)``, or for every
    session at once with ``with MockRouter() as mock:`` (or the ``http_mock`` fixture).

    Exact-URL routes are indexed by method and URL, so lookups cost the same with 1 or 10 000
    routes; regex routes are scanned in registration order. Matching routes answer in
    registration order and the last one keeps answering (see Route for ``repeat``).

    ``passthrough`` names hosts (``"127.0.0.1"``, ``"localhost:8080"``) or URL prefixes
    (``"http://127.0.0.1:8080/api/"``) whose requests go to the network instead: through the
    session's own transport when the router is active for every session, else through a
    network transport of the router's own, closed by ``aclose()``.
    """

    def __init__(self, *, assert_all_called: bool = True, passthrough: Iterable[str] = ()) -> None:
        self.assert_all_called = assert_all_called
        hosts = Passthrough(passthrough)
        self._passthrough = hosts if hosts else None
        self._network: Transport | None = None
        self._activation: AbstractContextManager[None] | None = None
        self._order = itertools.count()
        self._routes: list[Route | WebSocketRoute] = []
        self._exact: dict[ExactKey, list[Route]] = {}
        self._seen: dict[tuple[str, URL], Sequence[Route]] = {}  # request -> its _exact list
        self._patterns: list[Route] = []
        self._ws_routes: list[WebSocketRoute] = []
        self._calls: list[Call] = []
        self._unmatched: list[NoMatchingRoute] = []
        self._errors: list[str] = []

    # -- registering ------------------------------------------------------------------------
    def add(
        self,
        method_or_url: str | UrlLike,
        url: UrlLike | None = None,
        /,
        *,
        method: str | None = None,
        params: ParamsLike | None = None,
        match_headers: HeadersMatch | None = None,
        match_json: Any = UNSET,
        match_data: DataMatch | None = None,
        status: int = 200,
        reason: str | None = None,
        headers: ResponseHeaders | None = None,
        json: Any = UNSET,
        text: str | None = None,
        body: bytes | str | None = None,
        chunks: Sequence[bytes | str] | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        exception: BaseException | type[BaseException] | None = None,
        repeat: int | bool | None = None,
        callback: Callback | None = None,
    ) -> Route:
        """Answer ``add(method, url)`` (or aioresponses' ``add(url, method="GET")``) requests.

        ``url`` is a str, ``yarl.URL`` or regex. ``params``, ``match_headers``, ``match_json``
        and ``match_data`` narrow which requests match. ``callback(call)`` (sync or async; or
        aioresponses' ``callback(url, **kwargs)``) may return a MockResponse (or its keywords
        as a dict) to answer instead, or None to use this route's response. ``repeat``: see
        Route; routes matching the same request answer in registration order.
        """
        method, url = _method_and_url(method_or_url, url, method)
        pattern = RequestPattern.build(
            method, url, params=params, headers=match_headers, json=match_json, data=match_data
        )
        response = MockResponse(
            status,
            reason=reason,
            headers=headers,
            json=json,
            text=text,
            body=body,
            chunks=chunks,
            content_type=content_type,
            delay=delay,
            exception=exception,
        )
        route = Route(pattern, response, callback=callback, repeat=repeat, order=next(self._order))
        key = pattern.key
        if key is None:
            self._patterns.append(route)
        else:
            self._exact.setdefault(key, []).append(route)
        self._seen.clear()
        self._routes.append(route)
        return route

    def get(self, url: UrlLike, **options: Unpack[RouteOptions]) -> Route:
        """``add("GET", url, ...)``."""
        return self.add("GET", url, **options)

    def post(self, url: UrlLike, **options: Unpack[RouteOptions]) -> Route:
        """``add("POST", url, ...)``."""
        return self.add("POST", url, **options)

    def put(self, url: UrlLike, **options: Unpack[RouteOptions]) -> Route:
        """``add("PUT", url, ...)``."""
        return self.add("PUT", url, **options)

    def patch(self, url: UrlLike, **options: Unpack[RouteOptions]) -> Route:
        """``add("PATCH", url, ...)``."""
        return self.add("PATCH", url, **options)

    def delete(self, url: UrlLike, **options: Unpack[RouteOptions]) -> Route:
        """``add("DELETE", url, ...)``."""
        return self.add("DELETE", url, **options)

    def head(self, url: UrlLike, **options: Unpack[RouteOptions]) -> Route:
        """``add("HEAD", url, ...)``."""
        return self.add("HEAD", url, **options)

    def options(self, url: UrlLike, **options: Unpack[RouteOptions]) -> Route:
        """``add("OPTIONS", url, ...)``."""
        return self.add("OPTIONS", url, **options)

    def ws(
        self,
        url: UrlLike,
        handler: WebSocketHandler,
        *,
        params: ParamsLike | None = None,
        match_headers: HeadersMatch | None = None,
        protocols: Sequence[str] = (),
    ) -> WebSocketRoute:
        """Serve websocket connections to ``url`` (ws/wss; http/https are mapped) with
        ``async def handler(ws: MockWebSocket)``, run once per connection. ``protocols`` are
        the subprotocols this server accepts; the client's first accepted one is chosen.
        """
        if isinstance(url, (str, URL)):
            url = URL(url)
            url = url.with_scheme(WS_SCHEME_FOR.get(url.scheme, url.scheme))
        pattern = RequestPattern.build("GET", url, params=params, headers=match_headers)
        route = WebSocketRoute(
            pattern, handler, protocols=tuple(protocols), order=next(self._order)
        )
        self._ws_routes.append(route)
        self._routes.append(route)
        return route

    # -- the Transport protocol ----------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        """Answer ``request`` from the first matching route, or raise NoMatchingRoute."""
        method, url, headers, body = request.method, request.url, request.headers, request.body
        if self._passthrough is not None and self._passthrough.matches(url):
            return await self._network_for(None).handle(request)
        if type(body) is not bytes:
            body = await _read_body(body)
        exact = self._seen.get((method, url))
        if exact is None:
            exact = self._exact_routes(method, url)
        if self._patterns:
            found = self._pick(method, url, headers, body, exact)
        else:  # exact routes only: already in registration order
            found = first_in_turn(exact, headers, body)
        call = new_call(method, url, headers, body, request, found)
        self._calls.append(call)
        if found is None:
            raise self._no_match(call)
        if found.callback is None:
            return found.answer(call)
        return await found.respond(call)

    async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
        """Open a mocked websocket: the matching route's handler runs as the server."""
        return await self._open_ws(request, options, None)

    async def aclose(self) -> None:
        """Close the network transport passthrough requests used; routes and calls stay."""
        network, self._network = self._network, None
        if network is not None:
            await network.aclose()

    def override(self, inner: Transport) -> Transport:
        """For ``use_transport``: this router, with passthrough requests sent to ``inner``."""
        return self if self._passthrough is None else _WithInner(self, inner)

    # -- answering -------------------------------------------------------------------------------
    def _network_for(self, inner: Transport | None) -> Transport:
        if inner is not None:
            return inner
        if self._network is None:
            self._network = NetworkTransport()
        return self._network

    def _exact_routes(self, method: str, url: URL) -> Sequence[Route]:
        """The exact-URL routes of a request (remembered for its method and URL object)."""
        exact = self._exact.get(exact_key(method, url), ())
        if len(self._seen) >= _SEEN_URLS:
            self._seen.clear()
        self._seen[method, url] = exact
        return exact

    def _pick(
        self,
        method: str,
        url: URL,
        headers: CIMultiDictProxy[str],
        body: bytes,
        exact: Sequence[Route],
    ) -> Route | None:
        """With regex routes: of the exact and the regex routes matching the request, the
        first whose turn it is, else the last one still answering (if any)."""
        scanned = [route for route in self._patterns if route.pattern.matches_url(method, url)]
        if not scanned:
            return first_in_turn(exact, headers, body)
        ordered = sorted([*exact, *scanned], key=lambda route: route.order)
        return first_in_turn(ordered, headers, body)

    async def _open_ws(
        self, request: Request, options: WSOptions, inner: Transport | None
    ) -> WebSocketChannel:
        if self._passthrough is not None and self._passthrough.matches(request.url):
            return await self._network_for(inner).connect_ws(request, options)
        method, url, headers = request.method, request.url, request.headers
        found = next(
            (
                route
                for route in self._ws_routes
                if route.pattern.matches_url(method, url)
                and route.pattern.matches_rest(headers, b"")
            ),
            None,
        )
        call = new_call(method, url, headers, b"", request, found)
        self._calls.append(call)
        if found is None:
            raise self._no_match(call)
        found.accept(call)
        chosen = next((p for p in options.protocols if p in found.protocols), None)
        return MockWebSocketChannel(
            MockWebSocket(call, chosen), found.handler, self._handler_failed(found)
        )

    # -- failures ------------------------------------------------------------------------------
    def _no_match(self, call: Call) -> NoMatchingRoute:
        from .no_match import NoMatchingRoute  # its bases are built on first use

        error = NoMatchingRoute(call, self._routes)
        self._unmatched.append(error)
        return error

    def _handler_failed(self, route: WebSocketRoute) -> Callable[[BaseException], None]:
        def record(exc: BaseException) -> None:
            trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self._errors.append(f"websocket handler of {route!r} raised:\n{trace}")

        return record

    # -- inspecting ----------------------------------------------------------------------------
    @property
    def routes(self) -> list[Route | WebSocketRoute]:
        """Every registered route, in registration order."""
        return self._routes

    @property
    def calls(self) -> list[Call]:
        """Every request received (matched or not), oldest first."""
        return self._calls

    @property
    def unmatched(self) -> list[NoMatchingRoute]:
        """The errors raised for requests no route matched."""
        return self._unmatched

    def get_requests(self, method: str | None = None, url: UrlLike | None = None) -> list[Call]:
        """Received requests, optionally only those with this method and/or URL."""
        target = RequestPattern.build(method or "GET", url) if url is not None else None
        wanted = method.upper() if method is not None else None
        return [
            call
            for call in self._calls
            if (wanted is None or call.method == wanted)
            and (target is None or target.matches_target(call.url))
        ]

    def get_request(self, method: str | None = None, url: UrlLike | None = None) -> Call | None:
        """The one received request with this method and/or URL; None if there is none."""
        found = self.get_requests(method, url)
        if len(found) > 1:
            raise AssertionError(
                f"expected at most one matching request, got {len(found)}: "
                + ", ".join(map(str, found))
            )
        return found[0] if found else None

    def problems(self, *, check_unused: bool | None = None) -> list[str]:
        """What should fail a test: unmatched requests, websocket handler errors and (unless
        ``check_unused`` is False, default ``assert_all_called``) routes never called.
        """
        found = [str(error) for error in self._unmatched]
        found.extend(self._errors)
        if check_unused if check_unused is not None else self.assert_all_called:
            unused = [route for route in self._routes if not route.called]
            if unused:
                lines = [f"  {describe_route(route)}" for route in unused[:SHOWN_ROUTES]]
                if len(unused) > SHOWN_ROUTES:
                    lines.append(f"  ... and {len(unused) - SHOWN_ROUTES} more")
                found.append(
                    f"{len(unused)} mock route(s) were never called (use assert_all_called="
                    "False to allow that):\n" + "\n".join(lines)
                )
        return found

    def verify(self, *, check_unused: bool | None = None) -> None:
        """Raise AssertionError listing every problem (see ``problems``)."""
        found = self.problems(check_unused=check_unused)
        if found:
            raise AssertionError("\n\n".join(found))

    def reset(self) -> None:
        """Forget routes, calls and failures."""
        for log in (self._routes, self._patterns, self._ws_routes, self._calls):
            log.clear()
        self._exact.clear()
        self._seen.clear()
        self._unmatched.clear()
        self._errors.clear()

    # -- activation ----------------------------------------------------------------------------
    def __enter__(self) -> MockRouter:
        if self._activation is not None:
            raise RuntimeError("this MockRouter is already active")
        self._activation = use_transport(self.override)
        self._activation.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        activation, self._activation = self._activation, None
        if activation is not None:
            activation.__exit__(exc_type, exc, tb)
        if exc_type is None:
            self.verify()


class _WithInner:
    """A MockRouter bound to one session's own transport, for its passthrough requests."""

    __slots__ = ("_inner", "_router")

    def __init__(self, router: MockRouter, inner: Transport) -> None:
        self._router = router
        self._inner = inner

    async def handle(self, request: Request) -> Response:
        """Answer from the router's routes, or pass through to the session's transport."""
        router = self._router
        if router._passthrough is not None and router._passthrough.matches(request.url):
            return await self._inner.handle(request)
        return await router.handle(request)

    async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
        """Open a mocked websocket, or pass through to the session's transport."""
        return await self._router._open_ws(request, options, self._inner)

    async def aclose(self) -> None:
        """Nothing to release: the inner transport belongs to the session."""


def _method_and_url(
    method_or_url: str | UrlLike, url: UrlLike | None, method: str | None
) -> tuple[str, UrlLike]:
    """``add(method, url)`` or aioresponses' ``add(url, method="GET")``: method and URL."""
    if url is None:
        return method or "GET", method_or_url
    if method is not None:
        raise TypeError("give the method once: add(method, url) or add(url, method=...)")
    if not isinstance(method_or_url, str):
        raise TypeError(f"add(method, url) needs a method name, got {method_or_url!r}")
    return method_or_url, url
