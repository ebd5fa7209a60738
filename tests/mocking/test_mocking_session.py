"""Mocks end to end: the real ClientSession code above a MockRouter (fixture or explicit)."""

from __future__ import annotations

import asyncio
import gzip
import re
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.mocking import Call, MockResponse, MockRouter, NoMatchingRoute
from tests.servers import serve_app

API = "http://api.test"


async def fetch_json(url: str, **kwargs: Any) -> Any:
    async with aiotape.ClientSession() as session, session.get(url, **kwargs) as resp:
        return await resp.json()


# -- the fixture reaches every session ------------------------------------------------------------
def test_sync_test_running_its_own_loop_is_mocked(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/items", json=[1, 2])
    assert asyncio.run(fetch_json(f"{API}/items")) == [1, 2]


async def test_async_test_is_mocked(http_mock: MockRouter) -> None:
    route = http_mock.get(f"{API}/items", json={"ok": True})
    assert await fetch_json(f"{API}/items") == {"ok": True}
    route.assert_called_once()


@pytest.fixture
async def early_session() -> AsyncIterator[aiotape.ClientSession]:
    async with aiotape.ClientSession(base_url=API) as session:
        yield session


async def test_session_created_in_a_fixture_before_the_mock_is_mocked(
    early_session: aiotape.ClientSession, http_mock: MockRouter
) -> None:
    http_mock.get(f"{API}/v1/me", json={"id": 7})
    async with early_session.get("/v1/me") as resp:
        assert await resp.json() == {"id": 7}


async def test_session_in_a_background_task_is_mocked(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/bg", text="from task")

    async def worker() -> str:
        async with aiotape.ClientSession() as session, session.get(f"{API}/bg") as resp:
            return await resp.text()

    assert await asyncio.create_task(worker()) == "from task"


def test_session_in_another_thread_is_mocked(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/thread", json="threaded")
    results: list[Any] = []
    thread = threading.Thread(
        target=lambda: results.append(asyncio.run(fetch_json(f"{API}/thread")))
    )
    thread.start()
    thread.join()
    assert results == ["threaded"]


def test_router_as_the_transport_of_one_session() -> None:
    router = MockRouter()
    router.get(f"{API}/own", json=1)

    async def main() -> Any:
        async with (
            aiotape.ClientSession(transport=router) as session,
            session.get(f"{API}/own") as resp,
        ):
            return await resp.json()

    assert asyncio.run(main()) == 1
    router.verify()


def test_router_as_a_context_manager_outside_pytest_fixtures() -> None:
    with MockRouter() as router:
        router.get(f"{API}/ctx", json="ctx")
        assert asyncio.run(fetch_json(f"{API}/ctx")) == "ctx"


# -- request matching as the client sends it ------------------------------------------------------
async def test_base_url_and_params_are_applied_before_matching(http_mock: MockRouter) -> None:
    route = http_mock.get(f"{API}/search", params={"q": "a b", "page": "2"}, json=[])
    async with aiotape.ClientSession(base_url=API) as session:
        resp = await session.get("/search", params={"page": 2, "q": "a b"})
        assert resp.status == 200
    assert route.calls[0].params["q"] == "a b"


async def test_json_request_body_is_matched_and_recorded(http_mock: MockRouter) -> None:
    created = http_mock.post(f"{API}/items", match_json={"name": "x"}, status=201, json={"id": 1})
    http_mock.post(f"{API}/items", status=422)
    async with aiotape.ClientSession() as session:
        async with session.post(f"{API}/items", json={"name": "x"}) as resp:
            assert (resp.status, await resp.json()) == (201, {"id": 1})
        async with session.post(f"{API}/items", json={"name": "y"}) as resp:
            assert resp.status == 422
    created.assert_called_once_with(
        json={"name": "x"}, headers={"Content-Type": "application/json"}
    )


async def test_form_data_is_matched(http_mock: MockRouter) -> None:
    http_mock.post(f"{API}/form", match_data={"a": "1", "b": "2"}, text="ok")
    async with aiotape.ClientSession() as session:
        resp = await session.post(f"{API}/form", data={"b": "2", "a": "1"})
        assert await resp.text() == "ok"


async def test_streamed_upload_is_consumed_and_recorded(http_mock: MockRouter) -> None:
    route = http_mock.put(f"{API}/upload", status=204)

    async def sender() -> AsyncIterator[bytes]:
        for part in (b"part1-", b"part2"):
            yield part

    async with aiotape.ClientSession() as session:
        resp = await session.put(f"{API}/upload", data=sender())
        assert resp.status == 204
    assert route.calls[0].body == b"part1-part2"
    assert route.calls[0].headers["Transfer-Encoding"] == "chunked"


async def test_headers_are_matched(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/me", match_headers={"Authorization": "Bearer good"}, json="me")
    async with aiotape.ClientSession(headers={"Authorization": "Bearer bad"}) as session:
        with pytest.raises(NoMatchingRoute, match="Bearer good"):
            await session.get(f"{API}/me")
    http_mock.unmatched.clear()
    assert await fetch_json(f"{API}/me", headers={"Authorization": "Bearer good"}) == "me"


async def test_regex_route_answers_many_urls(http_mock: MockRouter) -> None:
    route = http_mock.get(re.compile(rf"{re.escape(API)}/users/\d+$"), json={})
    for user in (1, 22):
        await fetch_json(f"{API}/users/{user}")
    assert [call.url.path for call in route.calls] == ["/users/1", "/users/22"]


# -- responses through the real session code ------------------------------------------------------
async def test_gzip_content_encoding_is_decoded_by_the_session(http_mock: MockRouter) -> None:
    http_mock.get(
        f"{API}/gz",
        body=gzip.compress(b'{"z": 1}'),
        headers={"Content-Encoding": "gzip"},
        content_type="application/json",
    )
    assert await fetch_json(f"{API}/gz") == {"z": 1}


async def test_chunks_stream_through_response_content(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/stream", chunks=[b"ab", b"cd", b"ef"])
    async with aiotape.ClientSession() as session, session.get(f"{API}/stream") as resp:
        assert [chunk async for chunk in resp.content.iter_any()] == [b"ab", b"cd", b"ef"]


async def test_set_cookie_reaches_the_cookie_jar(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/login", headers={"Set-Cookie": "sid=abc; Path=/"})
    route = http_mock.get(f"{API}/me")
    async with aiotape.ClientSession() as session:
        await (await session.get(f"{API}/login")).read()
        await (await session.get(f"{API}/me")).read()
    assert route.calls[0].headers["Cookie"] == "sid=abc"


async def test_redirects_are_followed_hop_by_hop(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/old", status=302, headers={"Location": "/new"})
    http_mock.get(f"{API}/new", text="moved")
    async with aiotape.ClientSession() as session, session.get(f"{API}/old") as resp:
        assert (resp.status, await resp.text()) == (200, "moved")
        assert [r.status for r in resp.history] == [302]


async def test_raise_for_status_sees_the_mocked_status(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/missing", status=404)
    async with aiotape.ClientSession(raise_for_status=True) as session:
        with pytest.raises(aiotape.ClientResponseError) as info:
            await session.get(f"{API}/missing")
    assert (info.value.status, info.value.message) == (404, "Not Found")


async def test_reason_and_content_type_keywords(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/r", status=299, reason="Custom", text="<p/>", content_type="text/html")
    async with aiotape.ClientSession() as session, session.get(f"{API}/r") as resp:
        assert (resp.status, resp.reason, resp.content_type, resp.charset) == (
            299,
            "Custom",
            "text/html",
            "utf-8",
        )


async def test_exception_keyword_raises_from_the_session_call(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/down", exception=aiotape.ServerDisconnectedError())
    async with aiotape.ClientSession() as session:
        with pytest.raises(aiotape.ServerDisconnectedError):
            await session.get(f"{API}/down")


async def test_exception_class_is_built_for_the_request(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/down", exception=aiotape.ClientConnectorError)
    http_mock.get(f"{API}/status", exception=aiotape.ClientResponseError)
    async with aiotape.ClientSession() as session:
        with pytest.raises(aiotape.ClientConnectorError) as refused:
            await session.get(f"{API}/down")
        with pytest.raises(aiotape.ClientResponseError) as bad:
            await session.get(f"{API}/status")
    assert (refused.value.host, refused.value.port) == (URL(API).host, URL(API).port)
    assert "Connection refused" in str(refused.value)
    assert bad.value.request_info.url == URL(f"{API}/status")


async def test_repeat_then_fallback(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/retry", status=503, repeat=1)
    http_mock.get(f"{API}/retry", json="ok")
    async with aiotape.ClientSession() as session:
        statuses = [(await session.get(f"{API}/retry")).status for _ in range(3)]
    assert statuses == [503, 200, 200]


async def test_add_takes_any_method_and_a_yarl_url(http_mock: MockRouter) -> None:
    route = http_mock.add("PATCH", URL(f"{API}/p"), body=b"\x00", repeat=3)
    async with aiotape.ClientSession() as session:
        bodies = [await (await session.patch(f"{API}/p", data=b"x")).read() for _ in range(3)]
        with pytest.raises(NoMatchingRoute, match="used up"):
            await session.patch(f"{API}/p")
    http_mock.unmatched.clear()
    assert bodies == [b"\x00"] * 3
    assert route.call_count == 3


async def test_callback_builds_a_response_from_the_request(http_mock: MockRouter) -> None:
    async def echo(call: Call) -> MockResponse:
        return MockResponse(json={"you_sent": call.json(), "path": call.url.path})

    http_mock.post(re.compile(r".*/echo/.*"), callback=echo)
    async with aiotape.ClientSession() as session:
        resp = await session.post(f"{API}/echo/1", json=[1])
        assert await resp.json() == {"you_sent": [1], "path": "/echo/1"}


# -- simulated delay ------------------------------------------------------------------------------
async def test_delay_beyond_total_timeout_raises_timeout_error_instantly(
    http_mock: MockRouter,
) -> None:
    http_mock.get(f"{API}/slow", delay=300)
    async with aiotape.ClientSession(timeout=aiotape.ClientTimeout(total=1)) as session:
        with pytest.raises(asyncio.TimeoutError) as info:
            await session.get(f"{API}/slow")
    assert not isinstance(info.value, aiotape.ServerTimeoutError)


async def test_delay_beyond_sock_read_raises_socket_timeout_error(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/slow", delay=300)
    async with aiotape.ClientSession() as session:
        with pytest.raises(aiotape.SocketTimeoutError):
            await session.get(f"{API}/slow", timeout=aiotape.ClientTimeout(sock_read=1))


async def test_delay_within_timeout_answers_without_waiting(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/slowish", delay=30, json="done")
    assert await fetch_json(f"{API}/slowish", timeout=aiotape.ClientTimeout(total=60)) == "done"


# -- call records ---------------------------------------------------------------------------------
async def test_http_mock_records_every_call_in_order(http_mock: MockRouter) -> None:
    http_mock.get(re.compile(".*"), json=None)
    http_mock.delete(f"{API}/items/1", status=204)
    async with aiotape.ClientSession() as session:
        await (await session.get(f"{API}/a")).read()
        await (await session.delete(f"{API}/items/1")).read()
    assert [str(call) for call in http_mock.calls] == [f"GET {API}/a", f"DELETE {API}/items/1"]
    request = http_mock.get_request("DELETE")
    assert request is not None
    assert request.headers["Host"] == "api.test"


# -- same code, real server vs mocks --------------------------------------------------------------
async def inventory_client(session: aiotape.ClientSession) -> dict[str, Any]:
    """Application code under test: list items, create one, follow a redirect."""
    async with session.get("/items", params={"limit": 2}) as resp:
        items = await resp.json()
    async with session.post("/items", json={"name": "new"}) as resp:
        created = (resp.status, await resp.json())
    async with session.get("/legacy") as resp:
        legacy = (resp.status, await resp.text(), str(resp.url.path))
    return {"items": items, "created": created, "legacy": legacy}


@pytest.fixture
async def inventory_server() -> AsyncIterator[URL]:
    async def items(request: web.Request) -> web.Response:
        return web.json_response(list(range(int(request.query["limit"]))))

    async def create(request: web.Request) -> web.Response:
        return web.json_response({"id": 1, **await request.json()}, status=201)

    async def legacy(request: web.Request) -> web.Response:
        raise web.HTTPFound("/current")

    async def current(request: web.Request) -> web.Response:
        return web.Response(text="current")

    app = web.Application()
    app.router.add_get("/items", items)
    app.router.add_post("/items", create)
    app.router.add_get("/legacy", legacy)
    app.router.add_get("/current", current)
    async with serve_app(app) as url:
        yield url


def mock_inventory(router: MockRouter, base: str) -> None:
    router.get(f"{base}/items", params={"limit": 2}, json=[0, 1])
    router.post(
        f"{base}/items", match_json={"name": "new"}, status=201, json={"id": 1, "name": "new"}
    )
    router.get(f"{base}/legacy", status=302, headers={"Location": "/current"})
    router.get(f"{base}/current", text="current")


async def test_same_code_passes_against_real_server_and_mocks(inventory_server: URL) -> None:
    async with aiotape.ClientSession(base_url=inventory_server) as session:
        live = await inventory_client(session)
    with MockRouter() as router:
        mock_inventory(router, API)
        async with aiotape.ClientSession(base_url=API) as session:
            mocked = await inventory_client(session)
    assert (
        live
        == mocked
        == {
            "items": [0, 1],
            "created": (201, {"id": 1, "name": "new"}),
            "legacy": (200, "current", "/current"),
        }
    )
