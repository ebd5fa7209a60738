"""Mocked GETs with ``.json()`` through a session: aiotape's MockRouter vs aioresponses.

One "test" enters the mock, registers the route, opens a session, makes ``n`` GETs reading
``.json()``, closes the session and leaves the mock; all of it is timed, so what a test pays
once (patching, router and session setup, first-request work) counts next to the requests.
Each process runs one untimed test first (imports, first-use caches). Rounds interleave
aiotape and aioresponses. The table shows medians of the client's CPU time
(``time.process_time()``, steadier than the wall clock on a busy machine) and of wall-clock
requests per second; each round's ratios are taken against the aiotape tests just before
and after it. The last column is the CPU ratio of the request loops alone (setup and
teardown left out). Leaving aioresponses closes every response it made (through mock
objects: a quarter to a third of its cost), and its per-request cost grows with the count
(it keeps a deep copy of each request's arguments, which the garbage collector walks).
After each test, untimed, ``gc.collect()`` clears its cyclic garbage (aioresponses makes a
lot) so that it does not land in the next test's time.

aioresponses 0.7.9 does not work with aiohttp 3.14, so its side runs in a worker subprocess
of a separate virtualenv (created on first use) with ``aiohttp<3.14``. Run:
``python benchmarks/mocking.py [--venv DIR] [--rounds N] [--profile]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

import aiotape
from aiotape.mocking import MockRouter

URL = "http://api.test/items/{}"
COUNTS = (1_000, 10_000)
DEFAULT_VENV = Path("/tmp/aiotape-bench-aioresponses")

# Reads request counts from stdin, one a line ("p<n>" to profile), answers one JSON line each.
AIORESPONSES_WORKER = """
import asyncio, cProfile, gc, json, pstats, sys, time
import aiohttp
from aioresponses import aioresponses

URL = "http://api.test/items/{}"

async def test(n):
    with aioresponses() as mock:
        mock.get(URL.format(0), payload={"id": 0, "tags": ["a", "b"]}, repeat=True)
        async with aiohttp.ClientSession() as session:
            start = time.process_time()
            for _ in range(n):
                async with session.get(URL.format(0)) as resp:
                    assert (await resp.json())["id"] == 0
            return time.process_time() - start

def timed(n):
    cpu, wall = time.process_time(), time.perf_counter()
    requests = asyncio.run(test(n))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    gc.collect()
    return {"cpu": cpu, "wall": wall, "requests": requests}

def calls(n):
    profile = cProfile.Profile()
    profile.runcall(asyncio.run, test(n))
    return {"calls": pstats.Stats(profile).total_calls}

timed(50)
for line in sys.stdin:
    line = line.strip()
    result = calls(int(line[1:])) if line.startswith("p") else timed(int(line))
    print(json.dumps(result), flush=True)
"""


def ensure_venv(path: Path) -> Path:
    """A virtualenv with ``aiohttp<3.14`` and aioresponses 0.7.9; returns its python."""
    python = path / "bin" / "python"
    probe = [str(python), "-c", "import aioresponses, aiohttp"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {path} (aiohttp<3.14 + aioresponses 0.7.9)...", file=sys.stderr)
    venv.create(path, with_pip=True)
    install = [str(python), "-m", "pip", "install", "-q", "aiohttp<3.14", "aioresponses==0.7.9"]
    subprocess.run(install, check=True)
    return python


class Worker:
    """The aioresponses side: one long-lived subprocess answering one test per request."""

    def __init__(self, python: Path) -> None:
        self._process = subprocess.Popen(
            [str(python), "-c", AIORESPONSES_WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, line: str) -> dict[str, float]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        answer: dict[str, float] = json.loads(self._process.stdout.readline())
        return answer

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait()


async def aiotape_test(n: int, routes: int = 1, target: int = 0) -> float:
    """One test: ``n`` sequential mocked GETs of route ``target`` among ``routes``; returns
    the CPU seconds of the requests alone."""
    with MockRouter(assert_all_called=False) as mock:
        for i in range(routes):
            mock.get(URL.format(i), json={"id": i, "tags": ["a", "b"]})
        async with aiotape.ClientSession() as session:
            start = time.process_time()
            for _ in range(n):
                async with session.get(URL.format(target)) as resp:
                    assert (await resp.json())["id"] == target
            return time.process_time() - start


def aiotape_timed(n: int, routes: int = 1, target: int = 0) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    requests = asyncio.run(aiotape_test(n, routes, target))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    gc.collect()  # this test's cyclic garbage, not the next one's cost
    return {"cpu": cpu, "wall": wall, "requests": requests}


def aiotape_calls(n: int) -> int:
    profile = cProfile.Profile()
    profile.runcall(asyncio.run, aiotape_test(n))
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined, no-any-return]


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def compare(worker: Worker, rounds: int) -> None:
    """Per round and count: aiotape, aioresponses, aiotape again; each round's ratios are
    over the mean of the two aiotape tests around it, so load drift hits both sides."""
    ours: dict[int, list[dict[str, float]]] = {n: [] for n in COUNTS}
    other: dict[int, list[dict[str, float]]] = {n: [] for n in COUNTS}
    ratios: dict[int, list[dict[str, float]]] = {n: [] for n in COUNTS}
    for _ in range(rounds):
        for n in COUNTS:
            before, theirs, after = aiotape_timed(n), worker.ask(str(n)), aiotape_timed(n)
            ours[n] += [before, after]
            other[n].append(theirs)
            ratios[n].append({key: 2 * theirs[key] / (before[key] + after[key]) for key in theirs})
    print(
        f"{'requests':>9} {'aiotape req/s':>14} {'CPU/req':>9} {'aioresponses req/s':>19} "
        f"{'CPU/req':>9} {'CPU ratio (rounds)':>22} {'wall ratio':>11} {'loop-only CPU ratio':>20}"
    )
    for n in COUNTS:
        cpu = [ratio["cpu"] for ratio in ratios[n]]
        print(
            f"{n:>9} {n / median(ours[n], 'wall'):>14,.0f} "
            f"{median(ours[n], 'cpu') / n * 1e6:>6.1f} us "
            f"{n / median(other[n], 'wall'):>19,.0f} {median(other[n], 'cpu') / n * 1e6:>6.1f} us "
            f"{statistics.median(cpu):>6.1f}x ({min(cpu):.1f}-{max(cpu):.1f}x) "
            f"{median(ratios[n], 'wall'):>10.1f}x {median(ratios[n], 'requests'):>19.1f}x"
        )


def route_scaling(rounds: int) -> None:
    """CPU per request (the loop alone) with 1 and with 1000 routes, and per test."""
    n = COUNTS[0]
    one = [aiotape_timed(n) for _ in range(rounds)]
    many = [aiotape_timed(n, 1000, 999) for _ in range(rounds)]
    lookup, lookup_many = median(one, "requests") / n, median(many, "requests") / n
    print(
        f"aiotape CPU per request (loop alone): {lookup * 1e6:.1f} us with 1 route, "
        f"{lookup_many * 1e6:.1f} us with 1000 routes ({lookup_many / lookup:.2f}x); "
        f"registering 1000 routes: {(median(many, 'cpu') - median(one, 'cpu')) * 1e3:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also count calls (cProfile)")
    args = parser.parse_args()
    worker = Worker(ensure_venv(args.venv))
    aiotape_timed(50)
    try:
        compare(worker, args.rounds)
        route_scaling(args.rounds)
        if args.profile:
            n = COUNTS[0]
            ours, other = aiotape_calls(n), worker.ask(f"p{n}")["calls"]
            print(
                f"Python calls per request (cProfile, {n}-request test): aiotape "
                f"{ours / n:.1f}, aioresponses {other / n:.1f}"
            )
    finally:
        worker.close()


if __name__ == "__main__":
    main()
