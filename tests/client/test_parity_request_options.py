"""Session and request options real aiohttp code passes, through aiohttp and aiotape side by side.

Options aiotape cannot honour (another request class, HTTP versions other than 1.0 and
1.1) are refused with a clear error, tested here too.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import warnings
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from tests.servers import StartRaw, read_head, serve_app

CLIENTS = [pytest.param(aiohttp, id="aiohttp"), pytest.param(aiotape, id="aiotape")]
_OWN = {"user-agent", "accept-encoding"}
CP1251_TEXT = "\u041f\u0440\u0438\u0432\u0435\u0442"


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    headers = sorted([k, v] for k, v in request.headers.items() if k.lower() not in _OWN)
    return web.json_response({"headers": headers, "body": body.decode("latin-1")})


async def _cp1251(request: web.Request) -> web.Response:
    return web.Response(body=CP1251_TEXT.encode("cp1251"), headers={"Content-Type": "text/plain"})


async def _gzipped(request: web.Request) -> web.Response:
    return web.Response(body=gzip.compress(b"z" * 5000), headers={"Content-Encoding": "gzip"})


async def _ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is web.WSMsgType.BINARY:
            await ws.send_str("binary:" + msg.data.decode())
        else:
            await ws.send_str(msg.data)
    return ws


@pytest.fixture
async def app_url() -> AsyncIterator[URL]:
    app = web.Application()
    app.router.add_route("*", "/echo", _echo)
    app.router.add_get("/cp1251", _cp1251)
    app.router.add_get("/gzipped", _gzipped)
    app.router.add_get("/ws", _ws)
    async with serve_app(app) as url:
        yield url


async def _echoed(client: ModuleType, url: URL, **kwargs: Any) -> dict[str, Any]:
    async with client.ClientSession() as session, session.post(url / "echo", **kwargs) as resp:
        assert resp.status == 200
        echoed: dict[str, Any] = await resp.json()
    return echoed


# -- session options -------------------------------------------------------------------------
@pytest.mark.parametrize("client", CLIENTS)
async def test_loop_is_accepted_and_the_loop_property_is_deprecated(client: ModuleType) -> None:
    loop = asyncio.get_running_loop()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = client.ClientSession(loop=loop)
    async with session:
        with pytest.warns(DeprecationWarning, match="loop property is deprecated"):
            assert session.loop is loop


@pytest.mark.parametrize("client", CLIENTS)
async def test_response_class_is_what_requests_return(client: ModuleType, app_url: URL) -> None:
    class Tagged(client.ClientResponse):  # type: ignore[name-defined, misc]
        tag = "mine"

    async with client.ClientSession(response_class=Tagged) as session:
        async with session.get(app_url / "cp1251") as resp:
            assert type(resp) is Tagged
            assert resp.tag == "mine"
            assert await resp.read() == CP1251_TEXT.encode("cp1251")


@pytest.mark.parametrize("client", CLIENTS)
async def test_ws_response_class_is_what_ws_connect_returns(
    client: ModuleType, app_url: URL
) -> None:
    class Tagged(client.ClientWebSocketResponse):  # type: ignore[name-defined, misc]
        tag = "mine"

    async with client.ClientSession(ws_response_class=Tagged) as session:
        async with session.ws_connect(app_url / "ws") as ws:
            assert type(ws) is Tagged
            await ws.send_str("hi")
            assert await ws.receive_str() == "hi"


def test_response_classes_that_are_not_subclasses_are_refused() -> None:
    with pytest.raises(TypeError, match="response_class must be"):
        aiotape.ClientSession(response_class=object)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ws_response_class must be"):
        aiotape.ClientSession(ws_response_class=aiohttp.ClientWebSocketResponse)  # type: ignore[arg-type]


def test_another_request_class_is_refused_with_the_alternative_named() -> None:
    with pytest.raises(NotImplementedError, match="middlewares="):
        aiotape.ClientSession(request_class=aiohttp.ClientRequest)


async def test_json_serialize_bytes_encodes_json_bodies(app_url: URL) -> None:
    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode() + b" "

    async def send(client: ModuleType) -> Any:
        async with client.ClientSession(json_serialize_bytes=dumps) as session:
            async with session.post(app_url / "echo", json={"a": [1, 2]}) as resp:
                return await resp.json()

    theirs, ours = await send(aiohttp), await send(aiotape)
    assert ours == theirs
    assert ours["body"] == '{"a":[1,2]} '


async def test_fallback_charset_resolver_decodes_bodies_without_a_charset(app_url: URL) -> None:
    async def text(client: ModuleType) -> tuple[str, str]:
        async with client.ClientSession(fallback_charset_resolver=lambda r, b: "cp1251") as s:
            async with s.get(app_url / "cp1251") as resp:
                body = await resp.text()
                return body, resp.get_encoding()

    theirs, ours = await text(aiohttp), await text(aiotape)
    assert ours == theirs == (CP1251_TEXT, "cp1251")


@pytest.mark.parametrize("client", CLIENTS)
async def test_version_1_1_is_accepted(client: ModuleType) -> None:
    async with client.ClientSession(version=client.HttpVersion11) as session:
        assert session.version == (1, 1)


async def test_http_1_0_requests_as_aiohttp_sends_them(raw_server: StartRaw) -> None:
    heads: list[bytes] = []

    async def answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            heads.append(await read_head(reader))
            writer.write(
                b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"
            )

    server = await raw_server(answers)
    for client in (aiohttp, aiotape):
        async with client.ClientSession(version=client.HttpVersion10) as session:
            assert session.version == (1, 0)
            for _ in range(2):
                async with session.get(server.url / "p") as resp:
                    assert (resp.version, await resp.read()) == ((1, 0), b"ok")
    theirs, ours = (
        {line for line in head.split(b"\r\n") if not line.startswith(b"User-Agent")}
        for head in (heads[0], heads[2])
    )
    assert ours == theirs
    assert {b"GET /p HTTP/1.0", b"Connection: keep-alive"} <= ours
    assert server.connections == 2  # one per client: the connection was kept


def test_versions_other_than_1_0_and_1_1_are_refused() -> None:
    with pytest.raises(ValueError, match="not version="):
        aiotape.ClientSession(version=aiotape.HttpVersion(2, 0))


# -- per-request options ----------------------------------------------------------------------
@pytest.mark.parametrize("compress", [True, "deflate", "gzip"])
async def test_compress_deflates_the_body_and_sends_it_chunked(
    app_url: URL, compress: str | bool
) -> None:
    body = b"compress me " * 500
    theirs = await _echoed(aiohttp, app_url, data=body, compress=compress)
    ours = await _echoed(aiotape, app_url, data=body, compress=compress)
    assert ours == theirs
    assert ours["body"] == body.decode()
    coding = "deflate" if compress is True else compress
    assert ["Content-Encoding", coding] in ours["headers"]
    assert ["Transfer-Encoding", "chunked"] in ours["headers"]


async def test_compress_leaves_an_empty_body_alone(app_url: URL) -> None:
    theirs = await _echoed(aiohttp, app_url, data=b"", compress=True)
    ours = await _echoed(aiotape, app_url, data=b"", compress=True)
    assert ours == theirs
    assert not any(name == "Content-Encoding" for name, _ in ours["headers"])


async def test_compress_with_a_streamed_body(app_url: URL) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b"streamed piece "

    ours = await _echoed(aiotape, app_url, data=pieces(), compress="gzip")
    theirs = await _echoed(aiohttp, app_url, data=pieces(), compress="gzip")
    assert ours == theirs
    assert ours["body"] == "streamed piece " * 50


@pytest.mark.parametrize("client", CLIENTS)
async def test_compress_with_a_content_encoding_header_is_an_error(
    client: ModuleType, app_url: URL
) -> None:
    async with client.ClientSession() as session:
        with pytest.raises(ValueError, match="compress can not be set"):
            await session.post(
                app_url / "echo", data=b"x", compress=True, headers={"Content-Encoding": "br"}
            )


async def test_expect100_sends_the_expectation_and_the_body(app_url: URL) -> None:
    theirs = await _echoed(aiohttp, app_url, data=b"after continue", expect100=True)
    ours = await _echoed(aiotape, app_url, data=b"after continue", expect100=True)
    assert ours == theirs
    assert ["Expect", "100-continue"] in ours["headers"]
    assert ours["body"] == "after continue"


async def _head_and_length(reader: asyncio.StreamReader) -> tuple[bytes, int]:
    head = await read_head(reader)
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return head, length


@pytest.mark.parametrize("via", ["expect100", "header"])
async def test_the_body_waits_for_100_continue(raw_server: StartRaw, via: str) -> None:
    async def continues(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, length = await _head_and_length(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    server = await raw_server(continues)
    options: dict[str, Any] = (
        {"expect100": True} if via == "expect100" else {"headers": {"Expect": "100-continue"}}
    )
    for client in (aiohttp, aiotape):
        async with client.ClientSession() as session:
            async with session.put(server.url, data=b"the body", **options) as resp:
                assert (resp.status, await resp.read()) == (200, b"the body")


async def test_a_final_answer_instead_of_100_means_the_body_is_never_sent(
    raw_server: StartRaw,
) -> None:
    after_head: asyncio.Queue[bytes] = asyncio.Queue()

    async def refuses(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 2\r\n\r\nno")
        await after_head.put(await reader.read())

    server = await raw_server(refuses)
    for client in (aiohttp, aiotape):
        async with client.ClientSession() as session:
            async with session.put(server.url, data=b"unwanted body", expect100=True) as resp:
                assert (resp.status, await resp.read()) == (417, b"no")
        assert await after_head.get() == b""  # read until the client hung up


@pytest.mark.parametrize("read_until_eof", [True, False])
async def test_read_until_eof_decides_what_an_unframed_body_is(
    raw_server: StartRaw, read_until_eof: bool
) -> None:
    async def unframed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
        await writer.drain()
        writer.close()

    server = await raw_server(unframed)
    bodies = []
    for client in (aiohttp, aiotape):
        async with client.ClientSession() as session:
            async with session.get(server.url, read_until_eof=read_until_eof) as resp:
                bodies.append(await resp.read())
    assert bodies[0] == bodies[1] == (b"until the end" if read_until_eof else b"")


async def test_per_request_head_limits_equal_to_the_sessions_are_accepted(app_url: URL) -> None:
    limits = {"max_line_size": 8190, "max_field_size": 8190, "max_headers": 128}
    ours = await _echoed(aiotape, app_url, data=b"x", **limits)
    theirs = await _echoed(aiohttp, app_url, data=b"x", **limits)
    assert ours == theirs


async def _big_heads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers every request with a 10000-byte header and 20 headers, keeping the connection."""
    while True:
        await read_head(reader)
        extra = b"".join(b"X-N%d: %d\r\n" % (i, i) for i in range(20))
        writer.write(
            b"HTTP/1.1 200 All good, here are big headers\r\nX-Big: "
            + b"b" * 10000
            + b"\r\n"
            + extra
        )
        writer.write(b"Content-Length: 2\r\n\r\nok")
        await writer.drain()


async def _outcome(session: Any, url: URL, **limits: int) -> str:
    try:
        async with session.get(url, **limits) as resp:
            return f"{resp.status} {len(resp.headers['X-Big'])} {await resp.text()}"
    except Exception as exc:
        return type(exc).__name__


@pytest.mark.parametrize(
    "limits",
    [
        {},
        {"max_field_size": 16384},
        {"max_field_size": 16384, "max_headers": 10},
        {"max_field_size": 16384, "max_line_size": 20},
    ],
    ids=["defaults", "field", "field+headers", "field+line"],
)
async def test_per_request_head_limits_apply_to_that_request(
    raw_server: StartRaw, limits: dict[str, int]
) -> None:
    server = await raw_server(_big_heads)
    outcomes = []
    for client in (aiohttp, aiotape):
        async with client.ClientSession() as session:
            first = await _outcome(session, server.url, **limits)
            widened = await _outcome(session, server.url, max_field_size=16384)
            again = await _outcome(session, server.url)  # back to the session's limits
            outcomes.append((first, widened, again))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][1] == "200 10000 ok"
    assert outcomes[1][0] == (
        "200 10000 ok" if limits == {"max_field_size": 16384} else "ClientResponseError"
    )
    assert outcomes[1][2] == "ClientResponseError"


# -- response and stream ----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["gzipped", "cp1251"])
async def test_total_raw_bytes_counts_the_body_as_received(app_url: URL, path: str) -> None:
    counts = []
    for client in (aiohttp, aiotape):
        async with client.ClientSession() as session, session.get(app_url / path) as resp:
            await resp.read()
            content = resp.content
            counts.append(
                (content.total_raw_bytes, content.total_bytes, content.total_compressed_bytes)
            )
    assert counts[0] == counts[1]
    if path == "gzipped":
        assert counts[1][0] < counts[1][1] == 5000


async def test_connection_shows_the_socket_until_the_body_is_done(raw_server: StartRaw) -> None:
    finish = asyncio.Event()

    async def streams(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
            await finish.wait()
            finish.clear()
            writer.write(b"0\r\n\r\n")

    server = await raw_server(streams)
    for client in (aiohttp, aiotape):
        async with client.ClientSession() as session, session.get(server.url) as resp:
            connection = resp.connection
            assert connection is not None and not connection.closed
            peer = connection.transport.get_extra_info("peername")
            assert peer[:2] == ("127.0.0.1", server.url.port)
            finish.set()
            assert await resp.read() == b"abc"
            assert resp.connection is None


# -- websockets -------------------------------------------------------------------------------
@pytest.mark.parametrize("client", CLIENTS)
async def test_decode_text_false_gives_text_messages_as_bytes(
    client: ModuleType, app_url: URL
) -> None:
    async with client.ClientSession() as session:
        async with session.ws_connect(app_url / "ws", decode_text=False) as ws:
            await ws.send_str("h\u00e9")
            msg = await ws.receive()
            assert (msg.type, msg.data) == (client.WSMsgType.TEXT, "h\u00e9".encode())
            await ws.send_str("again")
            assert await ws.receive_str() == b"again"


@pytest.mark.parametrize("client", CLIENTS)
async def test_send_json_bytes_sends_a_binary_message(client: ModuleType, app_url: URL) -> None:
    async with client.ClientSession() as session:
        async with session.ws_connect(app_url / "ws") as ws:
            await ws.send_json_bytes({"k": 1}, dumps=lambda obj: json.dumps(obj).encode())
            assert await ws.receive_str() == 'binary:{"k": 1}'
