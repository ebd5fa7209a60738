"""Cassette record/replay throughput: aiotape vs vcrpy (driving aiohttp), from one run.

    python benchmarks/cassettes.py [--sizes 1000,10000] [--vcrpy-sample 1000]

For each size N it records N distinct GETs against a local aiohttp.web server, then replays
them offline, and times loading the N-interaction cassette. vcrpy's lookup scans the whole
cassette for every request (quadratic), so at sizes above ``--vcrpy-sample`` it replays only
the first sample requests of a cassette holding all N (recorded by aiotape: the plain-HTTP
format is shared) and reports that rate.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

import aiotape
from aiotape.cassettes import Cassette, use_cassette

vcr: Any
try:
    vcr = importlib.import_module("vcr")  # an optional peer, untyped
except ImportError:  # pragma: no cover
    vcr = None


@dataclass
class Row:
    """One measurement line."""

    size: int
    tool: str
    record_rps: float | None
    load_s: float | None
    replay_rps: float
    replayed: int


async def _item(request: web.Request) -> web.Response:
    return web.json_response({"id": request.match_info["n"], "name": "widget"})


async def _start_server() -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/item/{n}", _item)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def _run(module: Any, base: str, count: int) -> None:
    async with module.ClientSession() as session:
        for n in range(count):
            async with session.get(f"{base}/item/{n}") as resp:
                await resp.read()


async def _timed(work: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def _replay(
    cassette: AbstractContextManager[Any], run: Callable[[], Awaitable[None]]
) -> tuple[float, float]:
    """(seconds to load the cassette, seconds to replay ``run`` once it is loaded)."""
    started = time.perf_counter()
    with cassette:
        loaded = time.perf_counter()
        await run()
        return loaded - started, time.perf_counter() - loaded


async def _aiotape(base: str, size: int, directory: Path) -> Row:
    path = directory / f"aiotape-{size}.yaml"
    with use_cassette(path, record_mode="all"):
        record = await _timed(lambda: _run(aiotape, base, size))
    started = time.perf_counter()
    cassette = Cassette(path)  # parse + index
    load = time.perf_counter() - started
    _, replay = await _replay(cassette, lambda: _run(aiotape, base, size))
    return Row(size, "aiotape", size / record, load, size / replay, size)


async def _vcrpy(base: str, size: int, directory: Path, sample: int) -> Row:
    assert vcr is not None
    record_rps: float | None = None
    if size <= sample:
        path = directory / f"vcrpy-{size}.yaml"
        with vcr.use_cassette(str(path), record_mode="all"):
            record_rps = size / await _timed(lambda: _run(aiohttp, base, size))
    else:
        path = directory / f"aiotape-{size}.yaml"  # the shared plain-HTTP format
    count = min(size, sample)
    cassette = vcr.use_cassette(str(path), record_mode="none")
    load, replay = await _replay(cassette, lambda: _run(aiohttp, base, count))
    return Row(size, "vcrpy", record_rps, load, count / replay, count)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


async def main(sizes: list[int], sample: int) -> None:
    runner, base = await _start_server()
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for size in sizes:
                rows.append(await _aiotape(base, size, Path(tmp)))
                if vcr is not None:
                    rows.append(await _vcrpy(base, size, Path(tmp), sample))
    finally:
        await runner.cleanup()
    print(f"{'size':>6} {'tool':8} {'record req/s':>12} {'load s':>7} {'replay req/s':>12}")
    for row in rows:
        note = "" if row.replayed == row.size else f"  (first {row.replayed} requests)"
        print(
            f"{row.size:>6} {row.tool:8} {_fmt(row.record_rps, '12.0f')} "
            f"{_fmt(row.load_s, '7.3f')} {row.replay_rps:12.0f}{note}"
        )
    ours = {row.size: row for row in rows if row.tool == "aiotape"}
    theirs = {row.size: row for row in rows if row.tool == "vcrpy"}
    for size in sizes:
        if size in theirs:
            ratio = ours[size].replay_rps / theirs[size].replay_rps
            print(f"replay aiotape/vcrpy at {size}: {ratio:.0f}x")
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        growth = ours[small].replay_rps / ours[large].replay_rps
        print(f"aiotape per-request replay cost at {large} vs {small}: {growth:.2f}x")
        print(f"aiotape {large}-interaction cassette load: {ours[large].load_s:.3f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated cassette sizes")
    parser.add_argument(
        "--vcrpy-sample",
        type=int,
        default=1000,
        help="vcrpy records/replays at most this many requests per size",
    )
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.vcrpy_sample))
