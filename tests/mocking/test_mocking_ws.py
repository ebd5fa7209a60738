"""Websocket mocks: a handler plays the server, the real ClientWebSocketResponse the client."""

from __future__ import annotations

import asyncio
import re

import pytest

import aiotape
from aiotape import WSMsgType
from aiotape.mocking import MockRouter, MockWebSocket, NoMatchingRoute

WS = "ws://api.test/chat"


async def echo(ws: MockWebSocket) -> None:
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(f"echo:{msg.data}")
        else:
            await ws.send_bytes(msg.data[::-1])


async def test_echo_handler_answers_text_and_binary(http_mock: MockRouter) -> None:
    route = http_mock.ws(WS, echo)
    async with aiotape.ClientSession() as session, session.ws_connect(WS) as ws:
        await ws.send_str("hi")
        assert await ws.receive_str() == "echo:hi"
        await ws.send_bytes(b"abc")
        assert await ws.receive_bytes() == b"cba"
    assert ws.close_code == aiotape.WSCloseCode.OK
    assert route.call_count == 1


async def test_async_for_on_the_client_ends_when_the_handler_returns(
    http_mock: MockRouter,
) -> None:
    async def push(ws: MockWebSocket) -> None:
        for i in range(3):
            await ws.send_json({"n": i})

    http_mock.ws(WS, push)
    async with aiotape.ClientSession() as session, session.ws_connect(WS) as ws:
        received = [msg.json()["n"] async for msg in ws]
    assert received == [0, 1, 2]
    assert ws.close_code == aiotape.WSCloseCode.OK


async def test_server_close_code_and_reason_reach_the_client(http_mock: MockRouter) -> None:
    async def reject(ws: MockWebSocket) -> None:
        await ws.close(code=4001, message=b"go away")

    http_mock.ws(WS, reject)
    async with aiotape.ClientSession() as session, session.ws_connect(WS) as ws:
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4001, "go away")
    assert ws.closed
    assert ws.close_code == 4001


async def test_client_close_code_reaches_the_handler(http_mock: MockRouter) -> None:
    seen: list[int | None] = []

    async def record(ws: MockWebSocket) -> None:
        async for _ in ws:
            pass
        seen.append(ws.close_code)

    http_mock.ws(WS, record)
    async with aiotape.ClientSession() as session:
        ws = await session.ws_connect(WS)
        assert await ws.close(code=4002)
    assert seen == [4002]


async def test_handler_sees_handshake_request_and_chosen_protocol(http_mock: MockRouter) -> None:
    async def greet(ws: MockWebSocket) -> None:
        await ws.send_str(f"{ws.protocol} {ws.request.headers['X-User']}")

    http_mock.ws(WS, greet, protocols=["v2", "v1"])
    async with aiotape.ClientSession() as session:
        ws = await session.ws_connect(WS, protocols=["v1"], headers={"X-User": "ann"})
        assert ws.protocol == "v1"
        assert await ws.receive_str() == "v1 ann"
        await ws.close()


async def test_http_url_is_mapped_to_ws(http_mock: MockRouter) -> None:
    http_mock.ws("http://api.test/chat", echo)
    async with aiotape.ClientSession() as session, session.ws_connect("http://api.test/chat") as ws:
        await ws.send_str("x")
        assert await ws.receive_str() == "echo:x"


async def test_client_ping_is_answered(http_mock: MockRouter) -> None:
    http_mock.ws(WS, echo)
    async with aiotape.ClientSession() as session, session.ws_connect(WS, autoping=False) as ws:
        await ws.ping(b"p")
        msg = await ws.receive()
        assert (msg.type, msg.data) == (WSMsgType.PONG, b"p")


async def test_handler_receive_helpers(http_mock: MockRouter) -> None:
    async def typed(ws: MockWebSocket) -> None:
        name = await ws.receive_str()
        blob = await ws.receive_bytes()
        data = await ws.receive_json()
        await ws.send_json([name, len(blob), data])

    http_mock.ws(WS, typed)
    async with aiotape.ClientSession() as session, session.ws_connect(WS) as ws:
        await ws.send_str("n")
        await ws.send_bytes(b"12")
        await ws.send_json({"k": 1})
        assert await ws.receive_json() == ["n", 2, {"k": 1}]


async def test_unmatched_websocket_url_raises_no_matching_route(http_mock: MockRouter) -> None:
    http_mock.ws(WS, echo)
    async with aiotape.ClientSession() as session:
        with pytest.raises(NoMatchingRoute, match=re.escape("websocket GET ws://api.test/chat")):
            await session.ws_connect("ws://api.test/other")
        http_mock.unmatched.clear()
        async with session.ws_connect(WS):
            pass


async def test_handler_still_running_when_client_leaves_is_cancelled(http_mock: MockRouter) -> None:
    cancelled = asyncio.Event()

    async def stuck(ws: MockWebSocket) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    http_mock.ws(WS, stuck)
    async with aiotape.ClientSession() as session:
        ws = await session.ws_connect(WS)
        await ws.close()
    assert cancelled.is_set()
