"""ClientTimeout and the loop-clock timers that enforce it (websockets' ClientWSTimeout is in
``ws_timeout``, imported by the first websocket)."""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType


@dataclass(frozen=True, slots=True)
class ClientTimeout:
    """Timeouts of a request, in seconds; ``None`` or ``0`` disables one (aiohttp semantics)."""

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5


DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, connect=None, sock_read=None, sock_connect=None)


def deadline(now: float, delay: float | None, ceil_threshold: float) -> float | None:
    """Absolute loop time at which ``delay`` expires, ceiled when ``delay >= ceil_threshold``."""
    if not delay or delay <= 0:
        return None
    when = now + delay
    return float(math.ceil(when)) if delay >= ceil_threshold else when


def earliest(a: float | None, b: float | None) -> float | None:
    """The earlier of two optional deadlines."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a <= b else b


class TimeoutScope:
    """Cancel the current task at loop time ``when`` and raise ``error()`` instead.

    A synchronous context manager (like ``asyncio.timeout_at`` on 3.11+), for the few
    non-hot-path awaits (connect, TLS, streamed uploads). ``when=None`` does nothing.
    """

    __slots__ = ("_error", "_fired", "_handle", "_task", "_when")

    def __init__(self, when: float | None, error: Callable[[], BaseException]) -> None:
        self._when = when
        self._error = error
        self._fired = False
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[object] | None = None

    def __enter__(self) -> TimeoutScope:
        if self._when is not None:
            self._task = asyncio.current_task()
            self._handle = asyncio.get_running_loop().call_at(self._when, self._fire)
        return self

    def _fire(self) -> None:
        if self._task is not None:
            self._fired = True
            self._task.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
        if self._fired and exc_type is asyncio.CancelledError:
            if sys.version_info >= (3, 11) and self._task is not None:
                self._task.uncancel()
            raise self._error() from exc
