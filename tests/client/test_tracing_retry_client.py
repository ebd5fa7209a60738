"""aiohttp-retry over a caller's session: it passes ``trace_request_ctx=`` on every request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape

aiohttp_retry = pytest.importorskip("aiohttp_retry")


@pytest.fixture
async def unavailable_twice() -> AsyncIterator[URL]:
    """A server answering 503, 503, then 200, again and again."""
    hits = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        return web.Response(status=200 if hits % 3 == 0 else 503, text=str(hits))

    app = web.Application()
    app.router.add_get("/flaky", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield URL(f"http://127.0.0.1:{port}/flaky")
    await runner.cleanup()


async def retried(client: Any, url: URL) -> tuple[int, str, list[Any]]:
    contexts: list[Any] = []
    config = client.TraceConfig()

    async def on_start(session: Any, ctx: Any, params: Any) -> None:
        contexts.append(ctx.trace_request_ctx)

    config.on_request_start.append(on_start)
    session = client.ClientSession(trace_configs=[config])
    options = aiohttp_retry.ExponentialRetry(attempts=3, start_timeout=0)
    async with aiohttp_retry.RetryClient(client_session=session, retry_options=options) as retry:
        async with retry.get(url) as resp:
            return resp.status, await resp.text(), contexts


async def test_retry_client_over_an_aiotape_session(unavailable_twice: URL) -> None:
    theirs = await retried(aiohttp, unavailable_twice)
    ours = await retried(aiotape, unavailable_twice)
    assert theirs[0] == ours[0] == 200
    assert (theirs[1], ours[1]) == ("3", "6")
    assert ours[2] == theirs[2] == [{"current_attempt": n} for n in (1, 2, 3)]
