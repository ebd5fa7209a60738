"""Fixtures for the plugin tests: a live server on its own thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiohttp import web

from tests.plugin.inner import LiveServer
from tests.servers import app_in_thread


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """An aiohttp.web server on its own thread answering ``hello <path>``, noting hits."""
    info = LiveServer()

    async def hello(request: web.Request) -> web.Response:
        info.hits.append(request.path_qs)
        return web.Response(text=f"hello {request.path}", headers={"X-Hit": str(len(info.hits))})

    app = web.Application()
    app.router.add_get("/{tail:.*}", hello)
    with app_in_thread(app) as info.url:
        yield info
