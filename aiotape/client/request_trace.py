"""One request's tracers (:class:`RequestTrace`): fires a session's ``TraceConfig`` signals.

Imported only by sessions that have trace configs, with the ``Trace*Params`` classes it builds.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from .response_exceptions import WSServerHandshakeError
from .trace_params import (
    TraceConnectionCreateEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionReuseconnParams,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
    TraceDnsResolveHostEndParams,
    TraceDnsResolveHostStartParams,
    TraceRequestChunkSentParams,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestHeadersSentParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
    TraceResponseChunkReceivedParams,
)

if TYPE_CHECKING:
    from .response import ClientResponse
    from .tracing import TraceConfig
    from .transport import Request, Response, Transport, WebSocketChannel, WSOptions

__all__ = ["RequestTrace"]


class RequestTrace:
    """One request's tracers: each TraceConfig with its context; fires signals in order.

    It also travels on the wire ``Request`` (``request.trace``), where the network transport
    fires connection, DNS and "headers sent" signals. For transports that do not (mocks,
    cassettes), :meth:`transport` fires "headers sent" itself once the exchange is answered.
    """

    __slots__ = ("_given_url", "_session", "_tracers", "_unsent")

    def __init__(self, session: object, configs: Sequence[TraceConfig], ctx: Any) -> None:
        self._session = session
        self._tracers = [(config, config.trace_config_ctx(ctx)) for config in configs]
        self._unsent: Request | None = None
        self._given_url: URL | None = None  # a websocket's URL as given (http or ws)

    async def _send(self, signal: str, params: object) -> None:
        session = self._session
        for config, ctx in self._tracers:
            await getattr(config, signal).send(session, ctx, params)

    # -- fired by the session ---------------------------------------------------------------
    async def send_request_start(
        self,
        method: str,
        url: URL,
        defaults: CIMultiDict[str],
        headers: Any,
    ) -> CIMultiDict[str]:
        """Fire ``on_request_start`` with the session's and the caller's headers merged.

        Returns those headers: callbacks may add to them (tracing headers), and the request
        is then built from them.
        """
        merged = CIMultiDict(defaults)
        if headers:
            given = CIMultiDict(headers)
            for name in given:
                merged.popall(name, None)
            merged.extend(given)
        await self._send("on_request_start", TraceRequestStartParams(method, url, merged))
        return merged

    async def send_request_redirect(
        self, method: str, url: URL, headers: Any, response: ClientResponse
    ) -> None:
        """Fire ``on_request_redirect`` for a hop answered with a redirect."""
        params = TraceRequestRedirectParams(method, url, _headers(headers), response)
        await self._send("on_request_redirect", params)

    async def send_request_end(
        self, method: str, url: URL, headers: Any, response: ClientResponse
    ) -> None:
        """Fire ``on_request_end`` once the final response is there; traces ``read()``."""
        response._trace = self
        await self._send(
            "on_request_end", TraceRequestEndParams(method, url, _headers(headers), response)
        )

    async def send_request_exception(
        self, method: str, url: URL, headers: Any, exception: BaseException
    ) -> None:
        """Fire ``on_request_exception``."""
        params = TraceRequestExceptionParams(method, url, _headers(headers), exception)
        await self._send("on_request_exception", params)

    async def send_response_chunk_received(self, method: str, url: URL, chunk: bytes) -> None:
        """Fire ``on_response_chunk_received`` (aiohttp: the whole body, from ``read()``)."""
        await self._send(
            "on_response_chunk_received", TraceResponseChunkReceivedParams(method, url, chunk)
        )

    async def connect_ws(
        self, inner: Transport, request: Request, options: WSOptions, url: URL
    ) -> WebSocketChannel:
        """Open a websocket through ``inner``; once the server answered (accepting or
        refusing: WSServerHandshakeError), fire "headers sent" unless the transport did.
        Signals report ``url`` (http or ws, as given), as aiohttp's do."""
        self._unsent, self._given_url = request, url
        try:
            channel = await inner.connect_ws(request, options)
        except WSServerHandshakeError:
            await self._flush()
            raise
        await self._flush()
        return channel

    def transport(self, inner: Transport) -> Transport:
        """``inner`` wrapped so each exchange fires "headers sent" and "chunk sent"."""
        return _TracedTransport(inner, self)

    # -- fired by the network transport (or by _TracedTransport for the others) -------------
    async def send_request_headers(self, request: Request) -> None:
        """Fire ``on_request_headers_sent`` (and ``on_request_chunk_sent`` for a bytes body)."""
        self._unsent = None
        method, url = request.method, self._given_url or request.url
        params = TraceRequestHeadersSentParams(method, url, CIMultiDict(request.headers))
        await self._send("on_request_headers_sent", params)
        body = request.body
        if body and isinstance(body, bytes):
            await self.send_request_chunk_sent(method, url, body)

    async def send_request_chunk_sent(self, method: str, url: URL, chunk: bytes) -> None:
        """Fire ``on_request_chunk_sent``."""
        await self._send("on_request_chunk_sent", TraceRequestChunkSentParams(method, url, chunk))

    async def send_connection_queued_start(self) -> None:
        """Fire ``on_connection_queued_start``: no free slot, the request waits."""
        await self._send("on_connection_queued_start", _QUEUED_START)

    async def send_connection_queued_end(self) -> None:
        """Fire ``on_connection_queued_end``."""
        await self._send("on_connection_queued_end", _QUEUED_END)

    async def send_connection_create_start(self) -> None:
        """Fire ``on_connection_create_start``."""
        await self._send("on_connection_create_start", _CREATE_START)

    async def send_connection_create_end(self) -> None:
        """Fire ``on_connection_create_end``."""
        await self._send("on_connection_create_end", _CREATE_END)

    async def send_connection_reuseconn(self) -> None:
        """Fire ``on_connection_reuseconn``: a pooled keep-alive connection is reused."""
        await self._send("on_connection_reuseconn", _REUSECONN)

    async def send_dns_lookup_start(self, host: str, cached: bool) -> None:
        """Fire ``on_dns_cache_miss`` (a caching resolver) and ``on_dns_resolvehost_start``."""
        if cached:
            await self._send("on_dns_cache_miss", TraceDnsCacheMissParams(host))
        await self._send("on_dns_resolvehost_start", TraceDnsResolveHostStartParams(host))

    async def send_dns_resolvehost_end(self, host: str) -> None:
        """Fire ``on_dns_resolvehost_end``."""
        await self._send("on_dns_resolvehost_end", TraceDnsResolveHostEndParams(host))

    async def send_dns_cache_hit(self, host: str) -> None:
        """Fire ``on_dns_cache_hit``."""
        await self._send("on_dns_cache_hit", TraceDnsCacheHitParams(host))

    # -- exchanges through any transport -----------------------------------------------------
    def _prepare(self, request: Request) -> Request:
        self._unsent = request
        body = request.body
        if isinstance(body, bytes):
            return request
        traced = replace(request, body=self._traced_body(request.method, request.url, body))
        self._unsent = traced
        return traced

    async def _flush(self) -> None:
        """Fire "headers sent" for an exchange whose transport did not report it."""
        unsent = self._unsent
        if unsent is not None:
            await self.send_request_headers(unsent)

    async def _traced_body(
        self, method: str, url: URL, body: AsyncIterable[bytes]
    ) -> AsyncIterator[bytes]:
        try:
            async for chunk in body:
                await self._flush()
                await self.send_request_chunk_sent(method, url, chunk)
                yield chunk
        finally:
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                await aclose()


def _headers(headers: Any) -> CIMultiDict[str]:
    return headers if isinstance(headers, CIMultiDict) else CIMultiDict(headers or ())


_QUEUED_START = TraceConnectionQueuedStartParams()
_QUEUED_END = TraceConnectionQueuedEndParams()
_CREATE_START = TraceConnectionCreateStartParams()
_CREATE_END = TraceConnectionCreateEndParams()
_REUSECONN = TraceConnectionReuseconnParams()


class _TracedTransport:
    """A transport wrapper that reports each exchange's headers and body chunks as sent."""

    __slots__ = ("_inner", "_trace")

    def __init__(self, inner: Transport, trace: RequestTrace) -> None:
        self._inner = inner
        self._trace = trace

    async def handle(self, request: Request) -> Response:
        """Send through the inner transport; fire "headers sent" if it did not."""
        trace = self._trace
        response = await self._inner.handle(trace._prepare(request))
        await trace._flush()
        return response

    async def connect_ws(self, request: Request, *args: Any, **kwargs: Any) -> WebSocketChannel:
        """Websockets are traced by :meth:`RequestTrace.connect_ws`, around the transport."""
        return await self._inner.connect_ws(request, *args, **kwargs)

    async def aclose(self) -> None:
        """The inner transport belongs to the session."""
