"""``resp.connection``: the connection a response's body arrives on, as aiohttp's view of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    from typing import Protocol

    class _Owner(Protocol):
        """What the view needs of its ClientResponse."""

        _wire_body: Any

        @property
        def closed(self) -> bool: ...

        def release(self) -> Any: ...

        def close(self) -> None: ...


__all__ = ["ResponseConnection"]


class ResponseConnection:
    """aiohttp's ``Connection`` subset: ``transport``, ``closed``, ``release()``, ``close()``.

    ``transport`` is the asyncio transport of a network response (``get_extra_info`` gives
    the peer, the TLS object...) and None for mocked or replayed ones.
    """

    __slots__ = ("_response",)

    def __init__(self, response: _Owner) -> None:
        self._response = response

    @property
    def transport(self) -> asyncio.Transport | None:
        """The socket, while the body is still arriving on it."""
        if self._response.closed:
            return None
        transport: asyncio.Transport | None = getattr(self._response._wire_body, "transport", None)
        return transport

    @property
    def closed(self) -> bool:
        """True once the response let go of the connection."""
        return self._response.closed

    def release(self) -> None:
        """Give the connection back (as ``resp.release()``)."""
        self._response.release()

    def close(self) -> None:
        """Drop the connection (as ``resp.close()``)."""
        self._response.close()
