"""Shared fixtures: an httpbin-like aiohttp.web app, raw asyncio peers, a session, ports."""

from __future__ import annotations

import asyncio
import base64
import gzip
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Iterator

import brotli
import pytest
import trustme
import yaml  # noqa: F401 - see below
from aiohttp import web
from yarl import URL

import aiotape
import aiotape.client.session  # see below
from tests.servers import StartRaw, raw_servers, serve_app, trusting_context

# yaml and aiotape's client are loaded above, before any pytester run, as in a whole-suite run:
# pytester's in-process runs unload the modules each run imported, and these two must not be
# imported afresh by a later run. libyaml's C parser (yaml._yaml) is never re-initialised and
# keeps making the first yaml's event classes, which a new yaml does not know (a cassette load
# then loops forever); the aiotape package keeps the names it first returned (aiotape.ClientSession)
# bound to the first run's transport module, while a later run's http_mock and cassettes install
# their transport in a new one (the session then goes to the network).


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


@pytest.fixture(autouse=True, scope="session")
def _suite_cassette_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The suite's compiled-cassette cache lives in a temporary folder, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIOTAPE_CACHE_DIR", str(tmp_path_factory.mktemp("aiotape-cache")))
        yield


@pytest.fixture
async def httpbin() -> AsyncIterator[URL]:
    """Base URL of a fresh httpbin-like aiohttp.web server on 127.0.0.1."""
    async with serve_app(make_httpbin_app()) as url:
        yield url


@pytest.fixture
async def raw_server() -> AsyncIterator[StartRaw]:
    """Factory: ``await raw_server(handler)`` serves ``handler(reader, writer)`` per connection.

    Handlers still running at teardown are cancelled and end quietly.
    """
    async with raw_servers() as servers:
        yield servers.start


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A test certificate authority: issue server certificates, trust it in clients."""
    return trustme.CA()


@pytest.fixture
def trusting(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that verifies certificates against ``ca``."""
    return trusting_context(ca)


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
