"""The websocket side of the seam: message types, close codes, messages and the channel.

Only websockets use these, so a run that sends plain requests never builds them:
``aiotape.client.transport`` (and ``aiotape``) hand them out on first use.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .transport import Response

__all__ = ["CLOSED", "WSCloseCode", "WSMessage", "WSMsgType", "WSOptions", "WebSocketChannel"]


class WSMsgType(enum.IntEnum):
    """Websocket message types, aiohttp's values (and its lower-case aliases)."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102

    text = TEXT
    binary = BINARY
    ping = PING
    pong = PONG
    close = CLOSE
    closing = CLOSING
    closed = CLOSED
    error = ERROR


class WSCloseCode(enum.IntEnum):
    """Websocket close codes (RFC 6455), aiohttp's names."""

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMessage(NamedTuple):
    """A whole websocket message. For CLOSE, ``data`` is the close code and ``extra`` the reason."""

    type: WSMsgType
    data: Any
    extra: Any

    def json(self, *, loads: Callable[[Any], Any] | None = None) -> Any:
        """Decode ``data`` as JSON."""
        import json as _json

        return (loads or _json.loads)(self.data)


CLOSED = WSMessage(WSMsgType.CLOSED, None, None)
"""What a websocket channel's ``receive`` returns once the connection is gone."""


class WSOptions(NamedTuple):
    """How to open a websocket, beyond its Request: what crosses the seam from ``ws_connect``.

    ``protocols`` are the subprotocols offered, in preference order; ``max_msg_size`` caps a
    received message (0: no limit); ``compress`` asks for permessage-deflate with that window
    size (0: off, 15: the default window).
    """

    protocols: tuple[str, ...] = ()
    max_msg_size: int = 4 * 1024 * 1024
    compress: int = 0


@runtime_checkable
class WebSocketChannel(Protocol):
    """Whole websocket messages both ways, after a successful handshake.

    ``receive`` returns TEXT/BINARY/PING/PONG/CLOSE messages as the peer sent them and a
    ``CLOSED`` message once the connection is gone; ``send`` takes TEXT/BINARY/PING/PONG/CLOSE.
    Autoping, heartbeat and the closing handshake live above, in ClientWebSocketResponse.
    """

    handshake: Response
    protocol: str | None

    async def send(self, message: WSMessage) -> None:
        """Send one whole message."""
        ...

    async def receive(self) -> WSMessage:
        """The next whole message from the peer."""
        ...

    async def aclose(self) -> None:
        """Drop the connection (no closing handshake)."""
        ...
