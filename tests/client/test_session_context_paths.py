"""What the request fast path must keep: ``async with`` semantics of the response (entered or
awaited, with and without a response class of its own), per-call options next to the
session's shared plan, and header checks that still refuse injected headers when cached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.client.http11 import HeaderLines, serialize_head
from tests.servers import serve_app

CLIENTS = [pytest.param(aiohttp, id="aiohttp"), pytest.param(aiotape, id="aiotape")]


async def _missing(request: web.Request) -> web.Response:
    return web.Response(status=404, text="no such thing")


async def _moved(request: web.Request) -> web.Response:
    raise web.HTTPFound("/target")


async def _target(request: web.Request) -> web.Response:
    return web.Response(text="arrived")


@pytest.fixture
async def app_url() -> AsyncIterator[URL]:
    app = web.Application()
    app.router.add_get("/missing", _missing)
    app.router.add_get("/moved", _moved)
    app.router.add_get("/target", _target)
    async with serve_app(app) as url:
        yield url


@pytest.mark.parametrize("client", CLIENTS)
async def test_raise_for_status_inside_async_with_keeps_the_body_readable(
    client: ModuleType, app_url: URL
) -> None:
    async with client.ClientSession() as session:
        async with session.get(app_url / "missing") as resp:
            with pytest.raises(client.ClientResponseError):
                resp.raise_for_status()
            assert await resp.text() == "no such thing"
        assert resp.closed


@pytest.mark.parametrize("client", CLIENTS)
async def test_raise_for_status_on_an_awaited_response_releases_it(
    client: ModuleType, app_url: URL
) -> None:
    async with client.ClientSession() as session:
        resp = await session.get(app_url / "missing")
        with pytest.raises(client.ClientResponseError):
            resp.raise_for_status()
        assert resp.closed


@pytest.mark.parametrize("client", CLIENTS)
async def test_response_class_with_its_own_context_methods_gets_them_called(
    client: ModuleType, app_url: URL
) -> None:
    calls: list[str] = []

    class Logged(client.ClientResponse):  # type: ignore[name-defined, misc]
        async def __aenter__(self) -> Any:
            calls.append("enter")
            return await super().__aenter__()

        async def __aexit__(self, *exc: Any) -> None:
            calls.append("exit")
            await super().__aexit__(*exc)

    async with client.ClientSession(response_class=Logged) as session:
        async with session.get(app_url / "target") as resp:
            assert type(resp) is Logged
            assert await resp.text() == "arrived"
        assert resp.closed
    assert calls == ["enter", "exit"]


@pytest.mark.parametrize("client", CLIENTS)
async def test_response_class_whose_release_returns_nothing_still_exits(
    client: ModuleType, app_url: URL
) -> None:
    released: list[int] = []

    class Quiet(client.ClientResponse):  # type: ignore[name-defined, misc]
        def release(self) -> None:  # type: ignore[override]
            released.append(self.status)
            super().release()

    async with client.ClientSession(response_class=Quiet) as session:
        async with session.get(app_url / "target") as resp:
            assert await resp.text() == "arrived"
    assert released and released[-1] == 200


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_body_read_inside_async_with_is_not_readable_after_it(
    client: ModuleType, app_url: URL
) -> None:
    async with client.ClientSession() as session:
        async with session.get(app_url / "target") as resp:
            assert await resp.read() == b"arrived"
        assert resp.closed
        with pytest.raises(client.ClientConnectionError):
            await resp.read()


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_call_with_options_does_not_change_the_session_plan(
    client: ModuleType, app_url: URL
) -> None:
    async with client.ClientSession() as session:
        statuses = []
        for options in ({}, {"allow_redirects": False}, {}):
            async with session.get(app_url / "moved", **options) as resp:
                statuses.append((resp.status, len(resp.history)))
    assert statuses == [(200, 1), (302, 0), (200, 1)]


def test_cached_header_lines_serialize_as_fresh_ones() -> None:
    checked: HeaderLines = {}
    headers = [("Host", "h.test"), ("Accept", "*/*")]
    url = URL("http://h.test/a")
    fresh = serialize_head("GET", url, headers)
    assert serialize_head("GET", url, headers, checked=checked) == fresh
    assert serialize_head("POST", url / "b", headers, checked=checked) == fresh.replace(
        b"GET /a", b"POST /a/b"
    )
    assert len(checked) == 1


def test_refused_header_lines_are_refused_every_time_and_not_kept() -> None:
    checked: HeaderLines = {}
    for _ in range(2):
        with pytest.raises(ValueError, match="Newline or carriage return"):
            serialize_head("GET", URL("http://h.test/"), [("X", "a\r\nX-Evil: 1")], checked=checked)
    assert checked == {}
