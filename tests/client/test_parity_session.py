"""Session-level behaviour side by side with aiohttp: tasks, base_url, cookies, line limits."""

from __future__ import annotations

import asyncio
from http.cookies import Morsel, SimpleCookie
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from tests import parity
from tests.parity import StartServer, both, outcome

recording_server = parity.recording_server


async def test_create_task_accepts_a_request_like_aiohttp(recording_server: StartServer) -> None:
    server = await recording_server()

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session:
            task = asyncio.create_task(session.get(server.url.with_path("/t")))
            resp = await task
            async with resp:
                return resp.status, await resp.text()

    theirs, ours = await both(call)
    assert ours == theirs == (200, "ok")


async def test_request_context_manager_is_a_coroutine(recording_server: StartServer) -> None:
    server = await recording_server()

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session:
            pending = session.get(server.url)
            closed = pending.close()
            return asyncio.iscoroutine(pending), closed

    theirs, ours = await both(call)
    assert ours == theirs == (True, None)
    assert server.take() == []


@pytest.mark.parametrize(
    "base_url", ["{url}/api", "{url}/api/", "{url}", "{url}/", "{url}/a/b", "{url}?q=1"]
)
async def test_base_url_path_rules_match_aiohttp(
    recording_server: StartServer, base_url: str
) -> None:
    server = await recording_server()

    async def call(lib: ModuleType) -> Any:
        async def paths() -> list[str]:
            async with lib.ClientSession(base_url.format(url=server.url)) as session:
                for path in ("echo", "/root"):
                    async with session.get(path) as resp:
                        assert resp.status == 200
            return [seen.path_qs for seen in server.take()]

        return await outcome(paths())

    theirs, ours = await both(call)
    if isinstance(theirs, tuple):
        assert ours[0] == theirs[0] == "ValueError"
    else:
        assert ours == theirs


def _morsel(name: str, value: str, coded: str) -> Morsel[str]:
    morsel: Morsel[str] = Morsel()
    morsel.set(name, value, coded)
    return morsel


def _simple_cookie() -> SimpleCookie:
    cookie = SimpleCookie()
    cookie["sc"] = "with space"
    return cookie


COOKIE_INPUTS: dict[str, Any] = {
    "plain": {"a": "1", "b": "2"},
    "space": {"a": "b c"},
    "quote and semicolon": {"a": 'x"y;z'},
    "comma": {"a": "1,2"},
    "morsel": {"m": _morsel("m", "v w", '"v w"')},
    "morsel, other key": {"k": _morsel("m", "v", "v")},
    "pairs": [("a", "1"), ("a", "2")],
    "simple cookie": _simple_cookie(),
}


@pytest.mark.parametrize("unsafe", [True, False], ids=["unsafe-jar", "default-jar"])
@pytest.mark.parametrize("where", ["request", "session"])
@pytest.mark.parametrize("name", list(COOKIE_INPUTS))
async def test_cookie_header_matches_aiohttp(
    recording_server: StartServer, name: str, where: str, unsafe: bool
) -> None:
    server = await recording_server()
    cookies = COOKIE_INPUTS[name]

    async def call(lib: ModuleType) -> Any:
        jar = lib.CookieJar(unsafe=unsafe)
        session_cookies = cookies if where == "session" else None
        async with lib.ClientSession(cookies=session_cookies, cookie_jar=jar) as session:
            request_cookies = cookies if where == "request" else None
            async with session.get(server.url, cookies=request_cookies) as resp:
                assert resp.status == 200
        return [seen.headers.get("Cookie") for seen in server.take()]

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[0] or not unsafe


async def _ndjson(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    await resp.prepare(request)
    for size in (200_000, 300_000, 600_000):
        await resp.write(b"x" * size + b"\n")
    await resp.write_eof()
    return resp


@pytest.mark.parametrize("reader", ["readline", "async for"])
async def test_long_lines_follow_aiohttps_default_limits(
    recording_server: StartServer, reader: str
) -> None:
    server = await recording_server()
    url = server.route("/ndjson", _ndjson)

    async def lines(resp: Any) -> tuple[list[int], bool]:
        got: list[int] = []
        try:
            if reader == "readline":
                for _ in range(3):
                    got.append(len(await resp.content.readline()))
            else:
                async for line in resp.content:
                    got.append(len(line))
        except Exception:  # aiohttp: LineTooLong; aiotape: ValueError("Chunk too big")
            return got, True
        return got, False

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session, session.get(url) as resp:
            return await lines(resp)

    theirs, ours = await both(call)
    assert ours == theirs == ([200_001, 300_001], True)


SET_COOKIES = [
    "plain=1",
    'quoted="a b"',
    "spaced=a b",
    "path=1; Path=/sub",
    "gone=1; Max-Age=0",
    "expired=1; Expires=Fri, 01 Jan 1999 00:00:00 GMT",
    "secure=1; Secure",
    "other=1; Domain=example.com",
    'escaped="x\\"y"',
    "comma=a,b",
    "=novalue",
    'semi="a;b"',
]


@pytest.mark.parametrize("path", ["/", "/sub/page"])
async def test_cookies_set_by_responses_are_sent_back_like_aiohttp(
    recording_server: StartServer, path: str
) -> None:
    server = await recording_server()

    async def set_cookies(request: web.Request) -> web.Response:
        resp = web.Response(text="set")
        for value in SET_COOKIES:
            resp.headers.add("Set-Cookie", value)
        return resp

    url = server.route("/set", set_cookies)

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession(cookie_jar=lib.CookieJar(unsafe=True)) as session:
            async with session.get(url) as resp:
                from_response = sorted(resp.cookies)
            async with session.get(server.url.with_path(path)) as resp:
                assert resp.status == 200
            stored = sorted((m.key, m.value) for m in session.cookie_jar)
        sent = server.take()[1].headers.get("Cookie", "")
        return from_response, stored, sorted(sent.split("; "))

    theirs, ours = await both(call)
    assert ours == theirs
