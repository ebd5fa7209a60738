"""Test doubles for the transport seam."""

from __future__ import annotations

from multidict import CIMultiDict, CIMultiDictProxy

from aiotape.transport import ChunkedBody, Request, Response, WebSocketChannel, WSOptions


class RecordingTransport:
    """A minimal Transport (the public seam) that answers 200 and remembers requests."""

    def __init__(self, body: bytes = b"{}") -> None:
        self.requests: list[Request] = []
        self.body = body
        self.closed = False

    async def handle(self, request: Request) -> Response:
        self.requests.append(request)
        headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"}))
        return Response(200, "OK", headers, ChunkedBody([self.body]))

    async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
        raise NotImplementedError

    async def aclose(self) -> None:
        self.closed = True
