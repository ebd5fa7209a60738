"""HTTP client benchmark: aiotape vs aiohttp (and httpx when installed), from one run.

    python benchmarks/client.py            # full run, well under two minutes on 2 cores
    python benchmarks/client.py --quick    # smoke run
    python benchmarks/client.py --downloads  # only the iter_chunked and read() rows

The server is a raw asyncio HTTP/1.1 server defined below, run in its own process on
127.0.0.1: it answers keep-alive GETs of ``/small`` from a prebuilt response and streams
``/stream/<bytes>`` from one preallocated buffer under transport flow control. Each client
runs in a fresh subprocess (the same code for aiotape and aiohttp, which share an API) and
contributes one number per round (rounds interleave the clients) to medians of:

- sequential small GETs over one keep-alive connection (requests/s, and the client's CPU
  time per request: ``time.process_time()`` over the run / requests, which holds still on a
  busy machine where wall-clock rates swing),
- small GETs from 50 concurrent tasks (requests/s and CPU time per request),
- a streamed download read with ``resp.content.iter_chunked(64 KiB)`` (MB/s of wall time,
  and MB per second of the client's CPU time; median of 3 downloads in the round),
- the same download read whole with ``resp.read()`` (the same two numbers),
- peak RSS growth while streaming 1 GiB, in a process of its own (MiB, from VmHWM).

The ``bare`` column is the ceiling: an ``asyncio.Protocol`` + httptools client with no API.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httptools

HOST = "127.0.0.1"
SMALL_BODY = b"hello, world\n"
SMALL_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
    + str(len(SMALL_BODY)).encode()
    + b"\r\n\r\n"
    + SMALL_BODY
)
STREAM_BLOCK = memoryview(bytes(range(256)) * 1024)  # 256 KiB, written repeatedly
READ_CHUNK = 64 * 1024
MIB = 1024 * 1024
CONCURRENCY = 50
WARM_UP_REQUESTS = 4 * CONCURRENCY
WARM_UP_STREAM = 4 * MIB
DOWNLOADS_PER_ROUND = 3  # one download is short enough for a burst of load elsewhere to skew
CLIENTS = ("aiohttp", "aiotape", "httpx", "bare")
TARGETS = {
    "sequential_cpu_us": 1.6,
    "concurrent_cpu_us": 1.5,
    "stream": 1.5,
    "stream_cpu": 1.5,
    "read": 2.0,
    "read_cpu": 2.0,
}
LOWER_IS_BETTER = frozenset({"sequential_cpu_us", "concurrent_cpu_us"})
RSS_LIMIT_MIB = 64.0


@dataclass(frozen=True, slots=True)
class Plan:
    """How much work one run does."""

    rounds: int
    sequential: int
    concurrent: int
    stream_bytes: int
    rss_stream_bytes: int
    downloads_only: bool = False


FULL = Plan(
    rounds=9, sequential=3000, concurrent=5000, stream_bytes=64 * MIB, rss_stream_bytes=1024 * MIB
)
QUICK = Plan(
    rounds=2, sequential=300, concurrent=500, stream_bytes=8 * MIB, rss_stream_bytes=64 * MIB
)


# -- the server -----------------------------------------------------------------------------


class BenchServerProtocol(asyncio.Protocol):
    """Keep-alive HTTP/1.1 for bodiless GETs: ``/small`` and ``/stream/<n>``; no pipelining."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._can_write: asyncio.Event = asyncio.Event()
        self._can_write.set()
        self._streamer: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.set_write_buffer_limits(high=MIB)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
            target = head.split(b" ", 2)[1]
            if target == b"/small":
                self._transport.write(SMALL_RESPONSE)
            elif target.startswith(b"/stream/"):
                self._streamer = asyncio.get_running_loop().create_task(
                    self._stream(int(target[len(b"/stream/") :]))
                )
            else:
                self._transport.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    async def _stream(self, size: int) -> None:
        assert self._transport is not None
        self._transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: " + str(size).encode() + b"\r\n\r\n"
        )
        block = len(STREAM_BLOCK)
        while size > 0 and not self._transport.is_closing():
            await self._can_write.wait()
            self._transport.write(STREAM_BLOCK[: min(size, block)])
            size -= block

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._streamer is not None:
            self._streamer.cancel()


async def serve() -> None:
    """Run the server until killed; print its port on stdout first."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(BenchServerProtocol, HOST, 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


# -- one client, in its own process ---------------------------------------------------------


class AiohttpLike:
    """Drives aiohttp or aiotape, which share the client API."""

    def __init__(self, module_name: str) -> None:
        self._lib: Any = importlib.import_module(module_name)
        self._session: Any = None

    async def __aenter__(self) -> AiohttpLike:
        self._session = self._lib.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._session.close()

    async def get_small(self, url: str) -> None:
        async with self._session.get(url) as resp:
            await resp.read()

    async def stream(self, url: str) -> int:
        received = 0
        async with self._session.get(url) as resp:
            async for chunk in resp.content.iter_chunked(READ_CHUNK):
                received += len(chunk)
        return received

    async def read(self, url: str) -> int:
        async with self._session.get(url) as resp:
            return len(await resp.read())


class HttpxClient:
    """Drives httpx.AsyncClient."""

    def __init__(self) -> None:
        self._httpx: Any = importlib.import_module("httpx")
        self._client: Any = None

    async def __aenter__(self) -> HttpxClient:
        limits = self._httpx.Limits(max_connections=100, max_keepalive_connections=100)
        self._client = self._httpx.AsyncClient(limits=limits)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def get_small(self, url: str) -> None:
        (await self._client.get(url)).read()

    async def stream(self, url: str) -> int:
        received = 0
        async with self._client.stream("GET", url) as resp:
            async for chunk in resp.aiter_bytes(READ_CHUNK):
                received += len(chunk)
        return received

    async def read(self, url: str) -> int:
        return len((await self._client.get(url)).content)


class _BareConnection(asyncio.Protocol):
    """One keep-alive connection parsed by httptools callbacks, nothing else."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self._received = 0
        self._done: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self._received += len(body)

    def on_message_complete(self) -> None:
        assert self._done is not None
        self._done.set_result(self._received)

    async def get(self, head: bytes) -> int:
        assert self.transport is not None
        self._received = 0
        self._done = asyncio.get_running_loop().create_future()
        self.transport.write(head)
        return await self._done


class BareClient:
    """The ceiling: asyncio.Protocol + httptools with a free list of connections."""

    def __init__(self) -> None:
        self._idle: list[_BareConnection] = []
        self._all: list[_BareConnection] = []

    async def __aenter__(self) -> BareClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for conn in self._all:
            assert conn.transport is not None
            conn.transport.close()

    async def _get(self, url: str) -> int:
        parsed = urlsplit(url)
        if self._idle:
            conn = self._idle.pop()
        else:
            loop = asyncio.get_running_loop()
            _, conn = await loop.create_connection(
                _BareConnection, parsed.hostname or HOST, parsed.port or 80
            )
            self._all.append(conn)
        head = f"GET {parsed.path} HTTP/1.1\r\nHost: {parsed.netloc}\r\n\r\n".encode()
        received = await conn.get(head)
        self._idle.append(conn)
        return received

    async def get_small(self, url: str) -> None:
        await self._get(url)

    async def stream(self, url: str) -> int:
        return await self._get(url)

    async def read(self, url: str) -> int:
        return await self._get(url)


Client = AiohttpLike | HttpxClient | BareClient


def make_client(name: str) -> Client:
    if name == "bare":
        return BareClient()
    return HttpxClient() if name == "httpx" else AiohttpLike(name)


async def measure(name: str, base: str, plan: Plan) -> dict[str, float]:
    """One round of numbers for one client, after a short warm-up."""
    small = f"{base}/small"

    async with make_client(name) as client:

        async def worker(count: int) -> None:
            for _ in range(count):
                await client.get_small(small)

        async def requests(tasks: int, count: int) -> tuple[float, float]:
            """(requests/s, client CPU µs per request) of ``count`` GETs from ``tasks`` tasks."""
            per_task = count // tasks
            started, cpu = time.perf_counter(), time.process_time()
            if tasks == 1:
                await worker(per_task)
            else:
                await asyncio.gather(*(worker(per_task) for _ in range(tasks)))
            cpu, elapsed = time.process_time() - cpu, time.perf_counter() - started
            done = per_task * tasks
            return done / elapsed, cpu / done * 1e6

        async def download(size: int, whole: bool) -> tuple[float, float]:
            """(MB/s of wall time, MB per second of client CPU time) of one download."""
            started, cpu = time.perf_counter(), time.process_time()
            url = f"{base}/stream/{size}"
            received = await (client.read(url) if whole else client.stream(url))
            cpu, elapsed = time.process_time() - cpu, time.perf_counter() - started
            if received != size:
                raise RuntimeError(f"{name} received {received} of {size} bytes")
            return received / elapsed / 1e6, received / cpu / 1e6

        await requests(1, WARM_UP_REQUESTS)
        await download(WARM_UP_STREAM, False)
        await download(WARM_UP_STREAM, True)
        numbers: dict[str, float] = {}
        if not plan.downloads_only:
            await requests(CONCURRENCY, WARM_UP_REQUESTS)
            sequential, sequential_cpu = await requests(1, plan.sequential)
            concurrent, concurrent_cpu = await requests(CONCURRENCY, plan.concurrent)
            numbers |= {
                "sequential": sequential,
                "sequential_cpu_us": sequential_cpu,
                "concurrent": concurrent,
                "concurrent_cpu_us": concurrent_cpu,
            }
        for key, whole in (("stream", False), ("read", True)):
            runs = [await download(plan.stream_bytes, whole) for _ in range(DOWNLOADS_PER_ROUND)]
            numbers[key] = statistics.median(wall for wall, _ in runs)
            numbers[f"{key}_cpu"] = statistics.median(cpu for _, cpu in runs)
        return numbers


def _status_kib(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` value of this process, in KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if not permitted."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


async def measure_rss(name: str, base: str, plan: Plan) -> dict[str, float]:
    """Peak RSS growth (MiB) while streaming ``plan.rss_stream_bytes`` once."""
    async with make_client(name) as client:
        await client.get_small(f"{base}/small")  # imports done, connection pooled
        before = _status_kib("VmRSS") if _reset_peak_rss() else _status_kib("VmHWM")
        received = await client.stream(f"{base}/stream/{plan.rss_stream_bytes}")
        peak = _status_kib("VmHWM")
    if received != plan.rss_stream_bytes:
        raise RuntimeError(f"{name} received {received} of {plan.rss_stream_bytes} bytes")
    return {"rss_growth_mib": max(0, peak - before) / 1024}


# -- the driver -----------------------------------------------------------------------------


def run_child(args: list[str], timeout: float = 120) -> dict[str, float]:
    """Run this script with ``args`` and parse the JSON it prints."""
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout)
    return result


def available_clients() -> list[str]:
    return [name for name in CLIENTS if name == "bare" or importlib.util.find_spec(name)]


def round_ratios(samples: dict[str, list[dict[str, float]]], key: str) -> list[float]:
    """How many times better aiotape did than aiohttp in each round (runs back to back):
    aiotape/aiohttp for rates, aiohttp/aiotape for CPU time per request."""
    pairs = zip(samples["aiotape"], samples["aiohttp"], strict=True)
    if key in LOWER_IS_BETTER:
        return sorted(theirs[key] / ours[key] for ours, theirs in pairs)
    return sorted(ours[key] / theirs[key] for ours, theirs in pairs)


def print_report(samples: dict[str, list[dict[str, float]]], plan: Plan) -> None:
    rows = [
        ("sequential", f"sequential GETs, 1 connection ({plan.sequential}/round)", "req/s"),
        ("sequential_cpu_us", "  client CPU per request", "µs"),
        ("concurrent", f"GETs from {CONCURRENCY} tasks ({plan.concurrent}/round)", "req/s"),
        ("concurrent_cpu_us", "  client CPU per request", "µs"),
        ("stream", f"iter_chunked download ({plan.stream_bytes // MIB} MiB)", "MB/s"),
        ("stream_cpu", "  per client CPU second", "MB/s"),
        ("read", f"read() download ({plan.stream_bytes // MIB} MiB)", "MB/s"),
        ("read_cpu", "  per client CPU second", "MB/s"),
        ("rss_growth_mib", f"peak RSS growth, {plan.rss_stream_bytes // MIB} MiB streamed", "MiB"),
    ]
    names = list(samples)
    rows = [row for row in rows if all(row[0] in s for s in samples[names[0]])]
    compare = "aiotape" in samples and "aiohttp" in samples
    print(f"{'benchmark':<50}" + "".join(f"{name:>10}" for name in names) + "  aiotape vs aiohttp")
    for key, label, unit in rows:
        medians = {name: statistics.median(s[key] for s in samples[name]) for name in names}
        cells = "".join(f"{medians[name]:>10.1f}" for name in names)
        extra = ""
        if compare and key in TARGETS:
            ratios = round_ratios(samples, key)
            ratio = statistics.median(ratios)
            verdict = "ok" if ratio >= TARGETS[key] else "BELOW"
            extra = (
                f"  {ratio:5.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f};"
                f" target >= {TARGETS[key]}x: {verdict})"
            )
        elif "aiotape" in medians and key == "rss_growth_mib":
            verdict = "ok" if medians["aiotape"] < RSS_LIMIT_MIB else "ABOVE"
            extra = f"  aiotape < {RSS_LIMIT_MIB:.0f} MiB: {verdict}"
        print(f"{label + ' (' + unit + ')':<50}{cells}{extra}")


def collect(
    clients: list[str], base: str, plan: Plan, flags: list[str]
) -> dict[str, list[dict[str, float]]]:
    """Per-round numbers of each client that ran; rounds interleave clients, rotating order.

    Interleaving keeps a burst of load elsewhere on the machine from favouring one client.
    The RSS measurement runs once per client, joined into every round's numbers. A client
    whose run fails is reported on stderr and left out.
    """
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in clients}

    def attempt(name: str, *extra: str) -> dict[str, float] | None:
        try:
            return run_child(["--client", name, "--base", base, *extra, *flags])
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"{name}: FAILED, left out: {exc}\n", file=sys.stderr)
            del samples[name]
            return None

    for round_index in range(plan.rounds):
        shift = round_index % len(clients)
        for name in clients[shift:] + clients[:shift]:
            if name in samples and (numbers := attempt(name)) is not None:
                samples[name].append(numbers)
    for name in [] if plan.downloads_only else list(samples):
        if (rss := attempt(name, "--rss")) is not None:
            for numbers in samples[name]:
                numbers |= rss
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument(
        "--downloads", action="store_true", help="only the iter_chunked and read() downloads"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--rss", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.downloads:
        plan = dataclasses.replace(plan, downloads_only=True)

    if args.serve:
        asyncio.run(serve())
        return
    if args.client:
        measure_one = measure_rss if args.rss else measure
        print(json.dumps(asyncio.run(measure_one(args.client, args.base, plan))))
        return

    clients = available_clients()
    skipped = sorted(set(CLIENTS) - set(clients))
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base = f"http://{HOST}:{int(server.stdout.readline())}"
        print(
            f"server: raw asyncio HTTP/1.1 server (this script, own process) at {base}\n"
            f"python {platform.python_version()}, {os.cpu_count()} cores, "
            f"{'quick' if args.quick else 'full'} run, median of {plan.rounds} rounds"
            + (f"; not installed: {', '.join(skipped)}" if skipped else "")
            + "\n"
        )
        flags = ["--quick"] if args.quick else []
        samples = collect(clients, base, plan, flags + (["--downloads"] if args.downloads else []))
        print_report(samples, plan)
    finally:
        server.terminate()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()


if __name__ == "__main__":
    main()
