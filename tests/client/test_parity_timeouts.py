"""Timeouts given to the session and to one request, side by side with aiohttp."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from tests import parity
from tests.parity import StartServer, both, outcome

recording_server = parity.recording_server

_PATIENCE = 5.0
"""Seconds a slow consumer reads before giving up waiting for the total timeout."""


async def _endless(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    await resp.prepare(request)
    chunk = b"x" * 4096
    try:
        while True:
            await resp.write(chunk)
    except (ConnectionError, RuntimeError):
        return resp


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query["delay"]))
    return web.Response(text="late")


async def test_total_timeout_fires_while_a_slow_consumer_reads_an_endless_body(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    url = server.route("/endless", _endless)

    async def consume(resp: Any) -> str:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + _PATIENCE
        while loop.time() < give_up:
            await resp.content.read(2**16)
            await asyncio.sleep(0.005)
        return "never timed out"

    async def call(lib: ModuleType) -> Any:
        timeout = lib.ClientTimeout(total=0.3)
        async with lib.ClientSession(timeout=timeout) as session:
            async with session.get(url) as resp:
                return await outcome(consume(resp))

    theirs, ours = await both(call)
    assert ours == theirs == ("TimeoutError", "")


@pytest.mark.parametrize("timeout", [None, 0.1, 2])
async def test_per_request_timeout_none_or_number_matches_aiohttp(
    recording_server: StartServer, timeout: float | None
) -> None:
    server = await recording_server()
    url = server.route("/slow", _slow).with_query(delay="0.4")

    async def call(lib: ModuleType) -> Any:
        session_timeout = lib.ClientTimeout(total=0.2)
        async with lib.ClientSession(timeout=session_timeout) as session:
            return await outcome(_text(session.get(url, timeout=timeout)))

    theirs, ours = await both(call)
    assert ours == theirs
    assert (ours == "late") is (timeout != 0.1)


async def _text(request: Any) -> str:
    async with request as resp:
        return str(await resp.text())


@pytest.mark.parametrize("timeout", [30, 1.5, "30", None])
async def test_session_timeout_must_be_a_client_timeout(timeout: Any) -> None:
    async def call(lib: ModuleType) -> Any:
        async def make() -> Any:
            async with lib.ClientSession(timeout=timeout) as session:
                return session.timeout.total

        return await outcome(make())

    theirs, ours = await both(call)
    if isinstance(theirs, tuple):
        assert ours[0] == theirs[0] == "ValueError"
    else:
        assert ours == theirs == 300


async def test_a_body_that_already_arrived_reads_after_the_total_timeout(
    recording_server: StartServer,
) -> None:
    server = await recording_server()

    async def small(request: web.Request) -> web.Response:
        return web.Response(body=b"small body")

    url = server.route("/small", small)

    async def call(lib: ModuleType) -> Any:
        timeout = lib.ClientTimeout(total=0.2)
        async with lib.ClientSession(timeout=timeout) as session:
            async with session.get(url) as resp:
                await asyncio.sleep(0.4)
                return await outcome(resp.read())

    theirs, ours = await both(call)
    assert ours == theirs == b"small body"
