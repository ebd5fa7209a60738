"""Tracing signals of ``ws_connect``, side by side: the same handshake through aiohttp and
aiotape against the same local aiohttp.web server fires the same signals, in order, with the
same method, URL, response status and exception class. Mocked and replayed websockets fire
the request-level part of that sequence."""

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
from aiotape.mocking import MockRouter
from tests.client.test_tracing_parity import CONNECTION_LEVEL, SIGNALS
from tests.servers import serve_app

Event = tuple[Any, ...]


def _key(name: str, params: Any) -> Event:
    """What a sequence compares: full URLs, responses by status, exceptions by class."""
    fields: list[Any] = [name]
    for attr in ("method", "url", "host"):
        if hasattr(params, attr):
            value = getattr(params, attr)
            fields.append(str(value) if isinstance(value, URL) else value)
    if hasattr(params, "response"):
        fields.append(params.response.status)
    if hasattr(params, "exception"):
        fields.append(type(params.exception).__name__)
    return tuple(fields)


async def traced_ws_connect(client: Any, url: URL | str, **options: Any) -> list[Event]:
    """The signals of one ``ws_connect`` to ``url``, then what it gave: the first message
    received, or the exception raised (class and status)."""
    events: list[Event] = []
    config = client.TraceConfig()
    for signal in SIGNALS:

        async def record(session: Any, ctx: Any, params: Any, name: str = signal[3:]) -> None:
            events.append(_key(name, params))

        getattr(config, signal).append(record)
    async with client.ClientSession(trace_configs=[config]) as session:
        try:
            async with session.ws_connect(url, **options) as ws:
                events.append(("message", (await ws.receive()).data))
        except client.ClientError as exc:
            events.append(("raised", type(exc).__name__, getattr(exc, "status", None)))
    return events


async def both(url: URL | str, **options: Any) -> list[Event]:
    """The sequence of both clients; asserts they are equal and returns it."""
    theirs = await traced_ws_connect(aiohttp, url, **options)
    ours = await traced_ws_connect(aiotape, url, **options)
    assert ours == theirs
    return ours


async def hello(request: web.Request) -> web.WebSocketResponse:
    """A websocket endpoint: sends "hello", then closes."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str("hello")
    await ws.close()
    return ws


async def _forbidden(request: web.Request) -> web.Response:
    return web.Response(status=403, text="no")


async def _plain(request: web.Request) -> web.Response:
    return web.Response(text="not a websocket")


@pytest.fixture
async def ws_app() -> AsyncIterator[URL]:
    """A server with a websocket (/ws), a refusal (/forbidden) and a plain page (/plain)."""
    app = web.Application()
    app.router.add_get("/ws", hello)
    app.router.add_get("/forbidden", _forbidden)
    app.router.add_get("/plain", _plain)
    async with serve_app(app) as base:
        yield base


@pytest.mark.parametrize("scheme", ["http", "ws"])
async def test_accepted_handshake_fires_aiohttps_sequence(ws_app: URL, scheme: str) -> None:
    url = ws_app.with_scheme(scheme) / "ws"
    events = await both(url)
    assert events == [
        ("request_start", "GET", str(url)),
        ("connection_create_start",),
        ("connection_create_end",),
        ("request_headers_sent", "GET", str(url)),
        ("request_end", "GET", str(url), 101),
        ("message", "hello"),
    ]


@pytest.mark.parametrize(("path", "status"), [("/forbidden", 403), ("/plain", 200)])
async def test_refused_handshake_ends_the_request_then_raises(
    ws_app: URL, path: str, status: int
) -> None:
    url = ws_app.with_path(path)
    events = await both(url)
    assert events[-2:] == [
        ("request_end", "GET", str(url), status),
        ("raised", "WSServerHandshakeError", status),
    ]
    assert not [e for e in events if e[0] == "request_exception"]


async def test_refused_connection_fires_request_exception(refused_port: int) -> None:
    url = f"ws://127.0.0.1:{refused_port}/ws"
    events = await both(url)
    assert events == [
        ("request_start", "GET", url),
        ("connection_create_start",),
        ("request_exception", "GET", url, "ClientConnectorError"),
        ("raised", "ClientConnectorError", None),
    ]


async def test_a_hostname_fires_the_dns_signals(ws_app: URL) -> None:
    events = await both(ws_app.with_host("localhost") / "ws")
    assert [e[0] for e in events if e[0].startswith("dns_")] == [
        "dns_cache_miss",
        "dns_resolvehost_start",
        "dns_resolvehost_end",
    ]


async def test_headers_sent_are_the_upgrade_requests_own(ws_app: URL) -> None:
    sent: dict[str, Any] = {}

    async def on_headers_sent(session: Any, ctx: Any, params: Any) -> None:
        sent.update(params.headers)

    config = aiotape.TraceConfig()
    config.on_request_headers_sent.append(on_headers_sent)
    async with aiotape.ClientSession(trace_configs=[config]) as session:
        async with session.ws_connect(ws_app / "ws", headers={"X-Mine": "1"}) as ws:
            await ws.receive()
    assert sent["Upgrade"] == "websocket"
    assert sent["X-Mine"] == "1"
    assert "Sec-WebSocket-Key" in sent


async def test_request_start_may_add_headers_the_handshake_sends(ws_app: URL) -> None:
    seen: list[str | None] = []

    async def echo_header(request: web.Request) -> web.WebSocketResponse:
        seen.append(request.headers.get("X-Trace"))
        return await hello(request)

    async def on_start(session: Any, ctx: Any, params: Any) -> None:
        params.headers["X-Trace"] = "abc"

    app = web.Application()
    app.router.add_get("/ws", echo_header)
    async with serve_app(app) as base:
        for client in (aiohttp, aiotape):
            config = client.TraceConfig()
            config.on_request_start.append(on_start)
            async with client.ClientSession(trace_configs=[config]) as session:
                async with session.ws_connect(base / "ws") as ws:
                    await ws.receive()
    assert seen == ["abc", "abc"]


async def test_mocked_websocket_fires_the_request_level_signals(
    ws_app: URL, http_mock: MockRouter
) -> None:
    live = await traced_ws_connect(aiohttp, ws_app / "ws")

    async def handler(ws: Any) -> None:
        await ws.send_str("hello")

    mocked = URL("http://api.test/ws")
    http_mock.ws(mocked, handler)
    events = await traced_ws_connect(aiotape, mocked)
    expected = [e for e in live if not e[0].startswith(CONNECTION_LEVEL)]
    assert events == [
        tuple(str(mocked) if f == str(ws_app / "ws") else f for f in e) for e in expected
    ]


async def record_and_replay(url: URL, path: Path) -> tuple[list[Event], list[Event]]:
    """The signals of a ws_connect to ``url`` recorded into the cassette ``path``, then
    replayed from it."""
    with use_cassette(path, record_mode="once"):
        recorded = await traced_ws_connect(aiotape, url)
    with use_cassette(path, record_mode="none"):
        replayed = await traced_ws_connect(aiotape, url)
    assert replayed == [e for e in recorded if not e[0].startswith(CONNECTION_LEVEL)]
    return recorded, replayed


async def test_cassette_replay_fires_the_request_level_signals(ws_app: URL, tmp_path: Path) -> None:
    url = ws_app / "ws"
    recorded, replayed = await record_and_replay(url, tmp_path / "ws.yaml")
    assert recorded == await traced_ws_connect(aiohttp, url)
    assert ("request_end", "GET", str(url), 101) in replayed


async def test_a_replayed_refusal_ends_the_request_as_the_live_one(
    ws_app: URL, tmp_path: Path
) -> None:
    url = ws_app / "forbidden"
    _, replayed = await record_and_replay(url, tmp_path / "refused.yaml")
    assert replayed[-2:] == [
        ("request_end", "GET", str(url), 403),
        ("raised", "WSServerHandshakeError", 403),
    ]
