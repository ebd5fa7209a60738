"""A redirect chain's simulated time adds up over its hops, the same in mocks and replays.

The chain: three hops, each answering after 0.4 s (1.2 s in all); the last one answers 200.
It is recorded once against a real aiohttp.web server, replayed from the cassette, and
mocked with ``delay=0.4`` per hop; aiohttp, live, is the spec.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.cassettes import load_cassette, use_cassette
from aiotape.mocking import MockRouter

HOPS = 3
HOP_DELAY = 0.4
OUTCOMES = [(1.0, "TimeoutError"), (3.0, 200)]
"""total timeout -> what the chain ends in (1.2 s of hops: over 1.0, under 3.0)."""


async def _hop(request: web.Request) -> web.Response:
    await asyncio.sleep(HOP_DELAY)
    n = int(request.match_info["n"])
    if n + 1 < HOPS:
        raise web.HTTPFound(f"/hop/{n + 1}")
    return web.Response(text="arrived")


async def _serve(run: Callable[[URL], Awaitable[object]]) -> object:
    """Run ``run(base_url)`` against the hop server."""
    app = web.Application()
    app.router.add_get("/hop/{n}", _hop)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        return await run(URL(f"http://127.0.0.1:{port}"))
    finally:
        await runner.cleanup()


async def _outcome(session: aiotape.ClientSession | aiohttp.ClientSession, url: URL) -> object:
    try:
        async with session.get(url) as response:
            await response.read()
            return response.status
    except asyncio.TimeoutError:
        return "TimeoutError"


async def _aiotape_outcome(url: URL, total: float) -> object:
    async with aiotape.ClientSession(timeout=aiotape.ClientTimeout(total=total)) as session:
        return await _outcome(session, url)


@pytest.fixture(scope="module")
def recorded_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, URL]]:
    """The chain recorded live (with total=3.0, which it passes): cassette path, first URL."""
    path = tmp_path_factory.mktemp("redirect_chain") / "chain.yaml"
    first: list[URL] = []

    async def record(base: URL) -> object:
        first.append(base / "hop" / "0")
        with use_cassette(path, record_mode="once"):
            return await _aiotape_outcome(first[0], 3.0)

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(_serve(record)) == 200
    finally:
        loop.close()
    yield path, first[0]


def test_recorded_chain_holds_every_hop(recorded_chain: tuple[Path, URL]) -> None:
    path, _ = recorded_chain
    interactions = load_cassette(path)
    assert [i.response.status for i in interactions if i.response] == [302, 302, 200]
    assert sum(i.elapsed for i in interactions) > OUTCOMES[0][0]


@pytest.mark.parametrize(("total", "expected"), OUTCOMES)
async def test_replayed_redirect_chain_counts_every_hop(
    recorded_chain: tuple[Path, URL], total: float, expected: object
) -> None:
    path, url = recorded_chain
    with use_cassette(path) as cassette:
        assert await _aiotape_outcome(url, total) == expected
    assert cassette.play_count == HOPS


@pytest.mark.parametrize(("total", "expected"), OUTCOMES)
async def test_mocked_redirect_chain_counts_every_hop(
    http_mock: MockRouter, total: float, expected: object
) -> None:
    url = URL("http://api.test/hop/0")
    for n in range(HOPS - 1):
        location = str(url.with_path(f"/hop/{n + 1}"))
        http_mock.get(
            url.with_path(f"/hop/{n}"), status=302, headers={"Location": location}, delay=HOP_DELAY
        )
    last = http_mock.get(url.with_path(f"/hop/{HOPS - 1}"), text="arrived", delay=HOP_DELAY)
    assert await _aiotape_outcome(url, total) == expected
    assert last.call_count == 1


@pytest.mark.parametrize(("total", "expected"), OUTCOMES)
async def test_mock_and_replay_agree_on_redirect_chain(
    recorded_chain: tuple[Path, URL], total: float, expected: object
) -> None:
    path, url = recorded_chain
    with use_cassette(path):
        replayed = await _aiotape_outcome(url, total)
    with MockRouter() as mock:
        for interaction in load_cassette(path):
            assert interaction.response is not None
            mock.get(
                interaction.request.uri,
                status=interaction.response.status,
                headers=dict(interaction.response.headers),
                body=b"".join(interaction.response.chunks),
                delay=interaction.elapsed,
            )
        mocked = await _aiotape_outcome(url, total)
    assert mocked == replayed == expected


async def test_live_aiohttp_times_out_on_the_chain() -> None:
    async def run(base: URL) -> object:
        timeout = aiohttp.ClientTimeout(total=OUTCOMES[0][0])
        async with aiohttp.ClientSession(timeout=timeout) as session:
            return await _outcome(session, base / "hop" / "0")

    assert await _serve(run) == OUTCOMES[0][1]
