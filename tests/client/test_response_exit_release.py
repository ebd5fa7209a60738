"""Leaving ``async with session.get(...)`` releases the response as aiohttp does: a read body
is no longer readable after it, and a response class's own ``release`` is called."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from tests.servers import serve_app

CLIENTS = [pytest.param(aiohttp, id="aiohttp"), pytest.param(aiotape, id="aiotape")]


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


@pytest.fixture
async def app_url() -> AsyncIterator[URL]:
    app = web.Application()
    app.router.add_get("/hello", _hello)
    async with serve_app(app) as url:
        yield url


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_read_body_is_not_readable_after_async_with(
    client: ModuleType, app_url: URL
) -> None:
    async with client.ClientSession() as session:
        async with session.get(app_url / "hello") as resp:
            assert await resp.read() == b"hello"
        assert resp.closed
        with pytest.raises(client.ClientConnectionError):
            await resp.read()


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_response_class_release_is_called_leaving_async_with(
    client: ModuleType, app_url: URL
) -> None:
    released: list[bytes] = []

    class Counted(client.ClientResponse):  # type: ignore[name-defined, misc]
        def release(self) -> Any:
            released.append(self._body)
            return super().release()

    async with client.ClientSession(response_class=Counted) as session:
        async with session.get(app_url / "hello") as resp:
            assert await resp.read() == b"hello"
        assert released and released[-1] == b"hello"
