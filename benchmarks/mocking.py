"""Mocked GETs with ``.json()`` through a session: aiotape's MockRouter vs aioresponses.

aioresponses 0.7.9 does not work with aiohttp 3.14, so its side runs in a subprocess of a
separate virtualenv (created on first use) with ``aiohttp<3.14``. Run:
``python benchmarks/mocking.py [--venv DIR] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

AIORESPONSES_SCRIPT = """
import asyncio, json, sys, time
import aiohttp
from aioresponses import aioresponses

URL = "http://api.test/items/{}"

async def run(n):
    with aioresponses() as mock:
        mock.get(URL.format(0), payload={"id": 0, "tags": ["a", "b"]}, repeat=True)
        async with aiohttp.ClientSession() as session:
            async def once():
                async with session.get(URL.format(0)) as resp:
                    assert (await resp.json())["id"] == 0
            for _ in range(50):
                await once()
            start = time.perf_counter()
            for _ in range(n):
                await once()
            return time.perf_counter() - start

counts, rounds = json.loads(sys.argv[1]), int(sys.argv[2])
print(json.dumps({n: min(asyncio.run(run(n)) for _ in range(rounds)) for n in counts}))
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


def aioresponses_seconds(python: Path, rounds: int) -> dict[int, float]:
    """Best-of-``rounds`` seconds per request count, measured in the other virtualenv."""
    out = subprocess.run(
        [str(python), "-c", AIORESPONSES_SCRIPT, json.dumps(COUNTS), str(rounds)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {int(n): seconds for n, seconds in json.loads(out).items()}


async def aiotape_run(n: int, routes: int = 1, target: int = 0) -> float:
    """Seconds for ``n`` sequential mocked GETs of route ``target`` among ``routes``."""
    with MockRouter(assert_all_called=False) as mock:
        for i in range(routes):
            mock.get(URL.format(i), json={"id": i, "tags": ["a", "b"]})
        async with aiotape.ClientSession() as session:

            async def once() -> None:
                async with session.get(URL.format(target)) as resp:
                    assert (await resp.json())["id"] == target

            for _ in range(50):
                await once()
            start = time.perf_counter()
            for _ in range(n):
                await once()
            return time.perf_counter() - start


def best(rounds: int, n: int, routes: int = 1, target: int = 0) -> float:
    return min(asyncio.run(aiotape_run(n, routes, target)) for _ in range(rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    other = aioresponses_seconds(ensure_venv(args.venv), args.rounds)
    print(f"{'requests':>9} {'aiotape req/s':>14} {'aioresponses req/s':>19} {'ratio':>7}")
    for n in COUNTS:
        ours = best(args.rounds, n)
        print(f"{n:>9} {n / ours:>14,.0f} {n / other[n]:>19,.0f} {other[n] / ours:>6.1f}x")
    n = COUNTS[0]
    one = best(args.rounds, n) / n
    many = best(args.rounds, n, routes=1000, target=999) / n
    print(
        f"per-request cost: {one * 1e6:.1f} us with 1 route, {many * 1e6:.1f} us with 1000 routes "
        f"({many / one:.2f}x)"
    )


if __name__ == "__main__":
    main()
