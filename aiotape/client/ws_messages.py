"""What crosses a websocket: message types and whole messages (and ``CLOSED``).

Only websockets and websocket cassettes use these, so a run that sends plain requests never
builds them: ``aiotape.client.transport`` (and ``aiotape``) hand them out on first use.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["CLOSED", "WSMessage", "WSMsgType"]


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
