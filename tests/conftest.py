"""Real servers on 127.0.0.1: an httpbin-like aiohttp.web app and raw asyncio peers."""

from __future__ import annotations

import asyncio
import base64
import gzip
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import brotli
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import aiotape
from aiotape.transport import ChunkedBody, Request, Response, WebSocketChannel, WSOptions

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _echo(request: web.Request) -> web.Response:
    form: dict[str, str] = {}
    files: dict[str, dict[str, str]] = {}
    ctype = request.content_type
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[name] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "content": value.file.read().decode("latin-1"),
                }
            else:
                form[name] = str(value)
    body = b"" if ctype == "multipart/form-data" else await request.read()
    return web.json_response(
        {
            "method": request.method,
            "url": str(request.url),
            "path_qs": request.raw_path,
            "args": {k: request.query.getall(k) for k in request.query},
            "headers": {k: v for k, v in request.headers.items()},
            "data": body.decode("latin-1"),
            "form": form,
            "files": files,
            "json": await request.json() if ctype == "application/json" and body else None,
        }
    )


async def _encoded(request: web.Request) -> web.Response:
    payload = b'{"encoded": "%s"}' % request.match_info["coding"].encode()
    coding = request.match_info["coding"]
    compress = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[coding]
    return web.Response(
        body=compress(payload),
        headers={"Content-Encoding": coding, "Content-Type": "application/json"},
    )


async def _redirect(request: web.Request) -> web.Response:
    n = int(request.match_info["n"])
    target = f"/redirect/{n - 1}" if n > 1 else "/get"
    raise web.HTTPFound(target)


async def _redirect_to(request: web.Request) -> web.Response:
    status = int(request.query.get("status_code", "302"))
    return web.Response(status=status, headers={"Location": request.query["url"]})


async def _status(request: web.Request) -> web.Response:
    return web.Response(status=int(request.match_info["code"]), text="status")


async def _set_cookies(request: web.Request) -> web.Response:
    resp = web.HTTPFound("/cookies")
    for name, value in request.query.items():
        resp.set_cookie(name, value)
    raise resp


async def _cookies(request: web.Request) -> web.Response:
    return web.json_response({"cookies": dict(request.cookies)})


async def _stream_bytes(request: web.Request) -> web.StreamResponse:
    total = int(request.match_info["n"])
    chunk = int(request.query.get("chunk_size", "1024"))
    resp = web.StreamResponse()
    resp.content_type = "application/octet-stream"
    await resp.prepare(request)
    sent = 0
    while sent < total:
        piece = min(chunk, total - sent)
        await resp.write(bytes((sent + i) % 256 for i in range(piece)))
        sent += piece
    await resp.write_eof()
    return resp


async def _basic_auth(request: web.Request) -> web.Response:
    expected = f"{request.match_info['user']}:{request.match_info['passwd']}".encode()
    header = request.headers.get("Authorization", "")
    if header != "Basic " + base64.b64encode(expected).decode():
        return web.Response(status=401, text="unauthorized")
    return web.json_response({"authenticated": True})


async def _delay(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.match_info["seconds"]))
    return web.json_response({"delayed": True})


async def _text(request: web.Request) -> web.Response:
    charset = request.query.get("charset", "utf-8")
    return web.Response(body="Тест".encode(charset), content_type="text/plain", charset=charset)


LINKS = (
    '<https://api.test/items?page=2>; rel="next", </items?page=9>; rel=last; title="The End", '
    "<./rel-less>; type=text/html"
)


async def _links(request: web.Request) -> web.Response:
    return web.Response(text="links", headers={"Link": LINKS})


def make_httpbin_app() -> web.Application:
    """An httpbin-like app: the seed's examples run against it instead of httpbin.org."""
    app = web.Application()
    app.router.add_route("*", "/get", _echo)
    for verb in ("post", "put", "patch", "delete", "anything"):
        app.router.add_route("*", f"/{verb}", _echo)
    app.router.add_route("*", "/anything/{tail:.*}", _echo)
    app.router.add_get("/encoded/{coding}", _encoded)
    app.router.add_get("/redirect/{n}", _redirect)
    app.router.add_route("*", "/redirect-to", _redirect_to)
    app.router.add_route("*", "/status/{code}", _status)
    app.router.add_get("/cookies/set", _set_cookies)
    app.router.add_get("/cookies", _cookies)
    app.router.add_get("/stream-bytes/{n}", _stream_bytes)
    app.router.add_get("/basic-auth/{user}/{passwd}", _basic_auth)
    app.router.add_get("/delay/{seconds}", _delay)
    app.router.add_get("/text", _text)
    app.router.add_get("/links", _links)
    return app


@pytest.fixture
async def httpbin() -> AsyncIterator[URL]:
    """Base URL of a fresh httpbin-like aiohttp.web server on 127.0.0.1."""
    runner = web.AppRunner(make_httpbin_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield URL(f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@dataclass
class RawServer:
    """A raw asyncio server: its URL, how many connections it accepted, heads it noted."""

    url: URL
    connections: int = 0
    heads: list[bytes] = field(default_factory=list)


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[RawHandler], Awaitable[RawServer]]]:
    """Factory: ``await raw_server(handler)`` serves ``handler(reader, writer)`` per connection.

    Handlers still running at teardown are cancelled and end quietly.
    """
    servers: list[asyncio.Server] = []
    tasks: list[asyncio.Task[object]] = []
    writers: list[asyncio.StreamWriter] = []

    async def start(handler: RawHandler) -> RawServer:
        info = RawServer(URL("http://127.0.0.1"))

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            info.connections += 1
            task = asyncio.current_task()
            assert task is not None
            tasks.append(task)
            writers.append(writer)
            try:
                await handler(reader, writer)
            # Cancelled at teardown: end quietly (3.11's start_server logs it as an error).
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        servers.append(server)
        info.url = URL(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
        return info

    yield start
    for server in servers:
        server.close()
    for writer in writers:
        writer.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for server in servers:
        await server.wait_closed()


@pytest.fixture
async def connector() -> AsyncIterator[aiotape.TCPConnector]:
    """A TCPConnector the test can inspect; closed after the session."""
    conn = aiotape.TCPConnector()
    yield conn
    await conn.close()


@pytest.fixture
async def session(connector: aiotape.TCPConnector) -> AsyncIterator[aiotape.ClientSession]:
    """A ClientSession over the ``connector`` fixture (modules may define their own)."""
    async with aiotape.ClientSession(connector=connector, connector_owner=False) as client:
        yield client


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """Read one request head (through the blank line)."""
    return await reader.readuntil(b"\r\n\r\n")


@pytest.fixture
def refused_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A local listening port that never accepts and whose backlog is full: connects hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


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
