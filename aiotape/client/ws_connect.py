"""Opening a network websocket: dial the socket, send the upgrade handshake, check the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from multidict import CIMultiDict, CIMultiDictProxy

from .dial import connection_key, open_connection
from .fingerprint import SSLSetting
from .http11 import serialize_head
from .pool_key import ConnectionKey
from .transport import Request, WSOptions
from .ws_channel import NetworkWebSocketChannel
from .ws_framer import framer_for
from .ws_handshake import handshake_headers

if TYPE_CHECKING:
    from websockets.datastructures import Headers

__all__ = ["WSDial", "connect_ws"]

_DEFAULT_OPTIONS = WSOptions()
WSDial = Callable[
    [ConnectionKey, Request, Callable[[], NetworkWebSocketChannel]],
    Awaitable[tuple[asyncio.Transport, NetworkWebSocketChannel]],
]
"""Opens a websocket's socket: a connector's ``dial_held`` or ``open_connection``."""


async def connect_ws(
    request: Request,
    options: WSOptions = _DEFAULT_OPTIONS,
    *,
    ssl: SSLSetting = True,
    dial: WSDial | None = None,
) -> NetworkWebSocketChannel:
    """Open ``request.url`` (ws/wss), perform the upgrade handshake and return the channel.

    ``ssl`` is the connector's default, used when ``request.ssl`` is True; ``dial`` opens
    the socket (a connector's ``dial_held``; default: ``open_connection``). Raises
    WSServerHandshakeError (aiohttp's messages) when the server refuses the upgrade, and
    the dialer's errors when the server cannot be reached. With ``request.trace``, fires
    "connection created" (a connector's ``dial_held`` fired its start) and "headers sent"
    with the wire headers.
    """
    serialize_head(request.method, request.url, request.headers.items())  # refuse injection
    framer = framer_for(request, options)
    headers = handshake_headers(framer, request)
    _, channel = await (dial or open_connection)(
        connection_key(request, ssl),
        request,
        lambda: NetworkWebSocketChannel(framer, options.max_msg_size),
    )
    try:
        if request.trace is not None:  # tracing hook: create end, headers sent
            await _trace_sent(request, headers)
        await channel.upgrade(request, headers)
    except BaseException:
        channel.abort()
        await channel.aclose()
        raise
    if not options.protocols:
        channel.protocol = None  # as aiohttp: only an offer made with protocols= is reported
    return channel


async def _trace_sent(request: Request, headers: Headers) -> None:
    """Fire "connection created" and "headers sent" (the upgrade request's own headers)."""
    trace = request.trace
    assert trace is not None
    await trace.send_connection_create_end()
    wire = CIMultiDictProxy(CIMultiDict(headers.raw_items()))
    await trace.send_request_headers(replace(request, headers=wire))
