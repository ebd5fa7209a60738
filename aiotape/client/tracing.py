"""Request tracing, aiohttp's ``TraceConfig`` API: signals a session fires around each request.

A :class:`TraceConfig` holds one :class:`Signal` per event; ``ClientSession(trace_configs=[...])``
freezes them (``session_options.frozen``: a session without trace configs never imports this
module). For each request the session builds one ``request_trace.RequestTrace`` (only when
trace configs are set: without them neither it nor the ``Trace*Params`` are imported).
Request-level signals (start, redirect, end, exception, headers and body chunks sent, body
received) are fired by the session, above the seam, so they fire under mocks and cassette replay
too; connection and DNS signals are fired by the network transport, which finds the trace on the
wire ``Request``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableSequence
from types import SimpleNamespace
from typing import Any, overload

__all__ = ["Signal", "TraceConfig"]

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
