"""UnixConnector: HTTP and websockets over a unix domain socket (aiohttp's UnixConnector).

Every request goes to the one socket ``path``, whatever its URL's host says; the URL still
gives the Host header. As in aiohttp, no TLS is spoken over the socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from . import exceptions
from .dial import P, connect_scope, sock_connect_scope
from .pool import BaseConnector
from .pool_key import ConnectionKey
from .transport import Request

__all__ = ["UnixConnector"]


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
            except exceptions.ConnectionTimeoutError:
                raise
            except OSError as exc:
                raise exceptions.UnixClientConnectorError(self._path, key, exc) from exc
        return sock, protocol
