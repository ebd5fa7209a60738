"""Session middlewares around ``ws_connect``, side by side: aiohttp sends the handshake through
``request()``, so its session middlewares see each handshake request (every redirect hop)
and its answer, may change its headers and may send it again; aiotape must do the same
against the same local aiohttp.web server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from tests.servers import serve_app

CLIENTS = [aiohttp, aiotape]
TOKEN = "Bearer token"


async def _accept(request: web.Request) -> web.StreamResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str(request.headers.get("X-Added", "-"))
    await ws.close()
    return ws


async def _guarded(request: web.Request) -> web.StreamResponse:
    if request.headers.get("Authorization") != TOKEN:
        return web.Response(status=401)
    return await _accept(request)


async def _forbidden(request: web.Request) -> web.Response:
    return web.Response(status=403)


async def _old(request: web.Request) -> web.Response:
    raise web.HTTPFound("/ws")


@pytest.fixture
async def base() -> AsyncIterator[URL]:
    app = web.Application()
    for path, handler in [
        ("/ws", _accept),
        ("/guarded", _guarded),
        ("/forbidden", _forbidden),
        ("/old", _old),
    ]:
        app.router.add_get(path, handler)
    async with serve_app(app) as url:
        yield url


async def connect(client: Any, url: URL, middleware: Any) -> tuple[str, Any]:
    """What a ws_connect through a session with ``middleware`` gave: the first message,
    or the exception's class and status."""
    async with client.ClientSession(middlewares=(middleware,)) as session:
        try:
            async with session.ws_connect(url) as ws:
                return "message", (await ws.receive()).data
        except client.ClientError as exc:
            return type(exc).__name__, getattr(exc, "status", None)


async def test_a_middleware_sees_each_hop_and_its_answer(base: URL) -> None:
    results = []
    for client in CLIENTS:
        seen: list[Any] = []

        async def middleware(req: Any, handler: Any, seen: list[Any] = seen) -> Any:
            seen.append((req.method, req.url.path))
            req.headers["X-Added"] = "yes"
            resp = await handler(req)
            seen.append(resp.status)
            return resp

        results.append((await connect(client, base / "old", middleware), seen))
    assert results[0] == results[1]
    assert results[1] == (("message", "yes"), [("GET", "/old"), 302, ("GET", "/ws"), 101])


def noting(statuses: list[int]) -> Any:
    """A middleware noting each answer's status; it sends a 401'd handshake again with a token."""

    async def middleware(req: Any, handler: Any) -> Any:
        resp = await handler(req)
        statuses.append(resp.status)
        if resp.status == 401:
            req.headers["Authorization"] = TOKEN
            resp = await handler(req)
            statuses.append(resp.status)
        return resp

    return middleware


async def both_noting(url: URL) -> tuple[tuple[str, Any], list[int]]:
    """What each client's ws_connect through ``noting`` gave, and the statuses it noted;
    asserts they are equal."""
    results = []
    for client in CLIENTS:
        statuses: list[int] = []
        results.append((await connect(client, url, noting(statuses)), statuses))
    assert results[0] == results[1]
    return results[1]


async def test_a_refusal_reaches_the_middleware_then_raises(base: URL) -> None:
    assert await both_noting(base / "forbidden") == (("WSServerHandshakeError", 403), [403])


async def test_a_middleware_may_send_the_handshake_again(base: URL) -> None:
    assert await both_noting(base / "guarded") == (("message", "-"), [401, 101])


async def test_an_accepted_handshake_the_middleware_drops_is_closed() -> None:
    ended = asyncio.Event()

    async def until_closed(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.receive()  # the client's close, or the connection lost
        ended.set()
        return ws

    async def middleware(req: Any, handler: Any) -> Any:
        first = await handler(req)  # accepted, then dropped for a second one
        assert first.status == 101
        return await handler(req)

    app = web.Application()
    app.router.add_get("/ws", until_closed)
    async with serve_app(app) as base:
        async with aiotape.ClientSession(middlewares=(middleware,)) as session:
            async with session.ws_connect(base / "ws") as ws:
                await asyncio.wait_for(ended.wait(), 10)  # the dropped one, while this is open
                assert not ws.closed
