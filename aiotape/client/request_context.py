"""What ``session.get(...)`` and ``session.ws_connect(...)`` return: a coroutine that is also an
async context manager around the response."""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .response import _RELEASED

if TYPE_CHECKING:
    from .response import ClientResponse

__all__ = ["CustomResponseContextManager", "RequestContextManager", "ResponseContextManager"]

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


class ResponseContextManager(RequestContextManager["ClientResponse"]):
    """What ``session.get(...)`` and the other verbs return, made by the session's ``_open``
    (without a call of ``__init__``: a class call with one costs more than the rest).

    ``async with`` awaits the request coroutine itself, which hands the response back (sets
    ``_resp``, and enters it: no context-manager coroutine on the request's path), and exits
    as ClientResponse's own ``__aexit__`` does. Sessions whose response class has its own
    ``__aenter__``, ``__aexit__`` or ``release`` use :class:`CustomResponseContextManager`
    instead.
    """

    __slots__ = ("_entered",)

    def __aenter__(self) -> Coroutine[Any, Any, ClientResponse]:
        self._entered = True
        return self._coro

    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any:
        resp = self._resp
        if resp is None:
            return _RELEASED
        resp._in_context = False
        return resp.release()


class CustomResponseContextManager(ResponseContextManager):
    """ResponseContextManager for a response class with its own ``__aenter__``, ``__aexit__``
    or ``release``: the response is entered and exited as RequestContextManager does."""

    __slots__ = ()
    __aenter__ = RequestContextManager.__aenter__
    __aexit__ = RequestContextManager.__aexit__
