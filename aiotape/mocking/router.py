"""MockRouter: a Transport that answers from registered routes and records every call."""

from __future__ import annotations

import itertools
import traceback
from collections.abc import AsyncIterable, Callable, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from yarl import URL

from ..client.exceptions import ClientConnectionError
from ..client.prepare import WS_SCHEME_FOR
from ..client.transport import Request, Response, WebSocketChannel, WSOptions, use_transport
from .matching import (
    UNSET,
    DataMatch,
    ExactKey,
    HeadersMatch,
    ParamsLike,
    RequestPattern,
    UrlLike,
    exact_key,
)
from .responses import MockResponse, ResponseHeaders
from .routes import Call, Callback, Route, WebSocketHandler, WebSocketRoute
from .ws import MockWebSocket, MockWebSocketChannel

__all__ = ["MockRouter", "NoMatchingRoute"]

_SHOWN_ROUTES = 10


class NoMatchingRoute(ClientConnectionError):
    """No registered mock route answers the request; ``str()`` lists the closest routes."""

    def __init__(self, call: Call, routes: Sequence[Route | WebSocketRoute]) -> None:
        super().__init__(f"No mock route matches {call}")
        self.call = call
        self._routes = tuple(routes)
        self._message: str | None = None

    def __str__(self) -> str:
        if self._message is None:
            self._message = self._render()
        return self._message

    def _render(self) -> str:
        call = self.call
        lines = [str(self.args[0])]
        if call.body:
            body = call.body if len(call.body) <= 200 else call.body[:200] + b"..."
            lines.append(f"  body: {body!r}")
        if self._routes:
            lines.append("Registered routes, closest first:")
            ranked = sorted(self._routes, key=lambda r: r.pattern.distance(call.method, call.url))
            lines.extend(f"  {_describe(route)}" for route in ranked[:_SHOWN_ROUTES])
            if len(ranked) > _SHOWN_ROUTES:
                lines.append(f"  ... and {len(ranked) - _SHOWN_ROUTES} more")
        else:
            lines.append("No routes are registered.")
        return "\n".join(lines)


def _describe(route: Route | WebSocketRoute) -> str:
    kind = "websocket " if isinstance(route, WebSocketRoute) else ""
    used = f"called {route.call_count} time(s)"
    if isinstance(route, Route) and route.repeat is not None:
        used += f" of {route.repeat}" + (", used up" if route.exhausted else "")
    return f"{kind}{route.pattern.describe()} [{used}]"


async def _read_body(body: bytes | AsyncIterable[bytes]) -> bytes:
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    return b"".join([bytes(chunk) async for chunk in body])


class MockRouter:
    """A Transport answering from routes: ``ClientSession(transport=router)``, or for every
    session at once with ``with MockRouter() as mock:`` (or the ``http_mock`` fixture).

    Exact-URL routes are indexed by method and URL, so lookups cost the same with 1 or 10 000
    routes; regex routes are scanned in registration order. The earliest registered route
    that matches and is not used up answers.
    """

    def __init__(self, *, assert_all_called: bool = True) -> None:
        self.assert_all_called = assert_all_called
        self._activation: AbstractContextManager[None] | None = None
        self._order = itertools.count()
        self._routes: list[Route | WebSocketRoute] = []
        self._exact: dict[ExactKey, list[Route]] = {}
        self._patterns: list[Route] = []
        self._ws_routes: list[WebSocketRoute] = []
        self._calls: list[Call] = []
        self._unmatched: list[NoMatchingRoute] = []
        self._errors: list[str] = []

    # -- registering ------------------------------------------------------------------------
    def add(
        self,
        method: str,
        url: UrlLike,
        *,
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
        repeat: int | None = None,
        callback: Callback | None = None,
    ) -> Route:
        """Answer ``method url`` (a str, ``yarl.URL`` or regex) with the given response.

        ``params``, ``match_headers``, ``match_json`` and ``match_data`` narrow which requests
        match. ``callback(call)`` (sync or async) may return a MockResponse (or its keywords
        as a dict) to answer instead, or None to use this route's response.
        """
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
        self._routes.append(route)
        return route

    def get(self, url: UrlLike, **kwargs: Any) -> Route:
        """``add("GET", url, ...)``."""
        return self.add("GET", url, **kwargs)

    def post(self, url: UrlLike, **kwargs: Any) -> Route:
        """``add("POST", url, ...)``."""
        return self.add("POST", url, **kwargs)

    def put(self, url: UrlLike, **kwargs: Any) -> Route:
        """``add("PUT", url, ...)``."""
        return self.add("PUT", url, **kwargs)

    def patch(self, url: UrlLike, **kwargs: Any) -> Route:
        """``add("PATCH", url, ...)``."""
        return self.add("PATCH", url, **kwargs)

    def delete(self, url: UrlLike, **kwargs: Any) -> Route:
        """``add("DELETE", url, ...)``."""
        return self.add("DELETE", url, **kwargs)

    def head(self, url: UrlLike, **kwargs: Any) -> Route:
        """``add("HEAD", url, ...)``."""
        return self.add("HEAD", url, **kwargs)

    def options(self, url: UrlLike, **kwargs: Any) -> Route:
        """``add("OPTIONS", url, ...)``."""
        return self.add("OPTIONS", url, **kwargs)

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
        body = await _read_body(request.body)
        method, url, headers = request.method, request.url, request.headers
        found: Route | None = None
        for route in self._exact.get(exact_key(method, url), ()):
            if not route.exhausted and route.pattern.matches_rest(headers, body):
                found = route
                break
        for route in self._patterns:
            if found is not None and route.order > found.order:
                break
            if (
                not route.exhausted
                and route.pattern.matches_url(method, url)
                and route.pattern.matches_rest(headers, body)
            ):
                found = route
                break
        call = Call(method, url, headers, body, request, found)
        self._calls.append(call)
        if found is None:
            raise self._no_match(call)
        return await found.respond(call)

    async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
        """Open a mocked websocket: the matching route's handler runs as the server."""
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
        call = Call(method, url, headers, b"", request, found)
        self._calls.append(call)
        if found is None:
            raise self._no_match(call)
        found.accept(call)
        chosen = next((p for p in options.protocols if p in found.protocols), None)
        return MockWebSocketChannel(
            MockWebSocket(call, chosen), found.handler, self._handler_failed(found)
        )

    async def aclose(self) -> None:
        """Nothing to release: routes and calls stay inspectable."""

    # -- failures ------------------------------------------------------------------------------
    def _no_match(self, call: Call) -> NoMatchingRoute:
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
                lines = [f"  {_describe(route)}" for route in unused[:_SHOWN_ROUTES]]
                if len(unused) > _SHOWN_ROUTES:
                    lines.append(f"  ... and {len(unused) - _SHOWN_ROUTES} more")
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
        self._unmatched.clear()
        self._errors.clear()

    # -- activation ----------------------------------------------------------------------------
    def __enter__(self) -> MockRouter:
        if self._activation is not None:
            raise RuntimeError("this MockRouter is already active")
        self._activation = use_transport(self)
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
