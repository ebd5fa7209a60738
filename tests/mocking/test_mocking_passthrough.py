"""Passthrough: named hosts and URL prefixes go to real local servers, the rest is mocked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

import aiotape
from aiotape.mocking import MockRouter, NoMatchingRoute
from tests.transports import RecordingTransport

API = "http://api.test"


async def get_json(session: aiotape.ClientSession, url: URL | str) -> object:
    async with session.get(url) as resp:
        return await resp.json()


async def test_named_host_reaches_the_real_server_while_others_are_mocked(httpbin: URL) -> None:
    with MockRouter(passthrough=[str(httpbin.host)]) as mock:
        mock.get(f"{API}/items", json=[1])
        async with aiotape.ClientSession() as session:
            real = await get_json(session, httpbin / "get")
            assert await get_json(session, f"{API}/items") == [1]
    assert isinstance(real, dict) and real["url"] == str(httpbin / "get")
    assert [str(call.url) for call in mock.calls] == [f"{API}/items"]


async def test_url_prefix_passes_only_urls_under_it(httpbin: URL) -> None:
    mock = MockRouter(passthrough=[str(httpbin / "anything") + "/"])
    async with aiotape.ClientSession(transport=mock) as session:
        real = await get_json(session, httpbin / "anything" / "x")
        with pytest.raises(NoMatchingRoute):
            await session.get(httpbin / "get")
    assert isinstance(real, dict) and real["method"] == "GET"
    assert [str(call.url) for call in mock.calls] == [str(httpbin / "get")]


async def test_host_and_port_entry_is_matched_exactly(httpbin: URL) -> None:
    other_port = f"{httpbin.host}:{(httpbin.port or 0) + 1}"
    mock = MockRouter(passthrough=[other_port], assert_all_called=False)
    async with aiotape.ClientSession(transport=mock) as session:
        with pytest.raises(NoMatchingRoute):
            await session.get(httpbin / "get")
    mock.unmatched.clear()
    mock = MockRouter(passthrough=[f"{httpbin.host}:{httpbin.port}"])
    async with aiotape.ClientSession(transport=mock) as session:
        assert (await session.get(httpbin / "status/204")).status == 204


async def test_passthrough_goes_through_the_sessions_own_transport() -> None:
    own = RecordingTransport(b'{"from": "own"}')
    with MockRouter(passthrough=["real.test"]) as mock:
        mock.get(f"{API}/m", json={"from": "mock"})
        async with aiotape.ClientSession(transport=own) as session:
            assert await get_json(session, "http://real.test/r") == {"from": "own"}
            assert await get_json(session, f"{API}/m") == {"from": "mock"}
    assert [str(request.url) for request in own.requests] == ["http://real.test/r"]


def test_passthrough_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError, match="list of hosts"):
        MockRouter(passthrough="127.0.0.1")


@pytest.mark.http_mock(passthrough=["127.0.0.1"])
async def test_http_mock_marker_option_passes_named_hosts(
    http_mock: MockRouter, httpbin: URL
) -> None:
    route = http_mock.get(f"{API}/mocked", text="mocked")
    async with aiotape.ClientSession() as session:
        async with session.get(f"{API}/mocked") as resp:
            assert await resp.text() == "mocked"
        async with session.get(httpbin / "status/418") as resp:
            assert resp.status == 418
    route.assert_called_once()


@pytest.fixture
async def ws_echo() -> AsyncIterator[URL]:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(f"real {msg.data}")
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server.make_url("/ws").with_scheme("ws")
    finally:
        await server.close()


async def test_websocket_to_a_passthrough_host_reaches_the_real_server(ws_echo: URL) -> None:
    with MockRouter(passthrough=["127.0.0.1"]) as mock:
        async with aiotape.ClientSession() as session, session.ws_connect(ws_echo) as ws:
            await ws.send_str("hi")
            assert await ws.receive_str() == "real hi"
    assert mock.calls == []
