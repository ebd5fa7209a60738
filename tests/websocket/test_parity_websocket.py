"""Websocket messages and handshake errors side by side with aiohttp."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from tests import parity
from tests.parity import StartServer, both, outcome

recording_server = parity.recording_server


async def _echo_ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is web.WSMsgType.TEXT:
            if msg.data == "close":
                await ws.close(code=4001, message=b"bye")
            else:
                await ws.send_str(msg.data)
        elif msg.type is web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def test_received_messages_match_aiohttp(recording_server: StartServer) -> None:
    server = await recording_server()
    url = server.route("/ws", _echo_ws)

    async def call(lib: ModuleType) -> Any:
        seen = []
        async with lib.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.send_str("hi")
            await ws.send_bytes(b"\x00")
            await ws.send_str("close")
            for _ in range(3):
                msg = await ws.receive()
                seen.append((msg.type.name, msg.data, msg.extra))
        return seen

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[0] == ("TEXT", "hi", "")


@pytest.mark.parametrize("status", [404, 200])
async def test_handshake_error_matches_aiohttp(recording_server: StartServer, status: int) -> None:
    server = await recording_server()

    async def plain(request: web.Request) -> web.Response:
        return web.Response(status=status, text="no websocket here")

    url = server.route("/plain", plain).with_scheme("ws")
    theirs, ours = await both(lambda lib: _handshake_failure(lib, url))
    assert ours == theirs
    assert ours[0] == "WSServerHandshakeError"


async def _handshake_failure(lib: ModuleType, url: Any) -> Any:
    """How ``ws_connect(url)`` fails: class, text, status and request_info URLs."""
    async with lib.ClientSession() as session:
        try:
            async with session.ws_connect(url):
                return None
        except lib.ClientError as exc:
            info = getattr(exc, "request_info", None)
            urls = None if info is None else (str(info.url), str(info.real_url), info.method)
            return type(exc).__name__, str(exc), getattr(exc, "status", None), urls


async def test_ws_connect_to_an_unknown_scheme_matches_aiohttp(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    url = server.url.with_scheme("ftp")

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session:
            result = await outcome(session.ws_connect(url))
            return result[0] if isinstance(result, tuple) else result

    theirs, ours = await both(call)
    assert ours == theirs


def _bad_upgrade(head: bytes) -> Any:
    async def handler(reader: Any, writer: Any) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(head)
        await writer.drain()
        await reader.read()  # until the client hangs up
        writer.close()

    return handler


BAD_UPGRADES = {
    "no upgrade header": b"HTTP/1.1 101 Switching\r\nConnection: upgrade\r\n\r\n",
    "no connection header": b"HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n\r\n",
    "bad accept": (
        b"HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
        b"Sec-WebSocket-Accept: nope\r\n\r\n"
    ),
}


@pytest.mark.parametrize("name", list(BAD_UPGRADES))
async def test_bad_upgrade_responses_raise_like_aiohttp(raw_server: Any, name: str) -> None:
    server = await raw_server(_bad_upgrade(BAD_UPGRADES[name]))
    url = server.url.with_scheme("ws").with_path("/chat")
    theirs, ours = await both(lambda lib: _handshake_failure(lib, url))
    assert ours == theirs
