"""Request tracing, aiohttp's ``TraceConfig`` API: signals a session fires around each request.

A :class:`TraceConfig` holds one :class:`Signal` per event; ``ClientSession(trace_configs=[...])``
freezes them. For each request the session builds one :class:`RequestTrace` (only when trace
configs are set: without them nothing here runs). Request-level signals (start, redirect, end,
exception, headers and body chunks sent, body received) are fired by the session, above the
seam, so they fire under mocks and cassette replay too; connection and DNS signals are fired by
the network transport, which finds the trace on the wire ``Request``.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    MutableSequence,
    Sequence,
)
from dataclasses import replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, overload

from multidict import CIMultiDict
from yarl import URL

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
    from .transport import Request, Response, Transport, WebSocketChannel

__all__ = ["RequestTrace", "Signal", "TraceConfig", "frozen"]

Receiver = Callable[..., Awaitable[object]]


class Signal(MutableSequence[Receiver]):
    """A list of async callbacks, frozen once a session uses it (aiohttp's ``aiosignal``).

    Append callbacks ``async def cb(session, trace_config_ctx, params)``; after ``freeze()``
    the list refuses changes and ``send`` awaits each callback in order.
    """

    __slots__ = ("_frozen", "_items", "_owner")

    def __init__(self, owner: object) -> None:
        self._owner = owner
        self._items: list[Receiver] = []
        self._frozen = False

    @property
    def frozen(self) -> bool:
        """True once ``freeze()`` was called."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse further changes (a session does this when it starts)."""
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot modify frozen list.")

    @overload
    def __getitem__(self, index: int) -> Receiver: ...
    @overload
    def __getitem__(self, index: slice) -> MutableSequence[Receiver]: ...
    def __getitem__(self, index: int | slice) -> Receiver | MutableSequence[Receiver]:
        return self._items[index]

    @overload
    def __setitem__(self, index: int, value: Receiver) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[Receiver]) -> None: ...
    def __setitem__(self, index: Any, value: Any) -> None:
        self._check()
        self._items[index] = value

    def __delitem__(self, index: int | slice) -> None:
        self._check()
        del self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def insert(self, index: int, value: Receiver) -> None:
        """Insert a callback at ``index``."""
        self._check()
        self._items.insert(index, value)

    def __call__(self, func: Receiver) -> Receiver:
        """Decorator form of ``append``."""
        self.append(func)
        return func

    async def send(self, *args: Any) -> None:
        """Await every callback with ``args``; the signal must be frozen."""
        if not self._frozen:
            raise RuntimeError("Cannot send non-frozen signal.")
        for receiver in self._items:
            await receiver(*args)

    def __repr__(self) -> str:
        return f"<Signal owner={self._owner!r}, frozen={self._frozen}, {self._items!r}>"


_SIGNALS = (
    "on_request_start",
    "on_request_chunk_sent",
    "on_response_chunk_received",
    "on_request_end",
    "on_request_exception",
    "on_request_redirect",
    "on_connection_queued_start",
    "on_connection_queued_end",
    "on_connection_create_start",
    "on_connection_create_end",
    "on_connection_reuseconn",
    "on_dns_resolvehost_start",
    "on_dns_resolvehost_end",
    "on_dns_cache_hit",
    "on_dns_cache_miss",
    "on_request_headers_sent",
)


class TraceConfig:
    """The signals of one tracer; give it to ``ClientSession(trace_configs=[...])``.

    Each callback receives the session, the per-request context built by
    ``trace_config_ctx_factory(trace_request_ctx=...)`` and the event's ``Trace*Params``.
    """

    on_request_start: Signal
    on_request_chunk_sent: Signal
    on_response_chunk_received: Signal
    on_request_end: Signal
    on_request_exception: Signal
    on_request_redirect: Signal
    on_connection_queued_start: Signal
    on_connection_queued_end: Signal
    on_connection_create_start: Signal
    on_connection_create_end: Signal
    on_connection_reuseconn: Signal
    on_dns_resolvehost_start: Signal
    on_dns_resolvehost_end: Signal
    on_dns_cache_hit: Signal
    on_dns_cache_miss: Signal
    on_request_headers_sent: Signal

    def __init__(
        self, trace_config_ctx_factory: Callable[..., SimpleNamespace] = SimpleNamespace
    ) -> None:
        for name in _SIGNALS:
            setattr(self, name, Signal(self))
        self._trace_config_ctx_factory = trace_config_ctx_factory

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> SimpleNamespace:
        """A fresh context for one request."""
        return self._trace_config_ctx_factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        """Freeze every signal."""
        for name in _SIGNALS:
            getattr(self, name).freeze()


def frozen(configs: list[TraceConfig] | None) -> list[TraceConfig]:
    """A session's trace configs (``[]`` for None), each frozen: their signals are fixed."""
    configs = configs or []
    for config in configs:
        config.freeze()
    return configs


class RequestTrace:
    """One request's tracers: each TraceConfig with its context; fires signals in order.

    It also travels on the wire ``Request`` (``request.trace``), where the network transport
    fires connection, DNS and "headers sent" signals. For transports that do not (mocks,
    cassettes), :meth:`transport` fires "headers sent" itself once the exchange is answered.
    """

    __slots__ = ("_session", "_tracers", "_unsent")

    def __init__(self, session: object, configs: Sequence[TraceConfig], ctx: Any) -> None:
        self._session = session
        self._tracers = [(config, config.trace_config_ctx(ctx)) for config in configs]
        self._unsent: Request | None = None

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

    def transport(self, inner: Transport) -> Transport:
        """``inner`` wrapped so each exchange fires "headers sent" and "chunk sent"."""
        return _TracedTransport(inner, self)

    # -- fired by the network transport (or by _TracedTransport for the others) -------------
    async def send_request_headers(self, request: Request) -> None:
        """Fire ``on_request_headers_sent`` (and ``on_request_chunk_sent`` for a bytes body)."""
        self._unsent = None
        method, url = request.method, request.url
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
        """Websockets are not traced."""
        return await self._inner.connect_ws(request, *args, **kwargs)

    async def aclose(self) -> None:
        """The inner transport belongs to the session."""
