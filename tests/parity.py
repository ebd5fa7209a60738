"""Helpers for differential tests: the same call through aiohttp and aiotape, compared.

``recording_server`` is an aiohttp.web server on 127.0.0.1 that notes every request it
receives (method, path, headers, body) and answers from a per-path handler table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

import aiotape

CLIENTS: tuple[ModuleType, ...] = (aiohttp, aiotape)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
StartServer = Callable[[], Awaitable["RecordingServer"]]


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the server received it."""

    method: str
    path_qs: str
    headers: CIMultiDict[str]
    body: bytes


@dataclass
class RecordingServer:
    """A local server: its URL, the handlers by path, and the requests it received."""

    url: URL
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def route(self, path: str, handler: Handler) -> URL:
        """Serve ``handler`` at ``path``; returns its absolute URL."""
        self.routes[path] = handler
        return self.url.with_path(path)

    def redirect(self, path: str, location: str, status: int = 302) -> URL:
        """Answer ``path`` with a redirect to ``location``."""

        async def handler(request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": location})

        return self.route(path, handler)

    def take(self) -> list[Seen]:
        """The requests received so far (and forget them)."""
        seen, self.seen = self.seen, []
        return seen


async def _echo(request: web.Request) -> web.Response:
    return web.Response(text="ok")


@pytest.fixture
async def recording_server() -> AsyncIterator[StartServer]:
    """Factory: each ``await recording_server()`` starts one more server (one more origin)."""
    runners: list[web.AppRunner] = []

    async def start() -> RecordingServer:
        server = RecordingServer(URL("http://127.0.0.1"))

        async def dispatch(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            server.seen.append(
                Seen(request.method, request.path_qs, CIMultiDict(request.headers), body)
            )
            return await server.routes.get(request.path, _echo)(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", dispatch)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        server.url = URL(f"http://127.0.0.1:{port}")
        return server

    try:
        yield start
    finally:
        for runner in runners:
            await runner.cleanup()


async def both(call: Callable[[ModuleType], Awaitable[Any]]) -> list[Any]:
    """``[call(aiohttp), call(aiotape)]``, one after the other."""
    return [await call(lib) for lib in CLIENTS]


async def outcome(awaitable: Awaitable[Any]) -> Any:
    """The awaited value, or ``(exception class name, message)`` if it raised."""
    try:
        return await awaitable
    except Exception as exc:
        return (type(exc).__name__, str(exc))
