"""aiotape.mocking: answer every aiotape session's requests from registered routes.

``with MockRouter() as mock:`` (or the ``http_mock`` pytest fixture) mocks every session in
any task or loop; ``ClientSession(transport=MockRouter())`` mocks one session.
"""

from .matching import RequestPattern
from .responses import CallbackResult, MockResponse
from .router import MockRouter, NoMatchingRoute
from .routes import Call, Route, RouteOptions, WebSocketRoute
from .ws import MockWebSocket

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
