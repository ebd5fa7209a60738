"""Reading a response after raise_for_status, release or close, side by side with aiohttp."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from tests import parity
from tests.parity import StartServer, both, outcome

recording_server = parity.recording_server

Scenario = Callable[[Any], Awaitable[Any]]


async def _json_body(request: web.Request) -> web.Response:
    return web.json_response({"k": "v"}, status=int(request.query.get("status", "200")))


async def _read_release_read(resp: Any) -> Any:
    await resp.read()
    resp.release()
    return await outcome(resp.read())


async def _read_close_text(resp: Any) -> Any:
    await resp.read()
    resp.close()
    return await outcome(resp.text())


async def _read_close_json(resp: Any) -> Any:
    await resp.read()
    resp.close()
    return await outcome(resp.json())


async def _release_read(resp: Any) -> Any:
    resp.release()
    return await outcome(resp.read())


async def _close_text(resp: Any) -> Any:
    resp.close()
    return await outcome(resp.text())


async def _close_json(resp: Any) -> Any:
    resp.close()
    return await outcome(resp.json())


async def _release_content_read(resp: Any) -> Any:
    resp.release()
    return await outcome(resp.content.read())


async def _read_twice(resp: Any) -> Any:
    return [await resp.read(), await outcome(resp.read())]


async def _raise_for_status_then_read(resp: Any) -> Any:
    raised = await outcome(_raise_for_status(resp))
    return raised, await outcome(resp.read())


async def _raise_for_status(resp: Any) -> None:
    resp.raise_for_status()


SCENARIOS: dict[str, Scenario] = {
    "read, release, read": _read_release_read,
    "read, close, text": _read_close_text,
    "read, close, json": _read_close_json,
    "release, read": _release_read,
    "close, text": _close_text,
    "close, json": _close_json,
    "release, content.read": _release_content_read,
    "read twice": _read_twice,
    "raise_for_status, read": _raise_for_status_then_read,
}


@pytest.mark.parametrize("in_context", [True, False], ids=["async-with", "await"])
@pytest.mark.parametrize("status", [200, 404])
@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_reading_after_release_or_close_matches_aiohttp(
    recording_server: StartServer, name: str, status: int, in_context: bool
) -> None:
    server = await recording_server()
    url = server.route("/json", _json_body).with_query(status=status)

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session:
            if in_context:
                async with session.get(url) as resp:
                    return await SCENARIOS[name](resp)
            resp = await session.get(url)
            try:
                return await SCENARIOS[name](resp)
            finally:
                resp.release()

    theirs, ours = await both(call)
    assert ours == theirs


async def test_error_handler_reads_the_body_after_raise_for_status(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    url = server.route("/json", _json_body).with_query(status=500)

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session, session.get(url) as resp:
            try:
                resp.raise_for_status()
            except lib.ClientResponseError as exc:
                return exc.status, await resp.json()
        return None

    theirs, ours = await both(call)
    assert ours == theirs == (500, {"k": "v"})


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain; charset=UTF8",
        "text/plain; charset=latin-1",
        'text/plain; charset="ISO-8859-1"',
        "text/plain; charset=utf_16",
        "text/plain; charset=nope",
        "application/json",
        "application/rdap+json",
        "text/plain",
    ],
)
async def test_get_encoding_matches_aiohttp(
    recording_server: StartServer, content_type: str
) -> None:
    server = await recording_server()

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=b"abc", headers={"Content-Type": content_type})

    url = server.route("/typed", handler)

    async def encoding(resp: Any) -> str:
        return str(resp.get_encoding())

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session, session.get(url) as resp:
            before = await outcome(encoding(resp))
            await resp.read()
            return before, await outcome(encoding(resp))

    theirs, ours = await both(call)
    assert ours == theirs


HEADER_CASES: dict[str, dict[str, str]] = {
    "json charset": {"Content-Type": "application/json; charset=UTF-8"},
    "quoted charset": {"Content-Type": 'text/html; charset="latin-1"'},
    "upper mime": {"Content-Type": "Text/HTML; Charset=UTF-8"},
    "no type": {},
    "bad type": {"Content-Type": "nonsense"},
    "params only": {"Content-Type": "; charset=utf-8"},
    "length": {"Content-Length": "3", "Content-Type": "text/plain"},
    "cookies": {"Set-Cookie": "a=1; Path=/; HttpOnly"},
}


@pytest.mark.parametrize("name", list(HEADER_CASES))
async def test_response_metadata_matches_aiohttp(recording_server: StartServer, name: str) -> None:
    server = await recording_server()
    headers = HEADER_CASES[name]

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=b'"x"', headers=headers)

    url = server.route("/meta", handler)

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session, session.get(url) as resp:
            meta = (
                resp.content_type,
                resp.charset,
                resp.content_length,
                {k: v.value for k, v in resp.cookies.items()},
                resp.ok,
                resp.reason,
                str(resp.version),
            )
            text = await outcome(resp.text())
            parsed = await outcome(resp.json())
            return meta, text, parsed[0] if isinstance(parsed, tuple) else parsed

    theirs, ours = await both(call)
    assert ours == theirs


@pytest.mark.parametrize("status", [400, 404, 500, 599])
async def test_client_response_error_matches_aiohttp(
    recording_server: StartServer, status: int
) -> None:
    server = await recording_server()
    url = server.route("/json", _json_body).with_query(status=status)

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession(raise_for_status=True) as session:
            try:
                await session.get(url)
            except lib.ClientResponseError as exc:
                return str(exc), repr(exc)[:40], exc.status, exc.message, len(exc.history)
        return None

    theirs, ours = await both(call)
    assert ours == theirs
