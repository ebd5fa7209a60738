"""The websocket client against real local peers: aiohttp.web handlers and raw asyncio servers
that write frames by hand, plus byte-feeding tests of the channel's framing."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import hashlib
import itertools
import json
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme
from aiohttp import WSMsgType as PeerMsgType
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import aiotape
from aiotape.client.exceptions import (
    ClientConnectionResetError,
    ClientConnectorError,
    ServerDisconnectedError,
    ServerTimeoutError,
    WSMessageTypeError,
    WSServerHandshakeError,
)
from aiotape.client.transport import (
    ChunkedBody,
    Request,
    Response,
    WSMessage,
    WSMsgType,
    WSOptions,
)
from aiotape.client.websocket import ClientWebSocketResponse, WebSocketError
from aiotape.client.ws_channel import NetworkWebSocketChannel
from aiotape.client.ws_connect import connect_ws
from aiotape.client.ws_timeout import ClientWSTimeout
from tests.servers import StartRaw, read_head, serve_app, tls_server_context, trusting_context

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WSHandler = Callable[[web.Request, web.WebSocketResponse], Awaitable[None]]


# -- peers ------------------------------------------------------------------------------------
@dataclass
class WebPeer:
    """An aiohttp.web server whose websocket handler each test supplies."""

    url: URL
    closed: list[tuple[int | None, Any]] = field(default_factory=list)


@pytest.fixture
async def web_peer() -> AsyncIterator[Callable[..., Awaitable[WebPeer]]]:
    async with contextlib.AsyncExitStack() as servers:

        async def start(
            handler: WSHandler, *, ssl_context: ssl.SSLContext | None = None, **ws_options: Any
        ) -> WebPeer:
            async def route(request: web.Request) -> web.StreamResponse:
                ws = web.WebSocketResponse(**ws_options)
                await ws.prepare(request)
                await handler(request, ws)
                await ws.close()
                peer.closed.append((ws.close_code, ws.exception()))
                return ws

            app = web.Application()
            app.router.add_get("/ws", route)
            app.router.add_get("/forbidden", _forbidden)
            served = serve_app(app, ssl_context=ssl_context, shutdown_timeout=0.1)
            peer = WebPeer(await servers.enter_async_context(served) / "ws")
            return peer

        yield start


async def _forbidden(_request: web.Request) -> web.Response:
    return web.Response(status=403, text="no websockets here")


RawScript = Callable[["RawPeerConnection"], Awaitable[None]]


@dataclass
class RawPeerConnection:
    """One accepted connection of a hand-written websocket server."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    request_head: bytes = b""

    def accept_key(self) -> str:
        for line in self.request_head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                digest = hashlib.sha1(value.strip() + WS_GUID).digest()
                return base64.b64encode(digest).decode()
        raise AssertionError("no Sec-WebSocket-Key in the request")

    def upgrade_head(self, extra_headers: str = "", accept: str | None = None) -> bytes:
        """A 101 response head accepting this connection's key (or ``accept``)."""
        accept = self.accept_key() if accept is None else accept
        return (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{extra_headers}\r\n"
        ).encode()

    async def upgrade(self, extra_headers: str = "", accept: str | None = None) -> None:
        self.writer.write(self.upgrade_head(extra_headers, accept))
        await self.writer.drain()

    async def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        self.writer.write(server_frame(opcode, payload, fin=fin))
        await self.writer.drain()

    async def read_frame(self) -> tuple[int, bytes]:
        """A (masked) client frame: opcode and unmasked payload."""
        head1, head2 = await self.reader.readexactly(2)
        size = head2 & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4)
        data = await self.reader.readexactly(size)
        return head1 & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def server_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """An unmasked server frame."""
    first = (0x80 if fin else 0) | opcode
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", first, size) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", first, 126, size) + payload
    return struct.pack("!BBQ", first, 127, size) + payload


@pytest.fixture
def raw_peer(raw_server: StartRaw) -> Callable[[RawScript], Awaitable[URL]]:
    async def start(script: RawScript) -> URL:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = RawPeerConnection(reader, writer)
            conn.request_head = await read_head(reader)
            await script(conn)

        return (await raw_server(handler)).url.with_scheme("ws") / "raw"

    return start


async def receive_once(_request: web.Request, ws: web.WebSocketResponse) -> None:
    """A web_peer handler that waits for one message (or the close) and ends."""
    await ws.receive()


# -- the client under test -----------------------------------------------------------------
@pytest.fixture
async def session() -> AsyncIterator[aiotape.ClientSession]:
    async with aiotape.ClientSession() as client:
        yield client


# -- everyday use ------------------------------------------------------------------------------
async def test_seed_echo_loop_answers_until_close_cmd(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    received: list[str] = []

    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        for text in ("one", "two"):
            await ws.send_str(text)
            received.append(await ws.receive_str())
        await ws.send_str("close cmd")
        await ws.receive()

    peer = await web_peer(handler)
    aiohttp = aiotape  # the seed's code, unchanged, under ``import aiotape as aiohttp``
    async with session.ws_connect(str(peer.url)) as ws:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                if msg.data == "close cmd":
                    await ws.close()
                    break
                else:
                    await ws.send_str(msg.data + "/answer")
            elif msg.type == aiohttp.WSMsgType.ERROR:
                break
    assert received == ["one/answer", "two/answer"]
    assert ws.closed and ws.close_code == 1000


async def test_server_first_message_is_received(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_str("welcome")
        await ws.receive()

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url) as ws:
        assert await ws.receive_str() == "welcome"


async def test_binary_round_trip(web_peer: Any, session: aiotape.ClientSession) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_bytes(await ws.receive_bytes() * 2)
        await ws.receive()

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url) as ws:
        await ws.send_bytes(b"\x00\xff")
        assert await ws.receive_bytes() == b"\x00\xff\x00\xff"


async def test_json_round_trip_with_custom_dumps(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_json({"got": await ws.receive_json()})
        await ws.receive()

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url) as ws:
        await ws.send_json([1, 2], dumps=lambda obj: json.dumps(obj, separators=(",", ":")))
        assert await ws.receive_json() == {"got": [1, 2]}


async def test_large_message_round_trip(web_peer: Any, session: aiotape.ClientSession) -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB

    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_bytes(await ws.receive_bytes())
        await ws.receive()

    peer = await web_peer(handler, max_msg_size=0)
    async with session.ws_connect(peer.url) as ws:
        await ws.send_bytes(payload)
        assert await ws.receive_bytes() == payload


async def test_receive_str_on_binary_raises_message_type_error(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_bytes(b"raw")
        await ws.receive()

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url) as ws:
        with pytest.raises(WSMessageTypeError):
            await ws.receive_str()


async def test_await_ws_connect_returns_open_websocket(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_str("hi")
        await ws.receive()

    peer = await web_peer(handler)
    ws = await session.ws_connect(peer.url)
    try:
        assert not ws.closed
        assert await ws.receive_str() == "hi"
    finally:
        assert await ws.close() is True
    assert await ws.close() is False


async def test_request_headers_and_origin_reach_the_server(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    seen: dict[str, str] = {}

    async def handler(request: web.Request, ws: web.WebSocketResponse) -> None:
        seen.update(request.headers)
        await ws.receive()

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url, headers={"X-Token": "abc"}, origin="http://app.test"):
        pass
    assert seen["X-Token"] == "abc"
    assert seen["Origin"] == "http://app.test"
    assert seen["Upgrade"].lower() == "websocket"


async def test_session_params_auth_and_cookies_reach_the_server(web_peer: Any) -> None:
    seen: list[web.Request] = []

    async def handler(request: web.Request, ws: web.WebSocketResponse) -> None:
        seen.append(request)
        await ws.receive()

    peer = await web_peer(handler)
    async with (
        aiotape.ClientSession(cookies={"session": "s1"}) as session,
        session.ws_connect(
            peer.url, params={"room": "7"}, auth=aiotape.BasicAuth("user", "pw")
        ) as ws,
    ):
        assert not ws.closed
    (request,) = seen
    assert request.query["room"] == "7"
    assert request.cookies["session"] == "s1"
    assert request.headers["Authorization"] == aiotape.BasicAuth("user", "pw").encode()


async def test_ws_url_scheme_is_accepted_as_is(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_str("via ws://")
        await ws.receive()

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url.with_scheme("ws")) as ws:
        assert await ws.receive_str() == "via ws://"


async def test_handshake_response_is_exposed_on_the_channel(web_peer: Any) -> None:
    peer = await web_peer(receive_once)
    request = Request.build("GET", peer.url.with_scheme("ws"))
    channel = await connect_ws(request)
    try:
        assert channel.handshake.status == 101
        assert channel.handshake.headers["Upgrade"].lower() == "websocket"
        assert await channel.handshake.body.read_chunk() == b""
    finally:
        await channel.aclose()


async def test_get_extra_info_reports_peername(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    peer = await web_peer(receive_once)
    async with session.ws_connect(peer.url) as ws:
        assert ws.get_extra_info("peername")[1] == peer.url.port
        assert ws.get_extra_info("no-such-thing", "dflt") == "dflt"


async def test_subprotocol_negotiated(web_peer: Any, session: aiotape.ClientSession) -> None:
    peer = await web_peer(receive_once, protocols=("v2",))
    async with session.ws_connect(peer.url, protocols=("v1", "v2")) as ws:
        assert ws.protocol == "v2"


async def test_compress_negotiates_permessage_deflate(web_peer: Any) -> None:
    text = "compressible " * 1000

    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_str(await ws.receive_str())
        await ws.receive()

    peer = await web_peer(handler, compress=True)
    request = Request.build("GET", peer.url.with_scheme("ws"))
    channel = await connect_ws(request, WSOptions(compress=15))
    ws = ClientWebSocketResponse(
        channel,
        timeout=ClientWSTimeout(ws_close=10.0),
        autoclose=True,
        autoping=True,
        heartbeat=None,
    )
    try:
        assert "permessage-deflate" in channel.handshake.headers["Sec-WebSocket-Extensions"]
        await ws.send_str(text)
        assert await ws.receive_str() == text
    finally:
        await ws.close()


# -- ping / pong -------------------------------------------------------------------------------
async def test_autoping_answers_server_ping(web_peer: Any, session: aiotape.ClientSession) -> None:
    pongs: list[bytes] = []

    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.ping(b"are you there")
        msg = await ws.receive()
        pongs.append(msg.data)
        await ws.send_str("done")
        await ws.receive()

    peer = await web_peer(handler, autoping=False)
    async with session.ws_connect(peer.url) as ws:
        assert await ws.receive_str() == "done"
    assert pongs == [b"are you there"]


async def test_without_autoping_ping_is_returned_to_the_caller(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.ping(b"p")
        await ws.receive()

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url, autoping=False) as ws:
        msg = await ws.receive()
        assert (msg.type, msg.data) == (WSMsgType.PING, b"p")


async def test_client_ping_gets_pong_without_autoping(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    peer = await web_peer(receive_once)
    async with session.ws_connect(peer.url, autoping=False) as ws:
        await ws.ping(b"hello")
        msg = await ws.receive()
        assert (msg.type, msg.data) == (WSMsgType.PONG, b"hello")


async def test_heartbeat_keeps_answering_peer_alive(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        for _ in range(3):
            msg = await ws.receive()
            assert msg.type == PeerMsgType.PING
            await ws.pong(msg.data)
        await ws.send_str("three pings answered")
        await ws.receive()

    peer = await web_peer(handler, autoping=False)
    async with session.ws_connect(peer.url, heartbeat=0.1) as ws:
        assert await ws.receive_str() == "three pings answered"
        assert not ws.closed


async def test_heartbeat_without_pong_closes_with_server_timeout(
    raw_peer: Any, session: aiotape.ClientSession
) -> None:
    pinged = asyncio.Event()

    async def silent(conn: RawPeerConnection) -> None:
        await conn.upgrade()
        opcode, _ = await conn.read_frame()
        assert opcode == 0x9
        pinged.set()
        await conn.reader.read()

    url = await raw_peer(silent)
    ws = await session.ws_connect(url, heartbeat=0.02)
    msg = await ws.receive()
    assert msg.type == WSMsgType.ERROR
    assert isinstance(msg.data, ServerTimeoutError)
    assert pinged.is_set()
    assert ws.closed and ws.close_code == 1006
    assert isinstance(ws.exception(), ServerTimeoutError)
    assert (await ws.receive()).type == WSMsgType.CLOSED


# -- closing -------------------------------------------------------------------------------------
async def test_server_close_yields_close_then_closed(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.close(code=4001, message=b"bye")

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url) as ws:
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4001, "bye")
        assert ws.closed and ws.close_code == 4001
        assert (await ws.receive()).type == WSMsgType.CLOSED


async def test_async_for_stops_when_server_closes(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_str("a")
        await ws.send_str("b")

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url) as ws:
        assert [msg.data async for msg in ws] == ["a", "b"]
    assert ws.close_code == 1000


async def test_without_autoclose_close_message_waits_for_caller(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.close(code=4002)

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url, autoclose=False) as ws:
        msg = await ws.receive()
        assert msg.type == WSMsgType.CLOSE
        assert not ws.closed
        assert (await ws.receive()).type == WSMsgType.CLOSED
        assert ws.closed and ws.close_code == 4002


async def test_client_close_sends_code_and_message_and_keeps_the_reply_code(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    seen: list[tuple[PeerMsgType, Any, Any]] = []

    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        msg = await ws.receive()
        seen.append((msg.type, msg.data, msg.extra))

    peer = await web_peer(handler)
    ws = await session.ws_connect(peer.url)
    assert await ws.close(code=4100, message=b"done") is True
    assert seen == [(PeerMsgType.CLOSE, 4100, "done")]
    assert ws.close_code == 1000


async def test_close_from_another_task_ends_the_readers_loop(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_str("ready")
        await ws.receive()

    peer = await web_peer(handler)
    ws = await session.ws_connect(peer.url)
    assert await ws.receive_str() == "ready"
    reader = asyncio.create_task(ws.receive())
    while not ws._waiting:
        await asyncio.sleep(0)
    assert await ws.close() is True
    assert (await reader).type == WSMsgType.CLOSING
    assert ws.closed and ws.close_code == 1000


async def test_connection_lost_without_close_frame_yields_closed(
    raw_peer: Any, session: aiotape.ClientSession
) -> None:
    async def vanish(conn: RawPeerConnection) -> None:
        await conn.upgrade()
        await conn.send_frame(0x1, b"last words")

    url = await raw_peer(vanish)
    async with session.ws_connect(url) as ws:
        assert await ws.receive_str() == "last words"
        assert (await ws.receive()).type == WSMsgType.CLOSED
        assert ws.closed and ws.close_code == 1006


async def test_close_reply_timeout_closes_abnormally(
    raw_peer: Any, session: aiotape.ClientSession
) -> None:
    async def never_replies(conn: RawPeerConnection) -> None:
        await conn.upgrade()
        await conn.reader.read()

    url = await raw_peer(never_replies)
    ws = await session.ws_connect(url, timeout=ClientWSTimeout(ws_close=0.05))
    assert await ws.close() is True
    assert ws.close_code == 1006
    assert isinstance(ws.exception(), asyncio.TimeoutError)


async def test_send_after_close_raises_connection_reset(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    peer = await web_peer(receive_once)
    ws = await session.ws_connect(peer.url)
    await ws.close()
    with pytest.raises(ClientConnectionResetError):
        await ws.send_str("too late")


# -- receive timeouts and misuse -----------------------------------------------------------
async def test_receive_timeout_raises_timeout_error(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    peer = await web_peer(receive_once)
    async with session.ws_connect(peer.url) as ws:
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive(timeout=0.02)
        assert ws.close_code == 1006


async def test_ws_receive_timeout_applies_to_every_receive(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    peer = await web_peer(receive_once)
    async with session.ws_connect(
        peer.url, timeout=ClientWSTimeout(ws_receive=0.02, ws_close=1)
    ) as ws:
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive_str()


async def test_concurrent_receive_is_refused(web_peer: Any, session: aiotape.ClientSession) -> None:
    peer = await web_peer(receive_once)
    async with session.ws_connect(peer.url) as ws:
        first = asyncio.create_task(ws.receive())
        while not ws._waiting:
            await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="Concurrent call to receive"):
            await ws.receive()
        await ws.close()
        assert (await first).type == WSMsgType.CLOSING


# -- framing ---------------------------------------------------------------------------------
async def test_fragmented_text_is_reassembled_around_a_ping(
    raw_peer: Any, session: aiotape.ClientSession
) -> None:
    pong: list[tuple[int, bytes]] = []

    async def fragments(conn: RawPeerConnection) -> None:
        await conn.upgrade()
        await conn.send_frame(0x1, "héllo, ".encode(), fin=False)
        await conn.send_frame(0x9, b"mid")
        await conn.send_frame(0x0, b"fragmented ", fin=False)
        await conn.send_frame(0x0, b"world")
        pong.append(await conn.read_frame())
        await conn.read_frame()

    url = await raw_peer(fragments)
    async with session.ws_connect(url) as ws:
        assert await ws.receive_str() == "héllo, fragmented world"
    assert pong == [(0xA, b"mid")]


async def test_oversize_message_closes_with_1009_and_returns_error(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_bytes(b"x" * 2048)
        await ws.receive()

    peer = await web_peer(handler)
    async with session.ws_connect(peer.url, max_msg_size=1024) as ws:
        msg = await ws.receive()
        assert msg.type == WSMsgType.ERROR
        assert isinstance(msg.data, WebSocketError) and msg.data.code == 1009
        assert str(msg.data) == "Message size 2048 exceeds limit 1024"
        assert ws.close_code == 1009
        assert (await ws.receive()).type == WSMsgType.CLOSED
    assert peer.closed[0][0] == 1009


async def test_oversize_fragmented_message_is_refused(
    raw_peer: Any, session: aiotape.ClientSession
) -> None:
    async def fragments(conn: RawPeerConnection) -> None:
        await conn.upgrade()
        await conn.send_frame(0x2, b"a" * 600, fin=False)
        await conn.send_frame(0x0, b"b" * 600)
        await conn.reader.read()

    url = await raw_peer(fragments)
    async with session.ws_connect(url, max_msg_size=1000) as ws:
        msg = await ws.receive()
        assert msg.type == WSMsgType.ERROR and msg.data.code == 1009
        assert str(msg.data) == "Message size 1200 exceeds limit 1000"


async def test_invalid_utf8_text_is_an_error_1007(
    raw_peer: Any, session: aiotape.ClientSession
) -> None:
    async def bad_text(conn: RawPeerConnection) -> None:
        await conn.upgrade()
        await conn.send_frame(0x1, b"\xff\xfe")
        await conn.reader.read()

    url = await raw_peer(bad_text)
    async with session.ws_connect(url) as ws:
        msg = await ws.receive()
        assert msg.type == WSMsgType.ERROR and msg.data.code == 1007
        assert ws.close_code == 1007


# -- handshake failures ----------------------------------------------------------------------
async def test_non_101_status_raises_handshake_error(
    web_peer: Any, session: aiotape.ClientSession
) -> None:
    peer = await web_peer(receive_once)
    with pytest.raises(WSServerHandshakeError) as info:
        await session.ws_connect(peer.url.with_path("/forbidden"))
    assert info.value.status == 403
    assert info.value.message == "Invalid response status"
    assert info.value.request_info.url.path == "/forbidden"


@dataclass(frozen=True)
class BadHandshake:
    """What a raw peer answers to the upgrade request (nothing: it hangs up), and the error."""

    reply: Callable[[RawPeerConnection], bytes]
    error: type[Exception]
    match: str | None = None
    status: int | None = None


BAD_HANDSHAKES = {
    "wrong accept key": BadHandshake(
        lambda conn: conn.upgrade_head(accept="bm90IHRoZSByaWdodCBrZXk="),
        WSServerHandshakeError,
        "Invalid challenge response",
        status=101,
    ),
    "missing upgrade header": BadHandshake(
        lambda conn: (
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {conn.accept_key()}\r\n\r\n".encode()
        ),
        WSServerHandshakeError,
        "Invalid upgrade header",
    ),
    "unrequested subprotocol": BadHandshake(
        lambda conn: conn.upgrade_head("Sec-WebSocket-Protocol: chat\r\n"),
        WSServerHandshakeError,
        "subprotocol",
    ),
    "garbage response": BadHandshake(
        lambda _conn: b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        WSServerHandshakeError,
        "Invalid HTTP response",
    ),
    "hang up": BadHandshake(lambda _conn: b"", ServerDisconnectedError),
}


@pytest.mark.parametrize("case", BAD_HANDSHAKES.values(), ids=list(BAD_HANDSHAKES))
async def test_bad_handshake_response_raises(
    raw_peer: Any, session: aiotape.ClientSession, case: BadHandshake
) -> None:
    async def answer(conn: RawPeerConnection) -> None:
        reply = case.reply(conn)
        if not reply:
            conn.writer.close()
            return
        conn.writer.write(reply)
        await conn.reader.read()

    url = await raw_peer(answer)
    with pytest.raises(case.error, match=case.match) as info:
        await session.ws_connect(url)
    if case.status is not None:
        assert isinstance(info.value, WSServerHandshakeError)
        assert info.value.status == case.status


async def test_connection_refused_raises_connector_error(
    session: aiotape.ClientSession, refused_port: int
) -> None:
    with pytest.raises(ClientConnectorError):
        await session.ws_connect(URL(f"ws://127.0.0.1:{refused_port}/"))


# -- TLS -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tls(ca: trustme.CA) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    return tls_server_context(ca.issue_cert("127.0.0.1")), trusting_context(ca)


async def test_wss_echo_with_trusted_certificate(
    web_peer: Any, tls: tuple[ssl.SSLContext, ssl.SSLContext], session: aiotape.ClientSession
) -> None:
    server_ctx, client_ctx = tls

    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_str(await ws.receive_str() + " over tls")
        await ws.receive()

    peer = await web_peer(handler, ssl_context=server_ctx)
    async with session.ws_connect(peer.url, ssl=client_ctx) as ws:
        await ws.send_str("hello")
        assert await ws.receive_str() == "hello over tls"
        assert ws.get_extra_info("sslcontext") is client_ctx


async def test_wss_with_untrusted_certificate_fails_to_connect(
    web_peer: Any, tls: tuple[ssl.SSLContext, ssl.SSLContext], session: aiotape.ClientSession
) -> None:
    peer = await web_peer(receive_once, ssl_context=tls[0])
    with pytest.raises(ClientConnectorError):
        await session.ws_connect(peer.url)


# -- ClientWebSocketResponse over an in-memory channel -----------------------------------------
class ScriptedChannel:
    """A WebSocketChannel the test drives: it queues what the peer sends, records what is sent
    and lets ``on_send`` answer (a peer that replies to pings, or to close)."""

    def __init__(self, on_send: Callable[[WSMessage], list[WSMessage]] | None = None) -> None:
        self.inbox: asyncio.Queue[WSMessage] = asyncio.Queue()
        self.sent: list[WSMessage] = []
        self.closed = False
        self.protocol: str | None = None
        self.handshake = Response(
            101, "Switching Protocols", CIMultiDictProxy(CIMultiDict()), ChunkedBody(())
        )
        self._on_send = on_send

    async def send(self, message: WSMessage) -> None:
        if self.closed:
            raise ClientConnectionResetError("Cannot write to closing transport")
        self.sent.append(message)
        for reply in self._on_send(message) if self._on_send else ():
            self.inbox.put_nowait(reply)

    async def receive(self) -> WSMessage:
        if self.closed and self.inbox.empty():
            return WSMessage(WSMsgType.CLOSED, None, None)
        return await self.inbox.get()

    async def aclose(self) -> None:
        self.closed = True
        self.inbox.put_nowait(WSMessage(WSMsgType.CLOSED, None, None))


def _over(channel: ScriptedChannel, **options: Any) -> ClientWebSocketResponse:
    defaults: dict[str, Any] = {
        "timeout": ClientWSTimeout(ws_close=1.0),
        "autoclose": True,
        "autoping": True,
        "heartbeat": None,
    }
    return ClientWebSocketResponse(channel, **{**defaults, **options})


def _close_reply(message: WSMessage) -> list[WSMessage]:
    if message.type == WSMsgType.CLOSE:
        return [WSMessage(WSMsgType.CLOSE, 1000, "")]
    return []


async def test_scripted_channel_satisfies_the_channel_protocol() -> None:
    from aiotape.client.transport import WebSocketChannel

    assert isinstance(ScriptedChannel(), WebSocketChannel)


async def test_autoping_over_any_channel_answers_with_pong() -> None:
    channel = ScriptedChannel(_close_reply)
    channel.inbox.put_nowait(WSMessage(WSMsgType.PING, b"x", None))
    channel.inbox.put_nowait(WSMessage(WSMsgType.TEXT, "after", None))
    async with _over(channel) as ws:
        assert await ws.receive_str() == "after"
    assert channel.sent[0] == WSMessage(WSMsgType.PONG, b"x", None)
    assert channel.sent[1].type == WSMsgType.CLOSE


async def test_heartbeat_pongs_count_while_nobody_is_receiving() -> None:
    three_pings = asyncio.Event()

    def peer(message: WSMessage) -> list[WSMessage]:
        if message.type == WSMsgType.PING:
            pings = sum(m.type == WSMsgType.PING for m in channel.sent)
            if pings == 3:
                three_pings.set()
            return [WSMessage(WSMsgType.PONG, message.data, None)]
        return _close_reply(message)

    channel = ScriptedChannel(peer)
    async with _over(channel, heartbeat=0.1) as ws:
        await three_pings.wait()
        assert not ws.closed
    assert ws.close_code == 1000


async def test_channel_error_without_code_closes_abnormally() -> None:
    channel = ScriptedChannel(_close_reply)
    failure = ValueError("broken peer")
    channel.inbox.put_nowait(WSMessage(WSMsgType.ERROR, failure, None))
    ws = _over(channel)
    msg = await ws.receive()
    assert msg.type == WSMsgType.ERROR and msg.data is failure
    assert ws.exception() is failure
    assert ws.closed and ws.close_code == 1006


async def test_close_reply_closed_connection_counts_as_abnormal() -> None:
    channel = ScriptedChannel(lambda m: [WSMessage(WSMsgType.CLOSED, None, None)])
    ws = _over(channel)
    assert await ws.close() is True
    assert ws.close_code == 1006
    assert isinstance(ws.exception(), ServerDisconnectedError)


# -- the channel's framing, fed byte by byte ---------------------------------------------------
class RecordingTransport(asyncio.Transport):
    """Collects writes instead of sending them."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _open_channel(max_msg_size: int = 1024) -> tuple[NetworkWebSocketChannel, RecordingTransport]:
    from websockets.protocol import OPEN
    from websockets.uri import WebSocketURI

    from aiotape.client.ws_framer import ClientFramer

    framer = ClientFramer(
        WebSocketURI(False, "peer", 80, "/", ""), state=OPEN, max_size=max_msg_size
    )
    channel = NetworkWebSocketChannel(framer, max_msg_size)
    transport = RecordingTransport()
    channel.connection_made(transport)
    return channel, transport


def _feed_bytewise(channel: NetworkWebSocketChannel, data: bytes) -> None:
    for i in range(len(data)):
        channel.data_received(data[i : i + 1])


async def test_channel_assembles_messages_fed_one_byte_at_a_time() -> None:
    channel, _ = _open_channel()
    _feed_bytewise(
        channel,
        server_frame(0x1, b"ab", fin=False)
        + server_frame(0xA, b"pong")
        + server_frame(0x0, b"cd")
        + server_frame(0x2, b"\x00\x01"),
    )
    assert await channel.receive() == WSMessage(WSMsgType.PONG, b"pong", "")
    assert await channel.receive() == WSMessage(WSMsgType.TEXT, "abcd", "")
    assert await channel.receive() == WSMessage(WSMsgType.BINARY, b"\x00\x01", "")


async def test_channel_does_not_answer_pings_itself() -> None:
    channel, transport = _open_channel()
    channel.data_received(server_frame(0x9, b"p"))
    assert await channel.receive() == WSMessage(WSMsgType.PING, b"p", "")
    assert transport.written == b""


async def test_channel_writes_masked_client_frames() -> None:
    channel, transport = _open_channel()
    await channel.send(WSMessage(WSMsgType.TEXT, "hi", None))
    assert transport.written[0] == 0x81
    assert transport.written[1] == 0x80 | 2
    mask = transport.written[2:6]
    assert bytes(b ^ mask[i] for i, b in enumerate(transport.written[6:])) == b"hi"


async def test_channel_echoes_peer_close_once_and_ignores_a_second_close() -> None:
    channel, transport = _open_channel()
    channel.data_received(server_frame(0x8, struct.pack("!H", 4000) + b"bye"))
    assert await channel.receive() == WSMessage(WSMsgType.CLOSE, 4000, "bye")
    echoed = bytes(transport.written)
    assert echoed[0] == 0x88
    await channel.send(WSMessage(WSMsgType.CLOSE, 1000, b""))
    assert transport.written == echoed


async def test_channel_reports_empty_close_payload_as_code_zero() -> None:
    channel, _ = _open_channel()
    channel.data_received(server_frame(0x8, b""))
    assert await channel.receive() == WSMessage(WSMsgType.CLOSE, 0, "")


async def test_channel_turns_protocol_violation_into_error_1002() -> None:
    channel, transport = _open_channel()
    channel.data_received(server_frame(0x0, b"orphan continuation"))
    msg = await channel.receive()
    assert msg.type == WSMsgType.ERROR and msg.data.code == 1002
    assert transport.written[0] == 0x88


async def test_channel_returns_closed_after_connection_lost() -> None:
    channel, _ = _open_channel()
    channel.data_received(server_frame(0x1, b"queued"))
    channel.connection_lost(None)
    assert await channel.receive() == WSMessage(WSMsgType.TEXT, "queued", "")
    assert (await channel.receive()).type == WSMsgType.CLOSED
    with pytest.raises(ClientConnectionResetError):
        await channel.send(WSMessage(WSMsgType.TEXT, "late", None))


async def test_channel_collects_a_large_frame_split_across_reads() -> None:
    channel, _ = _open_channel(max_msg_size=1 << 20)
    payload = bytes(range(256)) * 800
    wire = server_frame(0x2, payload) + server_frame(0x1, b"next")
    cuts = (0, 20, 70_000, len(wire) - 3, len(wire))
    for start, stop in itertools.pairwise(cuts):
        channel.data_received(wire[start:stop])
    assert await channel.receive() == WSMessage(WSMsgType.BINARY, payload, "")
    assert await channel.receive() == WSMessage(WSMsgType.TEXT, "next", "")


async def test_channel_refuses_a_frame_over_the_limit_with_1009() -> None:
    channel, transport = _open_channel(max_msg_size=1024)
    channel.data_received(server_frame(0x2, b"x" * 2000))
    msg = await channel.receive()
    assert msg.type == WSMsgType.ERROR and msg.data.code == 1009
    assert transport.written[0] == 0x88


async def test_channel_refuses_masked_server_frames() -> None:
    channel, _ = _open_channel()
    masked = bytes([0x81, 0x80 | 2]) + b"\x00\x00\x00\x00" + b"hi"
    channel.data_received(masked)
    msg = await channel.receive()
    assert msg.type == WSMsgType.ERROR and msg.data.code == 1002


async def test_channel_writes_large_frames_with_64_bit_length() -> None:
    channel, transport = _open_channel()
    payload = b"z" * 70_000
    await channel.send(WSMessage(WSMsgType.BINARY, payload, None))
    head = bytes(transport.written[:10])
    assert head[:2] == bytes([0x82, 0x80 | 127])
    assert int.from_bytes(head[2:10], "big") == len(payload)
    mask = transport.written[10:14]
    body = transport.written[14:]
    assert bytes(b ^ mask[i % 4] for i, b in enumerate(body)) == payload


async def test_closing_the_session_closes_websockets_left_open(web_peer: Any) -> None:
    async def handler(_request: web.Request, ws: web.WebSocketResponse) -> None:
        await ws.send_str("hi")
        await ws.receive()

    peer = await web_peer(handler)
    session = aiotape.ClientSession()
    ws = await session.ws_connect(peer.url)
    assert await ws.receive_str() == "hi"
    await session.close()  # the websocket was never closed by its user
    msg = await ws.receive(timeout=2)
    assert msg.type in (aiotape.WSMsgType.CLOSED, aiotape.WSMsgType.CLOSE)
    del ws
    gc.collect()  # no ResourceWarning for an unclosed transport (warnings are errors here)
