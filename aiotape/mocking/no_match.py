"""NoMatchingRoute: the error a MockRouter raises for a request no route answers.

Imported when first raised (or reached as ``aiotape.mocking.NoMatchingRoute``): it subclasses
``ClientConnectionError``, whose hierarchy is built on first use (``aiotape.client.exceptions``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..client import exceptions
from .routes import SHOWN_ROUTES, Call, Route, WebSocketRoute, describe_route

__all__ = ["NoMatchingRoute"]


class NoMatchingRoute(exceptions.ClientConnectionError):
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
        lines.extend(
            f"  only the query differs from route {route.pattern.describe()} "
            f"(request query: {call.url.query_string or 'none'!r})"
            for route in self._routes
            if route.pattern.differs_only_in_query(call.method, call.url)
        )
        if self._routes:
            lines.append("Registered routes, closest first:")
            ranked = sorted(self._routes, key=lambda r: r.pattern.distance(call.method, call.url))
            lines.extend(f"  {describe_route(route)}" for route in ranked[:SHOWN_ROUTES])
            if len(ranked) > SHOWN_ROUTES:
                lines.append(f"  ... and {len(ranked) - SHOWN_ROUTES} more")
        else:
            lines.append("No routes are registered.")
        return "\n".join(lines)
