"""UnixConnector: HTTP and websockets over a unix domain socket (aiohttp's UnixConnector).

Every request goes to the one socket ``path``, whatever its URL's host says; the URL still
gives the Host header. As in aiohttp, no TLS is spoken over the socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .dial import P, connect_scope, sock_connect_scope
from .exceptions import ClientConnectorError, ConnectionKey, ConnectionTimeoutError
from .pool import BaseConnector
from .transport import Request

__all__ = ["UnixClientConnectorError", "UnixConnector"]


class UnixClientConnectorError(ClientConnectorError):
    """The unix socket could not be connected to (aiohttp's class of that name)."""

    def __init__(self, path: str, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._path = path
        super().__init__(connection_key, os_error)

    @property
    def path(self) -> str:
        """The socket's path."""
        return self._path

    def __str__(self) -> str:
        shown = "default" if self.ssl is True else self.ssl
        return f"Cannot connect to unix socket {self._path} ssl:{shown} [{self.strerror}]"


class UnixConnector(BaseConnector):
    """Opens every connection to the unix socket at ``path`` (pooled and limited as usual)."""

    def __init__(
        self,
        path: str,
        force_close: bool = False,
        keepalive_timeout: float | None = None,
        limit: int = 100,
        limit_per_host: int = 0,
    ) -> None:
        super().__init__(
            force_close=force_close,
            keepalive_timeout=keepalive_timeout,
            limit=limit,
            limit_per_host=limit_per_host,
        )
        self._path = path

    @property
    def path(self) -> str:
        """The socket's path."""
        return self._path

    async def _dial(
        self,
        key: ConnectionKey,
        request: Request,
        protocol_factory: Callable[[], P],
        connect_deadline: float | None,
    ) -> tuple[asyncio.Transport, P]:
        loop = asyncio.get_running_loop()
        with connect_scope(connect_deadline, request):
            try:
                with sock_connect_scope(request):
                    sock, protocol = await loop.create_unix_connection(protocol_factory, self._path)
            except ConnectionTimeoutError:
                raise
            except OSError as exc:
                raise UnixClientConnectorError(self._path, key, exc) from exc
        return sock, protocol
