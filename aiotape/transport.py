"""The public seam: everything a custom transport needs, in one import.

A transport turns a wire ``Request`` into a ``Response`` whose body is a ``BodyStream`` (or
opens a ``WebSocketChannel``). Above it, the session handles cookies, redirects, decompression
and ``raise_for_status``; a transport never has to. Give one to a single session with
``ClientSession(transport=...)``, or to every session at once with ``use_transport(...)``.
``Request`` (immutable) and ``Response`` are built with their constructors (``Request.build``
takes a URL string and header pairs); ``.replace(body=...)`` makes a changed copy, as
``dataclasses.replace`` does (which works on them too)::

    from multidict import CIMultiDict, CIMultiDictProxy
    import aiotape
    from aiotape.transport import ChunkedBody, Request, Response, WebSocketChannel, WSOptions

    class Echo:
        async def handle(self, request: Request) -> Response:
            headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "text/plain"}))
            return Response(200, "OK", headers, ChunkedBody([str(request.url).encode()]))

        async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
            raise NotImplementedError("no websockets here")

        async def aclose(self) -> None:
            pass

    async def main() -> str:
        async with aiotape.ClientSession(transport=Echo()) as session:
            async with session.get("http://echo.test/hi") as resp:
                return await resp.text()  # "http://echo.test/hi"
"""

from __future__ import annotations

from .client.transport import (
    BodyStream,
    ChunkedBody,
    Request,
    Response,
    Transport,
    TransportOverride,
    WebSocketChannel,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    WSOptions,
    close_body,
    use_transport,
)

__all__ = [
    "BodyStream",
    "ChunkedBody",
    "Request",
    "Response",
    "Transport",
    "TransportOverride",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WSOptions",
    "WebSocketChannel",
    "close_body",
    "use_transport",
]
