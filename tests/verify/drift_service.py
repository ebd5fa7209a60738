"""A local API whose behaviour a test switches between versions, for cassette drift tests.

``Api.version`` picks what the next responses look like ("v1" is what cassettes record);
every response carries fresh volatile headers (Date, X-Request-Id, ETag, a Set-Cookie value)
and fresh values (ids, timestamps), as a real service's would.
"""

from __future__ import annotations

import gzip
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType as ServerMsgType
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

import aiotape
from aiotape.cassettes import Interaction, load_cassette, use_cassette

Scenario = Callable[[aiotape.ClientSession, URL], Awaitable[Any]]


@dataclass
class Api:
    """The service's switchable behaviour and a counter that makes every value new."""

    version: str = "v1"
    calls: itertools.count[int] = field(default_factory=itertools.count)

    def user(self) -> dict[str, Any]:
        n = next(self.calls)
        user: dict[str, Any] = {"id": 1000 + n, "email": f"ada{n}@example.test", "name": "Ada"}
        if self.version == "removed-key":
            del user["email"]
        if self.version == "type-change":
            user["id"] = str(user["id"])
        return {"user": user, "items": [{"id": n, "sku": f"s{n}"}], "meta": {"served": n}}


_API = web.AppKey("api", Api)


def _volatile(response: web.StreamResponse, api: Api) -> web.StreamResponse:
    response.headers["X-Request-Id"] = uuid.uuid4().hex
    response.headers["ETag"] = f'"{uuid.uuid4().hex}"'
    response.headers["traceparent"] = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    name = "sid" if api.version == "cookie-renamed" else "session"
    response.set_cookie(name, uuid.uuid4().hex)
    return response


async def _user(request: web.Request) -> web.StreamResponse:
    api = request.app[_API]
    status = 503 if api.version == "status" else 200
    response = web.json_response(api.user(), status=status)
    if api.version == "media-type":
        response = web.Response(text=json.dumps(api.user()), content_type="text/plain")
    limit = "200" if api.version == "rate-limit" else "100"
    response.headers["X-RateLimit-Limit"] = limit
    return _volatile(response, api)


async def _gzipped(request: web.Request) -> web.StreamResponse:
    api = request.app[_API]
    body = gzip.compress(json.dumps(api.user()).encode())
    response = web.Response(body=body, content_type="application/json")
    response.headers["Content-Encoding"] = "gzip"
    return _volatile(response, api)


async def _static(request: web.Request) -> web.StreamResponse:
    """Always the same body; only volatile headers change."""
    return _volatile(web.json_response({"status": "ok", "items": [1, 2]}), request.app[_API])


async def _text(request: web.Request) -> web.StreamResponse:
    api = request.app[_API]
    return web.Response(text=f"served {next(api.calls)}\n")


async def _sequence(request: web.Request) -> web.StreamResponse:
    """Identical requests get differently shaped answers: the first an ``a``, then ``b``s."""
    api = request.app[_API]
    return web.json_response({"a": 1} if next(api.calls) % 2 == 0 else {"b": [1]})


async def _chat(request: web.Request) -> web.WebSocketResponse:
    api = request.app[_API]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    welcome: dict[str, Any] = {"type": "welcome", "session": uuid.uuid4().hex}
    if api.version == "ws-shape":
        del welcome["session"]
    await ws.send_str(json.dumps(welcome))
    async for msg in ws:
        if msg.type is ServerMsgType.TEXT:
            reply = "Hello there" if api.version == "ws-reworded" else msg.data.upper()
            await ws.send_str(reply)
    return ws


def make_app(api: Api) -> web.Application:
    app = web.Application()
    app[_API] = api
    app.router.add_get("/user", _user)
    app.router.add_get("/gzipped", _gzipped)
    app.router.add_get("/static", _static)
    app.router.add_get("/text", _text)
    app.router.add_get("/sequence", _sequence)
    app.router.add_get("/chat", _chat)
    return app


@asynccontextmanager
async def serve(api: Api) -> AsyncIterator[URL]:
    """Run the service on 127.0.0.1; yields its base URL."""
    async with TestServer(make_app(api), host="127.0.0.1", access_log=None) as server:
        yield server.make_url("")


async def record(path: Path, scenario: Scenario, base: URL) -> list[Interaction]:
    """Record ``scenario`` into the cassette ``path`` and load it back from the file."""
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession() as session:
            await scenario(session, base)
    return load_cassette(path)


async def run_live(scenario: Scenario, base: URL) -> list[Interaction]:
    """Run ``scenario`` against the service, noting its interactions without any file."""
    with use_cassette(None, record_mode="all") as cassette:
        async with aiotape.ClientSession() as session:
            await scenario(session, base)
    return cassette.new_interactions


async def get_json(session: aiotape.ClientSession, url: URL) -> Any:
    async with session.get(url) as response:
        return await response.json(content_type=None)


async def get_text(session: aiotape.ClientSession, url: URL) -> str:
    async with session.get(url) as response:
        return await response.text()


def fetch(
    path: str, read: Callable[[aiotape.ClientSession, URL], Awaitable[Any]] = get_json
) -> Scenario:
    """A scenario that reads ``path`` of the service once (as JSON, unless ``read`` says)."""

    async def scenario(session: aiotape.ClientSession, base: URL) -> Any:
        return await read(session, base / path)

    return scenario


async def get_user(session: aiotape.ClientSession, base: URL) -> Any:
    return await get_json(session, base / "user")


async def chat(session: aiotape.ClientSession, base: URL) -> list[str]:
    async with session.ws_connect(base / "chat") as ws:
        welcome = await ws.receive_str()
        await ws.send_str("hello")
        return [welcome, await ws.receive_str()]
