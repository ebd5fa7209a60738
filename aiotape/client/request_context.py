"""What ``session.get(...)`` and ``session.ws_connect(...)`` return: a coroutine that is also an
async context manager around the response."""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import Any, Generic, TypeVar

__all__ = ["RequestContextManager"]

_T = TypeVar("_T")


class RequestContextManager(Coroutine[Any, Any, _T], Generic[_T]):
    """``await session.get(...)``, ``async with session.get(...) as resp`` and, being a
    coroutine as aiohttp's is, ``asyncio.create_task(session.get(...))``."""

    __slots__ = ("_coro", "_resp")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self._resp: _T | None = None

    def send(self, value: Any) -> Any:
        """Coroutine protocol: forwards to the request coroutine."""
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        """Coroutine protocol: forwards to the request coroutine."""
        return self._coro.throw(*args)

    def close(self) -> None:
        """Coroutine protocol: closes the request coroutine (nothing was sent)."""
        self._coro.close()

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()

    async def __aenter__(self) -> _T:
        self._resp = await self._coro
        return await self._resp.__aenter__()  # type: ignore[attr-defined, no-any-return]

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._resp is not None:
            await self._resp.__aexit__(exc_type, exc, tb)  # type: ignore[attr-defined]
