"""Routes and the calls they record."""

from __future__ import annotations

import inspect
import json as _json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import parse_qsl

from multidict import CIMultiDictProxy, MultiDictProxy
from yarl import URL

from ..client.transport import Request, Response
from .matching import UNSET, DataMatch, HeadersMatch, ParamsLike, RequestPattern
from .responses import CallbackResult, MockResponse, ResponseHeaders

if TYPE_CHECKING:
    from .ws import MockWebSocket

__all__ = [
    "SHOWN_ROUTES",
    "Call",
    "Callback",
    "CallbackReturn",
    "Route",
    "RouteOptions",
    "WebSocketHandler",
    "WebSocketRoute",
    "describe_route",
    "first_in_turn",
    "new_call",
]

SHOWN_ROUTES = 10
"""How many routes error messages list."""

CallbackReturn = MockResponse | CallbackResult | Mapping[str, Any] | None
"""What a callback returns: a MockResponse (or aioresponses' CallbackResult), MockResponse's
keywords as a dict, or None for the route's own answer."""
Callback = Callable[..., CallbackReturn | Awaitable[CallbackReturn]]
"""``callback(call)``, or aioresponses' ``callback(url, **kwargs)`` (told apart by signature)."""
WebSocketHandler = Callable[["MockWebSocket"], Awaitable[None]]


class RouteOptions(TypedDict, total=False):
    """The keywords of ``MockRouter.add`` (and ``get``, ``post``...) after method and URL."""

    params: ParamsLike | None
    match_headers: HeadersMatch | None
    match_json: Any
    match_data: DataMatch | None
    status: int
    reason: str | None
    headers: ResponseHeaders | None
    json: Any
    text: str | None
    body: bytes | str | None
    chunks: Sequence[bytes | str] | None
    content_type: str | None
    delay: float
    exception: BaseException | type[BaseException] | None
    repeat: int | bool | None
    callback: Callback | None


@dataclass(frozen=True, slots=True)
class Call:
    """One request a mock received: what the client sent, body read in full."""

    method: str
    url: URL
    headers: CIMultiDictProxy[str]
    body: bytes
    request: Request = field(repr=False, compare=False)
    route: Route | WebSocketRoute | None = field(default=None, repr=False, compare=False)

    @property
    def params(self) -> MultiDictProxy[str]:
        """The query parameters."""
        return self.url.query

    def json(self) -> Any:
        """The body decoded as JSON."""
        return _json.loads(self.body)

    def text(self, encoding: str = "utf-8") -> str:
        """The body decoded as text."""
        return self.body.decode(encoding)

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


_set_method, _set_url, _set_headers, _set_body, _set_request, _set_route = (
    Call.__dict__[f.name].__set__ for f in fields(Call)
)
_new = object.__new__


def new_call(
    method: str,
    url: URL,
    headers: CIMultiDictProxy[str],
    body: bytes,
    request: Request,
    route: Route | WebSocketRoute | None,
) -> Call:
    """``Call(...)``, its fields set straight into their slots: the frozen dataclass's
    ``__init__`` pays a checked ``object.__setattr__`` per field, on every mocked request."""
    call: Call = _new(Call)
    _set_method(call, method)
    _set_url(call, url)
    _set_headers(call, headers)
    _set_body(call, body)
    _set_request(call, request)
    _set_route(call, route)
    return call


class _CallLog:
    """Call recording and assertions shared by HTTP and websocket routes."""

    __slots__ = ("_calls", "order", "pattern")

    def __init__(self, pattern: RequestPattern, order: int) -> None:
        self.pattern = pattern
        self.order = order
        self._calls: list[Call] = []

    @property
    def calls(self) -> list[Call]:
        """Calls answered by this route, oldest first."""
        return self._calls

    @property
    def called(self) -> bool:
        """True once the route answered a request."""
        return bool(self._calls)

    @property
    def call_count(self) -> int:
        """How many requests the route answered."""
        return len(self._calls)

    @property
    def last_call(self) -> Call | None:
        """The most recent call, if any."""
        return self._calls[-1] if self._calls else None

    def _record(self, call: Call) -> None:
        self._calls.append(call)

    def assert_called(self) -> None:
        """Fail unless the route answered at least once."""
        if not self._calls:
            raise AssertionError(f"{self!r} was not called")

    def assert_not_called(self) -> None:
        """Fail if the route answered any request."""
        if self._calls:
            raise AssertionError(f"{self!r} was called {len(self._calls)} time(s)")

    def assert_called_once(self) -> None:
        """Fail unless the route answered exactly once."""
        if len(self._calls) != 1:
            raise AssertionError(f"{self!r} was called {len(self._calls)} time(s), expected 1")

    def assert_called_with(
        self,
        *,
        params: ParamsLike | None = None,
        headers: HeadersMatch | None = None,
        json: Any = UNSET,
        data: DataMatch | None = None,
    ) -> None:
        """Fail unless the last call carried these params, headers, JSON body or data."""
        call = self.last_call
        if call is None:
            raise AssertionError(f"{self!r} was not called")
        base = call.url.with_query(None) if params is not None else call.url
        expected = RequestPattern.build(
            call.method, base, params=params, headers=headers, json=json, data=data
        )
        if not (
            expected.matches_url(call.method, call.url)
            and expected.matches_rest(call.headers, call.body)
        ):
            raise AssertionError(
                f"last call to {self!r} does not match\n  expected: {expected.describe()}\n"
                f"  actual:   {call} headers={dict(call.headers)!r} body={call.body!r}"
            )

    def assert_called_once_with(
        self,
        *,
        params: ParamsLike | None = None,
        headers: HeadersMatch | None = None,
        json: Any = UNSET,
        data: DataMatch | None = None,
    ) -> None:
        """``assert_called_once`` and ``assert_called_with`` together."""
        self.assert_called_once()
        self.assert_called_with(params=params, headers=headers, json=json, data=data)


class Route(_CallLog):
    """An HTTP route: a request pattern and its answer.

    ``repeat`` (aioresponses' meaning): None (default) answers once in turn, then keeps
    answering while it is the last matching route (pytest-httpx's rule); an int N answers N
    times, then never again; True answers every time; False is once.
    """

    __slots__ = ("_conditional", "_url_style", "callback", "limit", "repeat", "response", "turns")

    def __init__(
        self,
        pattern: RequestPattern,
        response: MockResponse,
        *,
        callback: Callback | None = None,
        repeat: int | bool | None = None,
        order: int = 0,
    ) -> None:
        turns: int | None
        limit: int | None
        if repeat is None:
            turns, limit = 1, None
        elif repeat is True:
            turns = limit = None
        elif repeat is False or repeat >= 1:
            turns = limit = int(repeat) or 1
        else:
            raise ValueError("repeat must be a positive number of answers, True or None")
        super().__init__(pattern, order)
        self.response = response
        self.callback = callback
        self.repeat = repeat
        self.turns = turns  # answers before later matching routes get a turn (None: never)
        self.limit = limit  # answers after which the route is used up (None: no limit)
        self._url_style = callback is not None and _takes_url_and_kwargs(callback)
        self._conditional = pattern.conditional

    @property
    def exhausted(self) -> bool:
        """True once the route gave its ``repeat`` answers."""
        return self.limit is not None and len(self._calls) >= self.limit

    def answer(self, call: Call) -> Response:
        """Record ``call`` and answer it with the route's own response (no callback)."""
        self._calls.append(call)
        return self.response.to_wire(call.request)

    async def respond(self, call: Call) -> Response:
        """Record ``call`` and answer it (through the callback, if any)."""
        if self.callback is None:
            return self.answer(call)
        self._calls.append(call)
        if self._url_style:
            result = self.callback(call.url, **_aioresponses_kwargs(call))
        else:
            result = self.callback(call)
        if inspect.isawaitable(result):
            result = await result
        spec = self.response
        if isinstance(result, MockResponse):
            spec = result
        elif isinstance(result, CallbackResult):
            spec = result.to_mock_response()
        elif isinstance(result, Mapping):
            spec = MockResponse(**result)
        elif result is not None:
            raise TypeError(
                "mock callback must return a MockResponse, a CallbackResult, a dict or "
                f"None, got {result!r}"
            )
        return spec.to_wire(call.request)

    def __repr__(self) -> str:
        return f"<Route {self.pattern.describe()}>"


def first_in_turn(
    routes: Iterable[Route], headers: CIMultiDictProxy[str], body: bytes
) -> Route | None:
    """Of ``routes`` (in registration order, method and URL matched), the first whose turn
    it is, else the last one still answering (see Route); None when none answers."""
    last = None
    for route in routes:
        used = len(route._calls)
        if route.limit is not None and used >= route.limit:
            continue
        if route._conditional and not route.pattern.matches_rest(headers, body):
            continue
        if route.turns is None or used < route.turns:
            return route
        last = route
    return last


def _takes_url_and_kwargs(callback: Callback) -> bool:
    """aioresponses-style callbacks take ``(url, **kwargs)``; ours take ``(call)``."""
    try:
        parameters = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _aioresponses_kwargs(call: Call) -> dict[str, Any]:
    """What aioresponses passes a callback besides the URL, rebuilt from the wire request.

    ``headers`` and ``params`` always; ``json`` (decoded) for a JSON body, ``data`` for any
    other body: form fields as a dict for a url-encoded form, else the raw bytes.
    """
    kwargs: dict[str, Any] = {"headers": call.headers, "params": call.params}
    kwargs["json"] = kwargs["data"] = None
    content_type = call.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not call.body:
        return kwargs
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            kwargs["json"] = call.json()
            return kwargs
        except ValueError:
            pass
    if content_type == "application/x-www-form-urlencoded":
        kwargs["data"] = dict(parse_qsl(call.body.decode("latin-1"), keep_blank_values=True))
    else:
        kwargs["data"] = call.body
    return kwargs


class WebSocketRoute(_CallLog):
    """A websocket route: a URL pattern and the server-side handler run per connection."""

    __slots__ = ("handler", "protocols")

    def __init__(
        self,
        pattern: RequestPattern,
        handler: WebSocketHandler,
        *,
        protocols: tuple[str, ...] = (),
        order: int = 0,
    ) -> None:
        super().__init__(pattern, order)
        self.handler = handler
        self.protocols = protocols

    def accept(self, call: Call) -> None:
        """Record an opening handshake."""
        self._record(call)

    def __repr__(self) -> str:
        return f"<WebSocketRoute {self.pattern.describe()}>"


def describe_route(route: Route | WebSocketRoute) -> str:
    """One line for a route in error messages: its pattern and how often it was called."""
    kind = "websocket " if isinstance(route, WebSocketRoute) else ""
    used = f"called {route.call_count} time(s)"
    if isinstance(route, Route) and route.limit is not None:
        used += f" of {route.limit}" + (", used up" if route.exhausted else "")
    return f"{kind}{route.pattern.describe()} [{used}]"
