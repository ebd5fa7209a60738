"""The seam's protocols: what a transport implements, and the body and tracing hooks that
cross the seam with its requests and responses.

Nothing in a request needs them at run time (they are structural types), so they are built
only for type checkers, transport authors and ``isinstance`` checks: ``aiotape.transport``,
``aiotape.Transport`` and ``aiotape.client.transport`` hand them out on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from yarl import URL

    from .seam_request import Request
    from .transport import Response
    from .ws_types import WebSocketChannel, WSOptions

__all__ = ["BodyStream", "TraceHooks", "Transport", "TransportOverride"]


class TraceHooks(Protocol):
    """The tracing signals fired below the session, on ``Request.trace`` and by responses
    (``request_trace.RequestTrace`` implements them): connections, DNS, headers sent, body read."""

    async def send_request_headers(self, request: Request) -> None: ...

    async def send_response_chunk_received(self, method: str, url: URL, chunk: bytes) -> None: ...

    async def send_connection_queued_start(self) -> None: ...

    async def send_connection_queued_end(self) -> None: ...

    async def send_connection_create_start(self) -> None: ...

    async def send_connection_create_end(self) -> None: ...

    async def send_connection_reuseconn(self) -> None: ...

    async def send_dns_lookup_start(self, host: str, cached: bool) -> None: ...

    async def send_dns_resolvehost_end(self, host: str) -> None: ...

    async def send_dns_cache_hit(self, host: str) -> None: ...


class BodyStream(Protocol):
    """Wire body chunks of one response: de-chunked, still content-encoded."""

    async def read_chunk(self) -> bytes:
        """The next chunk as it arrived; ``b""`` once the body is complete."""
        ...

    def close(self) -> None:
        """Release the body. Before the end this drops the underlying connection."""
        ...


@runtime_checkable
class Transport(Protocol):
    """Turns a Request into a Response (and a websocket Request into a channel)."""

    async def handle(self, request: Request) -> Response:
        """Send ``request`` and return the response head with a body stream."""
        ...

    async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
        """Open a websocket to ``request.url`` (ws/wss) and return the channel."""
        ...

    async def aclose(self) -> None:
        """Release every resource (pooled connections...)."""
        ...


TransportOverride = Callable[[Transport], Transport]
"""Given a session's own transport, returns the transport to use instead for one request."""
