"""ClientWSTimeout: a websocket's receive and close timeouts (imported by the first websocket)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_WS_TIMEOUT", "ClientWSTimeout"]


@dataclass(frozen=True, slots=True)
class ClientWSTimeout:
    """Websocket timeouts: ``ws_receive`` per receive, ``ws_close`` for the closing handshake."""

    ws_receive: float | None = None
    ws_close: float | None = None


DEFAULT_WS_TIMEOUT = ClientWSTimeout(ws_receive=None, ws_close=10.0)
