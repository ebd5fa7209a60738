"""aiotape's websocket client vs aiohttp's, against the same local aiohttp.web echo server.

    python benchmarks/websocket.py

The server runs in its own process so the clients get a core to themselves. Each client does
several rounds of (a) sequential small-message echo round trips and (b) 1 MiB binary echoes;
rounds alternate between the clients so both see the same machine load, and the median of
the rounds is reported with the median of the rounds' aiotape/aiohttp ratios. Small round
trips also report the client's CPU time per round trip (``time.process_time()``; the server
is another process), which holds still on a busy machine where wall-clock rates swing.

The small rows end with the floor of any asyncio client: a bare BufferedProtocol writing a prebuilt
frame and waking the reader with the bytes it reads (no framing, parsing or API), run in the
same interleaved rounds. Each client's CPU is also given as times the floor's (median of the
rounds' ratios): aiohttp's is the best ratio over aiohttp any client could reach in that run.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import multiprocessing
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Protocol

import aiohttp
from aiohttp import web

import aiotape

ROUNDS = 11
SMALL_MESSAGES = 3_000
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


class _FloorProtocol(asyncio.BufferedProtocol):
    def __init__(self) -> None:
        self.view = memoryview(bytearray(1 << 16))
        self.waiter: asyncio.Future[bytes] | None = None

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view

    def buffer_updated(self, nbytes: int) -> None:
        assert self.waiter is not None
        self.waiter.set_result(bytes(self.view[:nbytes]))


class FloorSocket:
    """The floor: one prebuilt masked TEXT frame out, one read in, nothing else."""

    def __init__(self, transport: asyncio.Transport, protocol: _FloorProtocol) -> None:
        self._transport, self._protocol = transport, protocol
        self._loop = asyncio.get_running_loop()
        mask = os.urandom(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(SMALL.encode()))
        self._frame = bytes((0x81, 0x80 | len(payload))) + mask + payload

    @classmethod
    async def connect(cls, port: int) -> FloorSocket:
        """Connect and upgrade (the echo server answers 101 without its own frames)."""
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_connection(_FloorProtocol, "127.0.0.1", port)
        sock = cls(transport, protocol)
        key = base64.b64encode(os.urandom(16))
        transport.write(
            b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: " + key + b"\r\n\r\n"
        )
        await sock.receive_str()
        return sock

    async def send_str(self, data: str) -> None:
        self._transport.write(self._frame)

    async def send_bytes(self, data: bytes) -> None:
        raise NotImplementedError

    async def receive_str(self) -> bytes:
        self._protocol.waiter = waiter = self._loop.create_future()
        return await waiter

    async def receive_bytes(self) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        self._transport.close()


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


async def compare(
    url: str, scenario: Scenario, floor: EchoSocket | None = None
) -> list[list[tuple[float, float]]]:
    """Rounds of ``scenario`` for aiotape, aiohttp (and the floor), interleaved."""
    async with (
        aiotape.ClientSession() as ours_session,
        aiohttp.ClientSession() as theirs_session,
        ours_session.ws_connect(url) as ours,
        theirs_session.ws_connect(url) as theirs,
    ):
        sockets: list[EchoSocket] = [ours, theirs] + ([floor] if floor else [])
        rounds: list[list[tuple[float, float]]] = [[] for _ in sockets]
        for sock in sockets:
            await scenario(sock)  # warm-up
        for _ in range(ROUNDS):
            for sock, results in zip(sockets, rounds, strict=True):
                results.append(await scenario(sock))
        return rounds


def _row(label: str, ours: list[float], theirs: list[float], higher_is_better: bool) -> None:
    ratios = [o / t if higher_is_better else t / o for o, t in zip(ours, theirs, strict=True)]
    print(
        f"{label:36}{statistics.median(ours):12,.1f}{statistics.median(theirs):12,.1f}"
        f"{statistics.median(ratios):8.2f}"
    )


async def run(url: str, port: int) -> None:
    """Print both scenarios side by side; ratios say how many times better aiotape did."""
    print(f"{'':36}{'aiotape':>12}{'aiohttp':>12}{'ratio':>8}")
    floor = await FloorSocket.connect(port)
    try:
        ours, theirs, floors = await compare(url, small_round_trips, floor)
    finally:
        floor.close()
    _row("small round trips/s", [r[0] for r in ours], [r[0] for r in theirs], True)
    cpu = [r[1] for r in ours], [r[1] for r in theirs]
    _row("  client CPU per round trip (µs)", *cpu, False)
    floor_cpu = [r[1] for r in floors]
    over = [statistics.median(c / f for c, f in zip(side, floor_cpu, strict=True)) for side in cpu]
    print(f"{'  ... times the floor':36}{over[0]:12.2f}{over[1]:12.2f}")
    print(f"{'  floor: bare protocol, CPU (µs)':36}{statistics.median(floor_cpu):12,.1f}")
    ours, theirs = await compare(url, big_throughput)
    _row("1 MiB messages, MiB/s", [r[0] for r in ours], [r[0] for r in theirs], True)
    _row("  client CPU per echo (µs)", [r[1] for r in ours], [r[1] for r in theirs], False)


def main() -> None:
    """Start the server process, benchmark, stop the server."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        port = parent.recv()
        asyncio.run(run(f"http://127.0.0.1:{port}/ws", port))
    finally:
        parent.close()
        server.join(timeout=5)


if __name__ == "__main__":
    main()
