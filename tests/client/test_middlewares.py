"""Client middlewares, side by side with aiohttp's, and above the seam (mocks, cassettes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.cassettes import use_cassette
from aiotape.mocking import Call, MockRouter

CLIENTS = pytest.mark.parametrize("client", [aiohttp, aiotape], ids=["aiohttp", "aiotape"])


async def echo_headers(session: Any, url: URL, **kwargs: Any) -> dict[str, str]:
    async with session.get(url, **kwargs) as resp:
        headers: dict[str, str] = (await resp.json())["headers"]
        return headers


def tagging(name: str, log: list[str] | None = None) -> Any:
    """A middleware that adds ``X-Tag: name`` and logs when it runs, before and after."""

    async def middleware(req: Any, handler: Any) -> Any:
        if log is not None:
            log.append(f"{name}>")
        req.headers.add("X-Tag", name)
        resp = await handler(req)
        if log is not None:
            log.append(f"<{name}")
        return resp

    return middleware


@CLIENTS
async def test_session_middleware_changes_the_request(client: Any, httpbin: URL) -> None:
    async with client.ClientSession(middlewares=[tagging("s")]) as session:
        assert (await echo_headers(session, httpbin / "get"))["X-Tag"] == "s"


@CLIENTS
async def test_first_middleware_listed_is_outermost(client: Any, httpbin: URL) -> None:
    log: list[str] = []
    middlewares = [tagging("a", log), tagging("b", log)]
    async with client.ClientSession(middlewares=middlewares) as session:
        await echo_headers(session, httpbin / "get")
    assert log == ["a>", "b>", "<b", "<a"]


@CLIENTS
async def test_request_middlewares_replace_the_sessions(client: Any, httpbin: URL) -> None:
    async with client.ClientSession(middlewares=[tagging("s")]) as session:
        replaced = await echo_headers(session, httpbin / "get", middlewares=[tagging("r")])
        disabled = await echo_headers(session, httpbin / "get", middlewares=())
    assert replaced["X-Tag"] == "r"
    assert "X-Tag" not in disabled


@CLIENTS
async def test_middleware_runs_on_every_redirect_hop(client: Any, httpbin: URL) -> None:
    seen: list[str] = []

    async def record(req: Any, handler: Any) -> Any:
        seen.append(req.url.path)
        return await handler(req)

    async with client.ClientSession(middlewares=[record]) as session:
        async with session.get(httpbin / "redirect/2") as resp:
            assert resp.status == 200
            assert [r.status for r in resp.history] == [302, 302]
    assert seen == ["/redirect/2", "/redirect/1", "/get"]


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[URL, list[str]]]:
    """A server answering 503 to every first attempt of a path, then 200 (with its log)."""
    log: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        log.append(request.path)
        if log.count(request.path) == 1:
            return web.Response(status=503)
        return web.Response(text=request.headers.get("X-Attempt", ""))

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield URL(f"http://127.0.0.1:{port}"), log
    await runner.cleanup()


async def retrying(req: Any, handler: Any) -> Any:
    """Retry once on 503, numbering the attempts in a header."""
    for attempt in (1, 2):
        req.headers["X-Attempt"] = str(attempt)
        resp = await handler(req)
        if resp.status != 503:
            break
        resp.release()
    return resp


async def test_retry_middleware_sends_the_request_again(
    flaky: tuple[URL, list[str]],
) -> None:
    url, log = flaky
    results = []
    for client in (aiohttp, aiotape):
        async with client.ClientSession(middlewares=[retrying]) as session:
            async with session.get(url / client.__name__) as resp:
                results.append((resp.status, await resp.text()))
    assert results == [(200, "2"), (200, "2")]
    assert log == ["/aiohttp", "/aiohttp", "/aiotape", "/aiotape"]


async def test_middleware_may_refresh_a_token_through_its_session(httpbin: URL) -> None:
    """aiohttp's documented idiom: a nested request with ``middlewares=()`` avoids recursion."""

    async def run(client: Any) -> tuple[list[str], str]:
        paths: list[str] = []

        async def token(req: Any, handler: Any) -> Any:
            paths.append(req.url.path)
            async with req.session.post(httpbin / "post", data="t0k", middlewares=()) as r:
                req.headers["Authorization"] = "Bearer " + (await r.json())["data"]
            return await handler(req)

        async with client.ClientSession(middlewares=[token]) as session:
            headers = await echo_headers(session, httpbin / "get")
        return paths, headers["Authorization"]

    assert await run(aiotape) == await run(aiohttp) == (["/get"], "Bearer t0k")


async def test_client_request_exposes_aiohttps_fields(httpbin: URL) -> None:
    async def run(client: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {}

        async def inspect(req: Any, handler: Any) -> Any:
            fields.update(
                method=req.method,
                url=req.url,
                host=req.host,
                port=req.port,
                is_ssl=req.is_ssl(),
                has_session=req.session is session,
                info=(req.request_info.method, req.request_info.url),
                content_type=req.headers["Content-Type"],
                body=req.body if isinstance(req.body, bytes) else req.body._value,
            )
            return await handler(req)

        async with client.ClientSession(middlewares=[inspect]) as session:
            async with session.put(httpbin / "put", params={"q": "1"}, data=b"raw"):
                pass
        return fields

    ours = await run(aiotape)
    assert ours == await run(aiohttp)
    assert ours["body"] == b"raw"
    assert isinstance(aiotape.ClientRequest, type)


# -- above the seam ----------------------------------------------------------------------------
async def test_middlewares_run_under_http_mock(http_mock: MockRouter) -> None:
    route = http_mock.get("http://api.test/items", json=[1])
    async with aiotape.ClientSession(middlewares=[tagging("m")]) as session:
        async with session.get("http://api.test/items") as resp:
            assert await resp.json() == [1]
    call: Call = route.calls[0]
    assert call.headers["X-Tag"] == "m"


async def test_retry_middleware_under_http_mock_sees_each_answer(http_mock: MockRouter) -> None:
    route = http_mock.get("http://api.test/flaky", status=503, repeat=1)
    http_mock.get("http://api.test/flaky", text="ok")
    async with aiotape.ClientSession(middlewares=[retrying]) as session:
        async with session.get("http://api.test/flaky") as resp:
            assert (resp.status, await resp.text()) == (200, "ok")
    assert route.call_count == 1
    assert [c.headers["X-Attempt"] for c in http_mock.calls] == ["1", "2"]


async def test_middlewares_record_and_replay_with_cassettes(httpbin: URL, tmp_path: Path) -> None:
    path = tmp_path / "mw.yaml"
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession(middlewares=[tagging("c")]) as session:
            recorded = await echo_headers(session, httpbin / "get")
    with use_cassette(path, record_mode="none"):
        async with aiotape.ClientSession(middlewares=[tagging("c")]) as session:
            replayed = await echo_headers(session, httpbin / "get")
    assert recorded["X-Tag"] == replayed["X-Tag"] == "c"
