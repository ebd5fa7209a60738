"""Redirected websocket handshakes, side by side: aiohttp's ``ws_connect`` follows a 3xx
answer before checking for 101 (its ``request()`` rules); aiotape must do the same against
the same local aiohttp.web server: where it ends, what it raises, the cookies and credentials
each hop sends, and the request-level tracing signals (aiohttp reuses the 3xx's keep-alive
connection for the next hop where aiotape dials a new one: connection signals differ)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from tests.servers import serve_app
from tests.websocket.test_ws_connect_tracing import hello, traced_ws_connect

CLIENTS = [aiohttp, aiotape]
CREDENTIALS = "Basic dXNlcjpwYXNz"


class Seen:
    """What the websocket endpoint received: one dict of request headers per handshake."""

    def __init__(self) -> None:
        self.handshakes: list[dict[str, str]] = []


def redirect_app(seen: Seen, elsewhere: URL | None = None) -> web.Application:
    """/ws accepts (sends "hello"); /old redirects to /ws setting a cookie; /loop redirects
    to itself; /nowhere is a 302 without Location; /away redirects to ``elsewhere``."""

    async def ws(request: web.Request) -> web.WebSocketResponse:
        seen.handshakes.append(dict(request.headers))
        return await hello(request)

    async def old(request: web.Request) -> web.Response:
        raise web.HTTPFound("/ws", headers={"Set-Cookie": "hop=1; Path=/"})

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def nowhere(request: web.Request) -> web.Response:
        return web.Response(status=302)

    async def away(request: web.Request) -> web.Response:
        assert elsewhere is not None
        raise web.HTTPTemporaryRedirect(str(elsewhere))

    app = web.Application()
    for path, handler in [("/ws", ws), ("/old", old), ("/loop", loop), ("/nowhere", nowhere)]:
        app.router.add_get(path, handler)
    app.router.add_get("/away", away)
    return app


@pytest.fixture
async def server() -> AsyncIterator[tuple[URL, Seen]]:
    seen = Seen()
    async with serve_app(redirect_app(seen)) as base:
        yield base, seen


def request_level(events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [e for e in events if not e[0].startswith(("connection_", "dns_"))]


@pytest.mark.parametrize("scheme", ["http", "ws"])
async def test_a_redirected_handshake_ends_at_the_websocket(
    server: tuple[URL, Seen], scheme: str
) -> None:
    base, seen = server
    url = base.with_scheme(scheme).with_host("localhost") / "old"  # jars refuse IP hosts
    theirs = await traced_ws_connect(aiohttp, url)
    ours = await traced_ws_connect(aiotape, url)
    assert request_level(ours) == request_level(theirs)
    assert request_level(ours) == [
        ("request_start", "GET", str(url)),
        ("request_headers_sent", "GET", str(url)),
        ("request_redirect", "GET", str(url), 302),
        ("request_headers_sent", "GET", str(url.with_path("/ws"))),
        ("request_end", "GET", str(url.with_path("/ws")), 101),
        ("message", "hello"),
    ]
    # each client's second hop sent the cookie the redirect set
    assert [h.get("Cookie") for h in seen.handshakes] == ["hop=1", "hop=1"]


async def test_untraced_sessions_follow_the_redirect_too(server: tuple[URL, Seen]) -> None:
    base, _ = server
    messages = []
    for client in CLIENTS:
        async with client.ClientSession() as session:
            async with session.ws_connect(base.with_host("localhost") / "old") as ws:
                messages.append((await ws.receive()).data)
            assert {c.key: c.value for c in session.cookie_jar} == {"hop": "1"}
    assert messages == ["hello", "hello"]


async def test_a_redirect_loop_raises_too_many_redirects(server: tuple[URL, Seen]) -> None:
    base, _ = server
    histories = []
    for client in CLIENTS:
        async with client.ClientSession() as session:
            with pytest.raises(client.TooManyRedirects) as raised:
                await session.ws_connect(base / "loop")
        histories.append([(r.status, r.url.path) for r in raised.value.history])
    assert histories[0] == histories[1] == [(302, "/loop")] * 10
    theirs = await traced_ws_connect(aiohttp, base / "loop")
    ours = await traced_ws_connect(aiotape, base / "loop")
    assert request_level(ours) == request_level(theirs)
    assert ours[-2:] == [
        ("request_exception", "GET", str(base / "loop"), "TooManyRedirects"),
        ("raised", "TooManyRedirects", 0),
    ]


async def test_a_redirect_without_location_is_the_refusing_answer(
    server: tuple[URL, Seen],
) -> None:
    base, _ = server
    theirs = await traced_ws_connect(aiohttp, base / "nowhere")
    ours = await traced_ws_connect(aiotape, base / "nowhere")
    assert request_level(ours) == request_level(theirs)
    assert ours[-3:] == [
        ("request_redirect", "GET", str(base / "nowhere"), 302),
        ("request_end", "GET", str(base / "nowhere"), 302),
        ("raised", "WSServerHandshakeError", 302),
    ]


async def send_authorized(url: URL) -> None:
    """A ws_connect to ``url`` with an Authorization header, through each client."""
    for client in CLIENTS:
        async with client.ClientSession() as session:
            async with session.ws_connect(url, headers={"Authorization": CREDENTIALS}) as ws:
                assert (await ws.receive()).data == "hello"


async def test_credentials_follow_a_redirect_within_the_origin(server: tuple[URL, Seen]) -> None:
    base, seen = server
    await send_authorized(base / "old")
    assert [h.get("Authorization") for h in seen.handshakes] == [CREDENTIALS, CREDENTIALS]


async def test_credentials_are_dropped_across_origins() -> None:
    target = Seen()
    async with serve_app(redirect_app(target)) as other:
        async with serve_app(redirect_app(Seen(), other.with_host("localhost") / "ws")) as start:
            await send_authorized(start / "away")
    assert len(target.handshakes) == 2
    assert [h.get("Authorization") for h in target.handshakes] == [None, None]
