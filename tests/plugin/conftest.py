"""Fixtures for the plugin tests: a live server on its own thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

from tests.plugin.inner import LiveServer
from tests.servers import serve_app


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """An aiohttp.web server on its own thread answering ``hello <path>``, noting hits."""
    info = LiveServer()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()

    async def hello(request: web.Request) -> web.Response:
        info.hits.append(request.path_qs)
        return web.Response(text=f"hello {request.path}", headers={"X-Hit": str(len(info.hits))})

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", hello)
        async with serve_app(app) as url:
            info.url = str(url)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),))
    thread.start()
    ready.wait()
    try:
        yield info
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        loop.close()
