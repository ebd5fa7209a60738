"""Websocket behaviours: the same calls through aiohttp and aiotape, one aiohttp.web server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape

CLIENTS = (aiohttp, aiotape)
GUARD = 10.0  # seconds; only reached if a client hangs
BIG = 5 * 2**20


class Server:
    """An aiohttp.web websocket endpoint that notes each handshake's headers."""

    def __init__(self) -> None:
        self.url = URL()
        self.handshakes: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        self.handshakes.append(dict(request.headers))
        ws = web.WebSocketResponse(max_msg_size=0, protocols=("chat",))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is web.WSMsgType.TEXT and msg.data == "big":
                await ws.send_bytes(bytes(BIG))
            elif msg.type is web.WSMsgType.TEXT:
                await ws.send_str(msg.data)
        return ws


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    app = web.Application()
    app.router.add_get("/ws", state.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = URL(f"http://127.0.0.1:{port}/ws")
    yield state
    await runner.cleanup()


async def both(call: Callable[[ModuleType], Awaitable[Any]]) -> list[Any]:
    """``call(module)`` for aiohttp, then for aiotape (each bounded by GUARD)."""
    return [await asyncio.wait_for(call(module), GUARD) for module in CLIENTS]


async def test_two_concurrent_closes_while_a_task_reads(server: Server) -> None:
    async def call(module: ModuleType) -> tuple[Any, ...]:
        async with module.ClientSession() as client:
            ws = await client.ws_connect(server.url)
            reader = asyncio.ensure_future(ws.receive())
            await asyncio.sleep(0)  # the reader is waiting
            closes = await asyncio.gather(ws.close(), ws.close())
            read = await reader
            after = await ws.receive()
            return tuple(closes), read.type, ws.closed, ws.close_code, after.type

    results = await both(call)
    assert results[1] == results[0]
    assert results[0][1] == aiohttp.WSMsgType.CLOSED


async def test_two_concurrent_closes_without_a_reader(server: Server) -> None:
    async def call(module: ModuleType) -> tuple[Any, ...]:
        async with module.ClientSession() as client:
            ws = await client.ws_connect(server.url)
            closes = await asyncio.gather(ws.close(), ws.close())
            return tuple(closes), ws.closed, ws.close_code, (await ws.receive()).type

    results = await both(call)
    assert results[1] == results[0]


async def test_caller_sec_websocket_version_is_sent(server: Server) -> None:
    async def call(module: ModuleType) -> str:
        async with module.ClientSession() as client:
            async with client.ws_connect(server.url, headers={"Sec-WebSocket-Version": "8"}):
                pass
        return server.handshakes[-1]["Sec-WebSocket-Version"]

    assert await both(call) == ["8", "8"]


async def test_max_msg_size_zero_receives_a_5_mib_message(server: Server) -> None:
    async def call(module: ModuleType) -> tuple[Any, int]:
        async with module.ClientSession() as client:
            async with client.ws_connect(server.url, max_msg_size=0) as ws:
                await ws.send_str("big")
                msg = await ws.receive()
        return msg.type, len(msg.data)

    assert await both(call) == [(aiohttp.WSMsgType.BINARY, BIG)] * 2


async def test_caller_sec_websocket_protocol_header_is_an_offer(server: Server) -> None:
    """The server accepts the header's protocol; only protocols= offers are reported."""

    async def call(module: ModuleType) -> tuple[str, Any, str]:
        headers = {"Sec-WebSocket-Protocol": "chat"}
        async with module.ClientSession() as client:
            async with client.ws_connect(server.url, headers=headers) as ws:
                await ws.send_str("hi")
                echoed = await ws.receive_str()
                protocol = ws.protocol
        return server.handshakes[-1]["Sec-WebSocket-Protocol"], protocol, echoed

    assert await both(call) == [("chat", None, "hi")] * 2
