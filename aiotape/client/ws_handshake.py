"""The websocket upgrade handshake's pieces: the request's headers (the library's and the
caller's) and aiohttp's WSServerHandshakeError for a refused or broken answer."""

from __future__ import annotations

import asyncio

from multidict import CIMultiDict, CIMultiDictProxy
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHeader, InvalidStatus, InvalidUpgrade
from websockets.http11 import Response as HandshakeResponse

from . import exceptions
from .request_info import RequestInfo
from .transport import Request
from .ws_framer import ClientFramer

__all__ = ["BROKEN_ANSWER", "handshake_error", "handshake_headers", "timeout_error"]

BROKEN_ANSWER = "Invalid HTTP response"
"""How the message of a WSServerHandshakeError for an answer that could not be read starts."""

_CALLER_WINS = frozenset({"upgrade", "connection", "sec-websocket-version"})


def timeout_error(by_sock_read: bool) -> type[BaseException]:
    return exceptions.SocketTimeoutError if by_sock_read else asyncio.TimeoutError


def _response_headers(response: HandshakeResponse) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(response.headers.raw_items()))


def handshake_error(
    request: Request, response: HandshakeResponse | None, failure: Exception | None
) -> Exception:
    """aiohttp's WSServerHandshakeError (same messages) for a refused or broken handshake."""
    info = RequestInfo(request.url, request.method, request.headers, request.url)
    if response is None:
        if failure is None or isinstance(failure.__cause__, EOFError):
            return exceptions.ServerDisconnectedError()
        reason = failure.__cause__ or failure
        return exceptions.WSServerHandshakeError(
            info, (), status=400, message=f"{BROKEN_ANSWER}: {reason}"
        )
    if isinstance(failure, InvalidStatus):
        message = "Invalid response status"
    elif isinstance(failure, InvalidUpgrade):
        message = f"Invalid {failure.name.lower()} header"
    elif isinstance(failure, InvalidHeader) and failure.name == "Sec-WebSocket-Accept":
        message = "Invalid challenge response"
    else:
        message = str(failure)
    return exceptions.WSServerHandshakeError(
        info, (), status=response.status_code, message=message, headers=_response_headers(response)
    )


def handshake_headers(framer: ClientFramer, request: Request) -> Headers:
    """The library's upgrade headers plus the request's own (Origin, Cookie, Authorization...).

    As in aiohttp, the caller's Upgrade, Connection and Sec-WebSocket-Version replace the
    defaults; the key (and offered protocols and extensions, when given) are the library's.
    """
    generated = framer.connect().headers
    given = request.headers
    headers = Headers()
    host = given.get("Host")
    headers["Host"] = host if host is not None else generated["Host"]
    for name, value in generated.raw_items():
        if name.lower() != "host" and not (name.lower() in _CALLER_WINS and name in given):
            headers[name] = value
    for name, value in given.items():
        if name not in generated or name.lower() in _CALLER_WINS:
            headers[name] = value
    return headers
