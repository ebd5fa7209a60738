"""The rest of the websocket side of the seam: close codes, how a websocket is opened
(``WSOptions``) and the channel a transport returns.

Only websockets use these (a websocket cassette's replay needs none of them):
``aiotape.client.transport`` (and ``aiotape``) hand them out on first use.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .transport import Response
    from .ws_messages import WSMessage

__all__ = ["WSCloseCode", "WSOptions", "WebSocketChannel"]


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
