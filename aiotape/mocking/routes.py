"""Routes and the calls they record."""

from __future__ import annotations

import inspect
import json as _json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDictProxy, MultiDictProxy
from yarl import URL

from ..client.transport import Request, Response
from .matching import UNSET, DataMatch, HeadersMatch, ParamsLike, RequestPattern
from .responses import MockResponse

if TYPE_CHECKING:
    from .ws import MockWebSocket

__all__ = ["Call", "Callback", "CallbackResult", "Route", "WebSocketHandler", "WebSocketRoute"]

CallbackResult = MockResponse | Mapping[str, Any] | None
"""What a callback returns: a MockResponse, its keywords as a dict, or None for the route's."""
Callback = Callable[["Call"], CallbackResult | Awaitable[CallbackResult]]
WebSocketHandler = Callable[["MockWebSocket"], Awaitable[None]]


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
    """An HTTP route: a request pattern and its answer (``repeat`` times, default forever)."""

    __slots__ = ("callback", "repeat", "response")

    def __init__(
        self,
        pattern: RequestPattern,
        response: MockResponse,
        *,
        callback: Callback | None = None,
        repeat: int | None = None,
        order: int = 0,
    ) -> None:
        if repeat is not None and repeat < 1:
            raise ValueError("repeat must be a positive number of answers, or None for forever")
        super().__init__(pattern, order)
        self.response = response
        self.callback = callback
        self.repeat = repeat

    @property
    def exhausted(self) -> bool:
        """True once the route gave its ``repeat`` answers."""
        return self.repeat is not None and len(self._calls) >= self.repeat

    async def respond(self, call: Call) -> Response:
        """Record ``call`` and answer it (through the callback, if any)."""
        self._record(call)
        spec = self.response
        if self.callback is not None:
            result = self.callback(call)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, MockResponse):
                spec = result
            elif isinstance(result, Mapping):
                spec = MockResponse(**result)
            elif result is not None:
                raise TypeError(
                    f"mock callback must return a MockResponse, a dict or None, got {result!r}"
                )
        return spec.to_wire(call.request)

    def __repr__(self) -> str:
        return f"<Route {self.pattern.describe()}>"


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
