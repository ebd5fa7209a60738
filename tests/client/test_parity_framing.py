"""Request body framing and streamed uploads, the same calls through aiohttp and aiotape.

Each test runs one call through both clients against the same aiohttp.web server on
127.0.0.1 and compares what the server saw (and what the client got back).
"""

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


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "chunked": "chunked" in request.headers.get("Transfer-Encoding", ""),
            "body": body.decode(),
        }
    )


async def _head_first(request: web.Request) -> web.StreamResponse:
    """Send the head (and a first line) before reading the request body, then echo it."""
    resp = web.StreamResponse()
    await resp.prepare(request)
    await resp.write(b"head sent\n")
    await resp.write(await request.read())
    await resp.write_eof()
    return resp


@pytest.fixture
async def server() -> AsyncIterator[URL]:
    app = web.Application()
    app.router.add_post("/echo", _echo)
    app.router.add_get("/echo", _echo)
    app.router.add_post("/head-first", _head_first)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield URL(f"http://127.0.0.1:{port}")
    await runner.cleanup()


async def both(call: Callable[[ModuleType], Awaitable[Any]]) -> list[Any]:
    """``call(module)`` for aiohttp, then for aiotape (each bounded by GUARD)."""
    return [await asyncio.wait_for(call(module), GUARD) for module in CLIENTS]


async def post_then_get(module: ModuleType, url: URL, **kwargs: Any) -> tuple[Any, Any]:
    """POST with ``kwargs``, then GET on the same (kept-alive) connection: both answers."""
    async with module.ClientSession() as client:
        async with client.post(url, **kwargs) as resp:
            first = (resp.status, await resp.json())
        async with client.get(url) as resp:
            second = (resp.status, await resp.json())
    return first, second


@pytest.mark.parametrize("data", [b"hello", "hello"], ids=["bytes", "str"])
async def test_chunked_true_frames_a_whole_body(server: URL, data: bytes | str) -> None:
    expected = ((200, {"chunked": True, "body": "hello"}), (200, {"chunked": False, "body": ""}))
    results = await both(lambda m: post_then_get(m, server / "echo", data=data, chunked=True))
    assert results == [expected, expected]


async def test_caller_transfer_encoding_chunked_frames_the_body(server: URL) -> None:
    """aiohttp 3.14 sends this body unframed with both headers (the server refuses it);
    aiotape frames it as the caller's header says."""
    headers = {"Transfer-Encoding": "chunked"}

    async def call(module: ModuleType) -> tuple[Any, Any]:
        return await post_then_get(module, server / "echo", data=b"hello", headers=headers)

    aiotape_result = await asyncio.wait_for(call(aiotape), GUARD)
    assert aiotape_result == (
        (200, {"chunked": True, "body": "hello"}),
        (200, {"chunked": False, "body": ""}),
    )
    with pytest.raises(aiohttp.ContentTypeError):  # aiohttp's answer is a plain-text 400
        await asyncio.wait_for(call(aiohttp), GUARD)


async def _hello_world() -> AsyncIterator[bytes]:
    yield b"hello"
    yield b" world"


@pytest.mark.parametrize("streamed", [False, True], ids=["bytes", "stream"])
async def test_short_content_length_sends_only_that_many_bytes(server: URL, streamed: bool) -> None:
    def call(module: ModuleType) -> Awaitable[tuple[Any, Any]]:
        data = _hello_world() if streamed else b"hello world"
        return post_then_get(module, server / "echo", data=data, headers={"Content-Length": "5"})

    expected = ((200, {"chunked": False, "body": "hello"}), (200, {"chunked": False, "body": ""}))
    assert await both(call) == [expected, expected]


async def test_invalid_content_length_is_refused_before_sending(server: URL) -> None:
    async def call(module: ModuleType) -> str:
        async with module.ClientSession() as client:
            with pytest.raises(ValueError) as raised:
                await client.post(server / "echo", data=b"x", headers={"Content-Length": "1x"})
        return str(raised.value)

    messages = await both(call)
    assert messages[1] == messages[0]


async def test_response_head_arrives_while_the_upload_waits_for_it(server: URL) -> None:
    """The upload's last piece is produced only once the caller has the response head."""

    async def call(module: ModuleType) -> tuple[int, str]:
        seen_head = asyncio.Event()

        async def body() -> AsyncIterator[bytes]:
            yield b"first,"
            await seen_head.wait()
            yield b"last"

        async with module.ClientSession() as client:
            async with client.post(server / "head-first", data=body()) as resp:
                seen_head.set()
                return resp.status, await resp.text()

    results = await both(call)
    assert results == [(200, "head sent\nfirst,last")] * 2


async def test_releasing_the_response_stops_a_waiting_upload(server: URL) -> None:
    """The caller leaves before the upload ends: the upload source is closed, not left hanging."""

    async def call(module: ModuleType) -> bool:
        closed = asyncio.Event()

        async def body() -> AsyncIterator[bytes]:
            try:
                yield b"first,"
                await asyncio.Event().wait()
                yield b"never"  # pragma: no cover
            finally:
                closed.set()

        async with module.ClientSession() as client:
            async with client.post(server / "head-first", data=body()) as resp:
                assert await resp.content.readline() == b"head sent\n"
            await asyncio.wait_for(closed.wait(), GUARD)
        return closed.is_set()

    assert await both(call) == [True, True]


async def test_failing_upload_source_raises_client_connection_error(server: URL) -> None:
    async def call(module: ModuleType) -> tuple[str, str, str, Any]:
        async def body() -> AsyncIterator[bytes]:
            yield b"first,"
            raise RuntimeError("source failed")

        async with module.ClientSession() as client:
            with pytest.raises(module.ClientConnectionError) as raised:
                await client.post(server / "echo", data=body())
            async with client.post(server / "echo", data=b"next") as resp:
                after = await resp.json()
        return str(raised.value), repr(raised.value.__cause__), type(raised.value).__name__, after

    results = await both(call)
    assert results[1] == results[0]
    assert results[0][1] == "RuntimeError('source failed')"
