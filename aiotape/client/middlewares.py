"""Client middlewares (aiohttp 3.12+): ``async def mw(req, handler) -> ClientResponse``.

A session runs its middlewares (or a request's own ``middlewares=``, which replace the
session's) around each hop of a request, redirects included, above the seam: they see the same
:class:`ClientRequest` whether the answer comes from the network, a mock or a cassette. A
middleware may change the request, call ``handler`` any number of times (retries) or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .request_info import RequestInfo
from .transport import Request

if TYPE_CHECKING:
    from .fingerprint import SSLSetting
    from .response import ClientResponse
    from .session import ClientSession

__all__ = [
    "ClientHandlerType",
    "ClientMiddlewareType",
    "ClientRequest",
    "build_client_middlewares",
]


class ClientRequest:
    """One hop of a request as middlewares see it: ``method``, ``url``, mutable ``headers``
    (final: Host, cookies, Authorization... included) and ``body`` (bytes or a stream)."""

    __slots__ = ("_wire", "body", "headers", "method", "original_url", "session", "url")

    def __init__(self, wire: Request, session: ClientSession, original_url: URL) -> None:
        self.method = wire.method
        self.url = wire.url
        self.original_url = original_url
        self.headers: CIMultiDict[str] = CIMultiDict(wire.headers)
        self.body: bytes | AsyncIterable[bytes] = wire.body
        self.session = session
        self._wire = wire

    @property
    def host(self) -> str:
        """The URL's host."""
        return self.url.raw_host or ""

    @property
    def port(self) -> int | None:
        """The URL's port (the scheme's default when not given)."""
        return self.url.port

    @property
    def ssl(self) -> SSLSetting:
        """The request's ``ssl=`` setting."""
        return self._wire.ssl

    @property
    def server_hostname(self) -> str | None:
        """The TLS server name override, if any."""
        return self._wire.server_hostname

    def is_ssl(self) -> bool:
        """True for https (and wss) URLs."""
        return self.url.scheme in ("https", "wss")

    @property
    def request_info(self) -> RequestInfo:
        """What responses and errors report about this request."""
        return RequestInfo(self.url, self.method, CIMultiDictProxy(self.headers), self.original_url)

    def wire_request(self) -> Request:
        """The seam request for this hop, with the middlewares' changes applied."""
        wire = self._wire
        if (
            self.method == wire.method
            and self.url is wire.url
            and self.body is wire.body
            and self.headers == wire.headers
        ):
            return wire
        return wire.replace(
            method=self.method,
            url=self.url,
            headers=CIMultiDictProxy(CIMultiDict(self.headers)),
            body=self.body,
        )

    def __repr__(self) -> str:
        return f"<ClientRequest({self.method} {self.url})>"


ClientHandlerType = Callable[[ClientRequest], Awaitable["ClientResponse"]]
"""Sends a request on (to the next middleware, or the transport) and returns the response."""

ClientMiddlewareType = Callable[[ClientRequest, ClientHandlerType], Awaitable["ClientResponse"]]
"""``async def middleware(request, handler) -> ClientResponse``."""


def build_client_middlewares(
    handler: ClientHandlerType, middlewares: Sequence[ClientMiddlewareType]
) -> ClientHandlerType:
    """``handler`` wrapped in ``middlewares``: the first one listed is the outermost."""
    for middleware in reversed(middlewares):
        handler = _bind(middleware, handler)
    return handler


def _bind(middleware: ClientMiddlewareType, handler: ClientHandlerType) -> ClientHandlerType:
    async def call(request: ClientRequest) -> ClientResponse:
        return await middleware(request, handler)

    return call
