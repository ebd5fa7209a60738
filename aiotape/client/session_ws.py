"""``ClientSession.ws_connect``, a base of ClientSession. The handshake and what follows it are
in ``ws_opening``, imported by the first ``ws_connect``: a run without websockets never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .request_builder import RequestBuilder
from .request_context import RequestContextManager

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Sequence

    from yarl import URL

    from .middlewares import ClientMiddlewareType
    from .options import RaiseForStatus, Unpack, WSConnectOptions
    from .timeouts import ClientTimeout
    from .websocket import ClientWebSocketResponse

__all__ = ["WebSocketConnecting"]


class WebSocketConnecting(RequestBuilder):
    """Websockets of a ClientSession (a base of ClientSession, which sets the attributes
    declared here)."""

    _trust_env: bool
    _requote_redirect_url: bool
    _loop: asyncio.AbstractEventLoop | None
    _middlewares: Sequence[ClientMiddlewareType]
    _timeout: ClientTimeout
    _raise_for_status: RaiseForStatus
    _ws_response_class: type[ClientWebSocketResponse] | None = None  # None: the default

    def ws_connect(
        self, url: str | URL, **kwargs: Unpack[WSConnectOptions]
    ) -> RequestContextManager[ClientWebSocketResponse]:
        """Open a websocket: ``async with session.ws_connect(url) as ws``."""
        from .ws_opening import open_websocket

        return RequestContextManager(open_websocket(self, url, **kwargs))
