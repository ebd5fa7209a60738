"""Servers the tests start on 127.0.0.1: raw asyncio peers, aiohttp.web apps, both over TLS.

Import as ``from tests.servers import ...`` (the repository root is on ``pythonpath``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import trustme
from aiohttp import web
from yarl import URL

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

# A handler ends quietly on these: the client hung up, or teardown cancelled it (3.11's
# start_server would log a cancellation as an error).
_QUIET = (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError, ssl.SSLError)


@dataclass
class RawServer:
    """A raw asyncio server: its URL, how many connections it accepted, heads it noted."""

    url: URL
    connections: int = 0
    heads: list[bytes] = field(default_factory=list)


class RawServers:
    """Raw asyncio servers started during one test, each running a handler per connection."""

    def __init__(self) -> None:
        self._servers: list[asyncio.Server] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self, handler: RawHandler, *, ssl: ssl.SSLContext | None = None) -> RawServer:
        """Serve ``handler(reader, writer)`` per connection (over TLS with ``ssl``)."""
        info = RawServer(URL("http://127.0.0.1"))

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            info.connections += 1
            task = asyncio.current_task()
            assert task is not None
            self._tasks.append(task)
            self._writers.append(writer)
            try:
                await handler(reader, writer)
            except _QUIET:
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=ssl)
        self._servers.append(server)
        scheme = "https" if ssl else "http"
        info.url = URL(f"{scheme}://127.0.0.1:{server.sockets[0].getsockname()[1]}")
        return info

    async def close(self) -> None:
        """Stop listening, drop every connection and end the handlers still running."""
        for server in self._servers:
            server.close()
        for writer in self._writers:
            writer.transport.abort()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()


class StartRaw(Protocol):
    """``RawServers.start``: what the ``raw_server`` fixture gives a test."""

    def __call__(
        self, handler: RawHandler, *, ssl: ssl.SSLContext | None = None
    ) -> Awaitable[RawServer]: ...


@contextlib.asynccontextmanager
async def raw_servers() -> AsyncIterator[RawServers]:
    """``async with raw_servers() as servers: await servers.start(handler)``; closed on exit."""
    servers = RawServers()
    try:
        yield servers
    finally:
        await servers.close()


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """Read one request head (through the blank line)."""
    return await reader.readuntil(b"\r\n\r\n")


def answering(response: bytes) -> RawHandler:
    """A raw handler sending ``response`` (head and body) for every request on a connection."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_head(reader)
            writer.write(response)
            await writer.drain()

    return answer


@contextlib.asynccontextmanager
async def serve_app(
    app: web.Application, *, ssl_context: ssl.SSLContext | None = None, **runner_options: Any
) -> AsyncIterator[URL]:
    """Run ``app`` on 127.0.0.1 (over TLS with ``ssl_context``); yields its base URL."""
    runner = web.AppRunner(app, access_log=None, **runner_options)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        scheme = "https" if ssl_context else "http"
        yield URL(f"{scheme}://127.0.0.1:{runner.addresses[0][1]}")
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def app_in_thread(app: web.Application) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 from a new thread, for tests whose main thread blocks
    (pytester runs, synchronous CLI calls); yields its base URL, stops it on exit."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    url = ""

    async def serve() -> None:
        nonlocal url
        async with serve_app(app) as base:
            url = str(base)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),))
    thread.start()
    ready.wait()
    try:
        yield url
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        loop.close()


def tls_server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    """A server context presenting ``cert`` (e.g. ``ca.issue_cert("127.0.0.1")``)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


def trusting_context(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that verifies certificates against ``ca``."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context
