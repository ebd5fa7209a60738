"""The session's ``raise_for_status`` and cookie jar around ``ws_connect``, side by side with
aiohttp against the same local aiohttp.web server: aiohttp's handshake goes through its
``request()``, so a refusing answer's Set-Cookie is stored, ``raise_for_status=True`` raises
ClientResponseError (not WSServerHandshakeError) for a status >= 400 before the request ends,
and a callable sees the last answer, the 101 too. A cassette replays the same outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.cassettes import use_cassette
from tests.servers import serve_app
from tests.websocket.test_ws_connect_tracing import hello

Outcome = tuple[Any, ...]
REQUEST_LEVEL = ("request_start", "request_redirect", "request_end", "request_exception")


class Refused(Exception):
    """What the test's ``raise_for_status`` callable raises for a 101."""


async def _forbidden(request: web.Request) -> web.Response:
    return web.Response(status=403, text="no", headers={"Set-Cookie": "refused=1; Path=/"})


async def _old(request: web.Request) -> web.Response:
    raise web.HTTPFound("/forbidden", headers={"Set-Cookie": "hop=1; Path=/"})


async def _plain(request: web.Request) -> web.Response:
    return web.Response(text="not a websocket", headers={"Set-Cookie": "plain=1; Path=/"})


@pytest.fixture
async def base() -> AsyncIterator[URL]:
    """/ws accepts, /forbidden refuses (403), /old redirects to it, /plain answers 200; each
    refusal sets a cookie. The host is a name: jars refuse IP hosts."""
    app = web.Application()
    for path, handler in [("/ws", hello), ("/forbidden", _forbidden), ("/old", _old)]:
        app.router.add_get(path, handler)
    app.router.add_get("/plain", _plain)
    async with serve_app(app) as url:
        yield url.with_host("localhost")


def _tracing(client: Any, events: list[Outcome]) -> Any:
    config = client.TraceConfig()
    for name in REQUEST_LEVEL:

        async def note(session: Any, ctx: Any, params: Any, name: str = name) -> None:
            status = params.response.status if hasattr(params, "response") else None
            failure = getattr(params, "exception", None)
            events.append((name, status, None if failure is None else type(failure).__name__))

        getattr(config, f"on_{name}").append(note)
    return config


async def attempt(client: Any, url: URL, check: Any) -> tuple[list[Outcome], list[str]]:
    """The request-level signals of a ws_connect to ``url`` in a session with
    ``raise_for_status=check``, then its outcome; and the cookie names the jar then holds."""
    events: list[Outcome] = []
    async with client.ClientSession(
        trace_configs=[_tracing(client, events)], raise_for_status=check
    ) as session:
        try:
            async with session.ws_connect(url) as ws:
                events.append(("message", (await ws.receive()).data))
        except (client.ClientError, Refused) as exc:
            status = getattr(exc, "status", None)
            events.append(("raised", type(exc).__name__, status, getattr(exc, "message", "")))
        return events, sorted(cookie.key for cookie in session.cookie_jar)


def seeing(statuses: list[int], refuse: bool = False) -> Callable[[Any], Awaitable[None]]:
    """A ``raise_for_status`` callable noting each status it sees (and refusing a 101)."""

    async def check(response: Any) -> None:
        statuses.append(response.status)
        if refuse and response.status == 101:
            raise Refused

    return check


async def both(url: URL, check: Any) -> tuple[list[Outcome], list[str]]:
    theirs = await attempt(aiohttp, url, check)
    ours = await attempt(aiotape, url, check)
    assert ours == theirs
    return ours


async def test_a_refusals_cookie_is_stored(base: URL) -> None:
    events, cookies = await both(base / "forbidden", False)
    assert cookies == ["refused"]
    assert events[-1] == ("raised", "WSServerHandshakeError", 403, "Invalid response status")


async def test_a_plain_pages_cookie_is_stored(base: URL) -> None:
    _, cookies = await both(base / "plain", True)
    assert cookies == ["plain"]


@pytest.mark.parametrize("path", ["forbidden", "old"])
async def test_raise_for_status_raises_client_response_error(base: URL, path: str) -> None:
    events, cookies = await both(base / path, True)
    assert events[-2:] == [
        ("request_exception", None, "ClientResponseError"),
        ("raised", "ClientResponseError", 403, "Forbidden"),
    ]
    assert "refused" in cookies


async def test_raise_for_status_lets_a_non_error_refusal_through(base: URL) -> None:
    events, _ = await both(base / "plain", True)
    assert events[-1] == ("raised", "WSServerHandshakeError", 200, "Invalid response status")


async def test_a_callable_sees_the_last_answer(base: URL) -> None:
    for path, seen in [("ws", [101]), ("old", [403]), ("plain", [200])]:
        theirs: list[int] = []
        ours: list[int] = []
        assert await attempt(aiotape, base / path, seeing(ours)) == await attempt(
            aiohttp, base / path, seeing(theirs)
        )
        assert ours == theirs == seen


async def test_a_callable_refusing_the_101_ends_the_request(base: URL) -> None:
    events, _ = await both(base / "ws", seeing([], refuse=True))
    assert events[-2:] == [("request_exception", None, "Refused"), ("raised", "Refused", None, "")]


async def test_a_replayed_refusal_raises_as_the_live_one(base: URL, tmp_path: Path) -> None:
    path = tmp_path / "refused.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = await attempt(aiotape, base / "old", True)
    with use_cassette(path, record_mode="none"):
        replayed = await attempt(aiotape, base / "old", True)
    assert replayed == recorded == await attempt(aiohttp, base / "old", True)


async def test_raise_for_status_judges_what_the_middlewares_return(base: URL) -> None:
    outcomes = []
    for client in (aiohttp, aiotape):
        seen: list[int] = []

        async def noting(request: Any, handler: Any, seen: list[int] = seen) -> Any:
            response = await handler(request)
            seen.append(response.status)
            return response

        async with client.ClientSession(middlewares=(noting,), raise_for_status=True) as session:
            with pytest.raises(client.ClientResponseError) as raised:
                await session.ws_connect(base / "old")
        outcomes.append((seen, type(raised.value).__name__, raised.value.status))
    assert outcomes[1] == outcomes[0] == ([302, 403], "ClientResponseError", 403)
