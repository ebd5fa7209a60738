"""aiotape.mocking: answer every aiotape session's requests from registered routes.

``with MockRouter() as mock:`` (or the ``http_mock`` pytest fixture) mocks every session in
any task or loop; ``ClientSession(transport=MockRouter())`` mocks one session.
"""

from typing import TYPE_CHECKING

from .matching import RequestPattern
from .responses import CallbackResult, MockResponse
from .router import MockRouter
from .routes import Call, Route, RouteOptions, WebSocketRoute
from .ws import MockWebSocket

if TYPE_CHECKING:
    from .no_match import NoMatchingRoute

__all__ = [
    "Call",
    "CallbackResult",
    "MockResponse",
    "MockRouter",
    "MockWebSocket",
    "NoMatchingRoute",
    "RequestPattern",
    "Route",
    "RouteOptions",
    "WebSocketRoute",
]


def __getattr__(name: str) -> type[Exception]:
    """``NoMatchingRoute``, imported on first use (its bases are built then)."""
    if name != "NoMatchingRoute":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .no_match import NoMatchingRoute

    return NoMatchingRoute
