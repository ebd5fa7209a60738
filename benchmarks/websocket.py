"""aiotape's websocket client vs aiohttp's, against the same local aiohttp.web echo server.

    python benchmarks/websocket.py

The server runs in its own process so the clients get a core to themselves. Each client does
several rounds of (a) sequential small-message echo round trips and (b) 1 MiB binary echoes;
rounds alternate between the clients so both see the same machine load, and the median of
the rounds is reported with the aiotape/aiohttp ratio. Small round trips also report the
client's CPU time per round trip (``time.process_time()``; the server is another process),
which holds still on a busy machine where wall-clock rates swing.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import statistics
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Protocol

import aiohttp
from aiohttp import web

import aiotape

ROUNDS = 7
SMALL_MESSAGES = 5_000
BIG_MESSAGES = 30
SMALL = "hello, websocket"
BIG = bytes(range(256)) * 4096  # 1 MiB


class EchoSocket(Protocol):
    """What both clients' websocket objects offer to the benchmark."""

    async def send_str(self, data: str) -> None: ...
    async def send_bytes(self, data: bytes) -> None: ...
    async def receive_str(self) -> str | bytes: ...
    async def receive_bytes(self) -> bytes: ...


Scenario = Callable[[EchoSocket], Awaitable[tuple[float, float]]]
"""One round: (rate, client CPU µs per operation)."""


async def _echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=0)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == aiohttp.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


def _serve(conn: Connection) -> None:
    """Child process: run the echo server until the parent closes the pipe."""

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/ws", _echo)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(runner.addresses[0][1])
        with contextlib.suppress(EOFError):  # the parent closed the pipe: stop
            await asyncio.get_running_loop().run_in_executor(None, conn.recv_bytes)
        await runner.cleanup()

    asyncio.run(serve())


async def small_round_trips(ws: EchoSocket) -> tuple[float, float]:
    """Sequential small TEXT echoes per second, and client CPU µs per echo."""
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(SMALL_MESSAGES):
        await ws.send_str(SMALL)
        await ws.receive_str()
    cpu, elapsed = time.process_time() - cpu, time.perf_counter() - start
    return SMALL_MESSAGES / elapsed, cpu / SMALL_MESSAGES * 1e6


async def big_throughput(ws: EchoSocket) -> tuple[float, float]:
    """MiB/s of 1 MiB BINARY messages (both directions counted), and CPU µs per echo."""
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(BIG_MESSAGES):
        await ws.send_bytes(BIG)
        await ws.receive_bytes()
    cpu, elapsed = time.process_time() - cpu, time.perf_counter() - start
    return 2 * BIG_MESSAGES * len(BIG) / 2**20 / elapsed, cpu / BIG_MESSAGES * 1e6


async def compare(url: str, scenario: Scenario) -> tuple[list[tuple[float, float]], ...]:
    """Rounds of ``scenario`` for aiotape and for aiohttp, interleaved."""
    async with (
        aiotape.ClientSession() as ours_session,
        aiohttp.ClientSession() as theirs_session,
        ours_session.ws_connect(url) as ours,
        theirs_session.ws_connect(url) as theirs,
    ):
        await scenario(ours)  # warm-up
        await scenario(theirs)
        ours_rounds: list[tuple[float, float]] = []
        theirs_rounds: list[tuple[float, float]] = []
        for _ in range(ROUNDS):
            ours_rounds.append(await scenario(ours))
            theirs_rounds.append(await scenario(theirs))
        return ours_rounds, theirs_rounds


async def run(url: str) -> None:
    """Print both scenarios side by side; ratios say how many times better aiotape did."""
    print(f"{'':36}{'aiotape':>12}{'aiohttp':>12}{'ratio':>8}")
    for label, cpu_label, scenario in (
        ("small round trips/s", "  client CPU per round trip (µs)", small_round_trips),
        ("1 MiB messages, MiB/s", "  client CPU per echo (µs)", big_throughput),
    ):
        ours_rounds, theirs_rounds = await compare(url, scenario)
        for index, row_label in enumerate((label, cpu_label)):
            ours = statistics.median(r[index] for r in ours_rounds)
            theirs = statistics.median(r[index] for r in theirs_rounds)
            ratio = ours / theirs if index == 0 else theirs / ours
            print(f"{row_label:36}{ours:12,.1f}{theirs:12,.1f}{ratio:8.2f}")


def main() -> None:
    """Start the server process, benchmark, stop the server."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        port = parent.recv()
        asyncio.run(run(f"http://127.0.0.1:{port}/ws"))
    finally:
        parent.close()
        server.join(timeout=5)


if __name__ == "__main__":
    main()
