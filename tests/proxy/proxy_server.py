"""Proxies and origins for the proxy tests, all on 127.0.0.1.

- ``forward_proxy`` / ``auth_proxy``: a real forward proxy (proxy.py from PyPI, a subprocess,
  one per test session), without and with basic auth (``PROXY_USER:PROXY_PASSWORD``).
- ``scripted_proxy``: a raw asyncio "proxy" (conftest's ``raw_server``) that notes every
  request head and answers each with a fixed reply, or closes: for error paths and heads.
- ``origin`` / ``tls_origin``: an aiohttp.web echo app over plain HTTP and over trustme TLS
  (certificate for 127.0.0.1 and localhost), answering websockets at ``/ws``; ``trusting``
  is a client TLS context that trusts the test CA.

Test modules import the fixtures they use from here.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import trustme
from aiohttp import web
from yarl import URL

from tests.servers import RawHandler, RawServer, read_head

PROXY_USER = "proxyuser"
PROXY_PASSWORD = "proxypass"
_STARTUP_LIMIT = 30.0


def _wait_listening(port_file: Path, proc: subprocess.Popen[bytes]) -> int:
    """Wait until proxy.py wrote its port and accepts connections; return the port."""
    give_up = time.monotonic() + _STARTUP_LIMIT
    while time.monotonic() < give_up:
        if proc.poll() is not None:
            raise RuntimeError(f"proxy.py exited with {proc.returncode}")
        text = port_file.read_text().strip() if port_file.exists() else ""
        if text:
            try:
                with socket.create_connection(("127.0.0.1", int(text)), timeout=1):
                    return int(text)
            except OSError:
                pass
        time.sleep(0.05)
    raise RuntimeError("proxy.py did not start listening")


def _run_proxy_py(workdir: Path, *extra: str) -> Iterator[URL]:
    """Run proxy.py on a free 127.0.0.1 port until the generator is closed."""
    port_file = workdir / "port"
    command = [
        sys.executable,
        "-m",
        "proxy",
        "--hostname",
        "127.0.0.1",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--num-workers",
        "1",
        "--num-acceptors",
        "1",
        "--log-level",
        "ERROR",
        *extra,
    ]
    proc = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        port = _wait_listening(port_file, proc)
        yield URL(f"http://127.0.0.1:{port}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def forward_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[URL]:
    """URL of a proxy.py forward proxy without authentication."""
    yield from _run_proxy_py(tmp_path_factory.mktemp("proxy"))


@pytest.fixture(scope="session")
def auth_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[URL]:
    """URL (without credentials) of a proxy.py forward proxy requiring basic auth."""
    yield from _run_proxy_py(
        tmp_path_factory.mktemp("auth-proxy"), "--basic-auth", f"{PROXY_USER}:{PROXY_PASSWORD}"
    )


CONNECT_OK = b"HTTP/1.1 200 Connection established\r\n\r\n"
PLAIN_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nproxied"
StartProxy = Callable[[bytes | None], Awaitable[RawServer]]


@pytest.fixture
def scripted_proxy(raw_server: Callable[[RawHandler], Awaitable[RawServer]]) -> StartProxy:
    """Factory: ``await scripted_proxy(reply)`` answers every request head with ``reply``
    (keeping the connection open), or with ``None`` closes the connection after the head.
    The returned RawServer's ``heads`` are the heads received, ``connections`` counted."""

    async def start(reply: bytes | None) -> RawServer:
        heads: list[bytes] = []

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                heads.append(await read_head(reader))
                if reply is None:
                    return
                writer.write(reply)
                await writer.drain()

        server = await raw_server(answer)
        server.heads = heads
        return server

    return start


async def _echo(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "method": request.method,
            "path_qs": request.raw_path,
            "headers": dict(request.headers),
            "body": (await request.read()).decode("latin-1"),
        }
    )


async def _ws_echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str(f"echo:{msg.data}")
    return ws


async def _serve(context: ssl.SSLContext | None) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.router.add_get("/ws", _ws_echo)
    app.router.add_route("*", "/{tail:.*}", _echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def _drain(runner: web.AppRunner, limit: float = 10.0) -> None:
    """Let connections the server is closing finish their TLS shutdown before cleanup.

    Through a proxy, the close notify of a client that already left arrives only when the
    proxy relays it; cleaning up before that leaks the half-closed socket. Bounded by
    ``limit`` seconds; polls, since aiohttp offers no event for "last connection gone".
    """
    server = runner.server
    assert server is not None
    loop = asyncio.get_running_loop()
    give_up = loop.time() + limit
    while server.connections and loop.time() < give_up:
        await asyncio.sleep(0.02)


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusting(test_ca: trustme.CA) -> ssl.SSLContext:
    """A client context that verifies certificates against the test CA."""
    ctx = ssl.create_default_context()
    test_ca.configure_trust(ctx)
    return ctx


@pytest.fixture
async def origin() -> AsyncIterator[URL]:
    """Base URL of a plain-HTTP echo server."""
    runner, port = await _serve(None)
    try:
        yield URL(f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@pytest.fixture
async def tls_origin(test_ca: trustme.CA) -> AsyncIterator[URL]:
    """Base URL of an HTTPS echo server certified for 127.0.0.1 and localhost."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    runner, port = await _serve(ctx)
    try:
        yield URL(f"https://127.0.0.1:{port}")
    finally:
        await _drain(runner)
        await runner.cleanup()
