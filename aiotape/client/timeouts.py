"""ClientTimeout and the loop-clock timers that enforce it (websockets' ClientWSTimeout is in
``ws_timeout``, imported by the first websocket)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from math import ceil
from types import TracebackType


class ClientTimeout:
    """Timeouts of a request, in seconds; ``None`` or ``0`` disables one (aiohttp semantics).

    Immutable, compared and hashed by value, like aiohttp's (a plain class, as aiohttp's is
    not a dataclass either: the dataclass decorator cost every import more than it saved).
    """

    __slots__ = ("ceil_threshold", "connect", "sock_connect", "sock_read", "total")
    __match_args__ = ("total", "connect", "sock_read", "sock_connect", "ceil_threshold")

    total: float | None
    connect: float | None
    sock_read: float | None
    sock_connect: float | None
    ceil_threshold: float

    def __init__(
        self,
        total: float | None = None,
        connect: float | None = None,
        sock_read: float | None = None,
        sock_connect: float | None = None,
        ceil_threshold: float = 5,
    ) -> None:
        values = (total, connect, sock_read, sock_connect, ceil_threshold)
        for name, value in zip(self.__match_args__, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[float | None, ...]:
        return (self.total, self.connect, self.sock_read, self.sock_connect, self.ceil_threshold)

    def __repr__(self) -> str:
        pairs = zip(self.__match_args__, self._values(), strict=True)
        shown = ", ".join(f"{name}={value!r}" for name, value in pairs)
        return f"ClientTimeout({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type[ClientTimeout], tuple[float | None, ...]]:
        return ClientTimeout, self._values()


DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, connect=None, sock_read=None, sock_connect=None)


def deadline(now: float, delay: float | None, ceil_threshold: float) -> float | None:
    """Absolute loop time at which ``delay`` expires, ceiled when ``delay >= ceil_threshold``."""
    if not delay or delay <= 0:
        return None
    if delay >= ceil_threshold:
        return float(ceil(now + delay))
    return now + delay


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
