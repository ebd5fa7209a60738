"""The demo's local peer: a tiny HTTP/1.1 + websocket server on 127.0.0.1 (runtime deps only).

HTTP is parsed by hand (the demo client sends small Content-Length bodies); the websocket side
is framed by the ``websockets`` sans-I/O ``ServerProtocol``. Routes:

- ``GET /items``: a JSON document
- ``POST /items``: echoes the JSON body back with an id, status 201
- ``GET /gzip``: a gzip-encoded text body
- ``GET /stall``: a chunked response that sends its first chunk, then nothing more
- ``GET /ws``: a websocket that answers each text message in upper case
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import gzip
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

from websockets.frames import Frame, Opcode
from websockets.http11 import Request as WSRequest
from websockets.protocol import State
from websockets.server import ServerProtocol
from yarl import URL

__all__ = ["ITEMS", "DemoServer", "HttpRequest"]

ITEMS = {"items": [{"id": 1, "name": "tape"}, {"id": 2, "name": "reel"}]}
"""What ``GET /items`` answers."""

GZIP_TEXT = "aiotape replays what the server sent, gzip and all. " * 20
"""The decoded body of ``GET /gzip``."""

STALL_FIRST_CHUNK = b"partial"
"""The only body chunk ``GET /stall`` ever sends."""

_MAX_HEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A parsed request: its head (``raw_head`` as received) and its body."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    raw_head: bytes = b""
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), if any."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


def parse_head(head: bytes) -> HttpRequest:
    """The request line and headers of ``head`` (ending with a blank line); ValueError if bad."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"unsupported version {version!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ValueError(f"malformed header line {line!r}")
        headers.append((name, value.strip()))
    return HttpRequest(method, target, tuple(headers), head)


def _head(status: int, reason: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += ["Date: " + email.utils.formatdate(usegmt=True), "Server: aiotape-demo", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def respond(
    status: int, reason: str, body: bytes, content_type: str, *extra: tuple[str, str]
) -> bytes:
    """A whole response with a Content-Length body."""
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra]
    return _head(status, reason, headers) + body


def _json(status: int, reason: str, document: object) -> bytes:
    return respond(status, reason, json.dumps(document).encode(), "application/json")


class DemoServer:
    """``async with DemoServer() as server:`` serves the demo routes at ``server.url``."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._url: URL | None = None

    @property
    def url(self) -> URL:
        """``http://127.0.0.1:<port>`` once started."""
        if self._url is None:
            raise RuntimeError("the demo server is not running")
        return self._url

    async def start(self) -> URL:
        """Listen on an ephemeral port of 127.0.0.1."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=_MAX_HEAD)
        port = self._server.sockets[0].getsockname()[1]
        self._url = URL.build(scheme="http", host="127.0.0.1", port=port)
        return self._url

    async def close(self) -> None:
        """Stop listening and drop every open connection (stalled ones included)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in self._connections.values():
            writer.transport.abort()  # wakes the handler with EOF: no task cancellation
        await asyncio.gather(*self._connections, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> DemoServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while await self._exchange(reader, writer):
                    pass
        finally:
            del self._connections[task]
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False once the connection cannot serve another."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            writer.write(respond(431, "Request Header Fields Too Large", b"", "text/plain"))
            return False
        except asyncio.IncompleteReadError:
            return False
        try:
            request = parse_head(head)
            length = int(request.header("Content-Length") or 0)
            if length < 0:
                raise ValueError("negative Content-Length")
        except ValueError as exc:
            writer.write(respond(400, "Bad Request", str(exc).encode(), "text/plain"))
            return False
        if request.header("Transfer-Encoding") is not None:
            writer.write(respond(411, "Length Required", b"", "text/plain"))
            return False
        body = await reader.readexactly(length)
        request = dataclasses.replace(request, body=body)
        route = _ROUTES.get((request.method, request.target.partition("?")[0]), _not_found)
        reusable = await route(request, reader, writer)
        await writer.drain()
        return reusable and (request.header("Connection") or "").lower() != "close"


_Route = Callable[[HttpRequest, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]
"""Answers one request; returns whether the connection may serve another."""


async def _not_found(
    _: HttpRequest, __: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    writer.write(respond(404, "Not Found", b"no such route", "text/plain"))
    return True


async def _items(_: HttpRequest, __: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    writer.write(_json(200, "OK", ITEMS))
    return True


async def _create_item(
    request: HttpRequest, _: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    try:
        document = json.loads(request.body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        writer.write(_json(400, "Bad Request", {"error": "expected a JSON object"}))
    else:
        writer.write(_json(201, "Created", {"id": 3, **document}))
    return True


async def _gzip(_: HttpRequest, __: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    body = gzip.compress(GZIP_TEXT.encode(), mtime=0)
    writer.write(
        respond(200, "OK", body, "text/plain; charset=utf-8", ("Content-Encoding", "gzip"))
    )
    return True


async def _stall(
    _: HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    """Send the head and a first chunk, then wait until the client gives up and leaves."""
    headers = [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")]
    chunk = b"%x\r\n%s\r\n" % (len(STALL_FIRST_CHUNK), STALL_FIRST_CHUNK)
    writer.write(_head(200, "OK", headers) + chunk)
    await writer.drain()
    await reader.read()  # returns at EOF: the client timed out and closed the connection
    return False


def _flush(protocol: ServerProtocol, writer: asyncio.StreamWriter) -> None:
    for data in protocol.data_to_send():
        if data:
            writer.write(data)
        elif writer.can_write_eof():
            writer.write_eof()


def _answer(protocol: ServerProtocol, frame: Frame) -> None:
    if protocol.state is not State.OPEN:
        return
    if frame.opcode is Opcode.TEXT:
        protocol.send_text(bytes(frame.data).decode().upper().encode())
    elif frame.opcode is Opcode.BINARY:
        protocol.send_binary(bytes(frame.data[::-1]))


async def _websocket(
    request: HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    """Complete the handshake, then answer text messages in upper case until closed."""
    if (request.header("Upgrade") or "").lower() != "websocket":
        writer.write(respond(426, "Upgrade Required", b"websocket only", "text/plain"))
        return True
    protocol = ServerProtocol()
    protocol.receive_data(request.raw_head)  # the sans-I/O parser reads the handshake itself
    handshake = next((e for e in protocol.events_received() if isinstance(e, WSRequest)), None)
    if handshake is not None:
        protocol.send_response(protocol.accept(handshake))
    _flush(protocol, writer)
    while protocol.state is State.OPEN or protocol.state is State.CLOSING:
        data = await reader.read(65536)
        if data:
            protocol.receive_data(data)
        else:
            protocol.receive_eof()
        for event in protocol.events_received():
            if isinstance(event, Frame):
                _answer(protocol, event)
        _flush(protocol, writer)
        await writer.drain()
        if not data:
            break
    return False


_ROUTES: dict[tuple[str, str], _Route] = {
    ("GET", "/items"): _items,
    ("POST", "/items"): _create_item,
    ("GET", "/gzip"): _gzip,
    ("GET", "/stall"): _stall,
    ("GET", "/ws"): _websocket,
}
