"""Cassette speed: aiotape vs vcrpy (driving aiohttp), from one run.

    python benchmarks/cassettes.py [--sizes 1000,10000] [--vcrpy-sample 1000] [--rounds 5]
                                   [--suite-tests 300] [--suite-calls 5] [--instructions]
                                   [--against REV]

For each size N it records N distinct GETs against a local aiohttp.web server, then replays
them offline, and times loading the N-interaction cassette: cold (no compiled copy: YAML is
parsed) and warm (from the compiled-cassette cache), as the file's interactions alone and as a
whole ``Cassette`` (interactions plus the match index), in CPU seconds of this process (on an
idle machine the same as wall time; on a shared one far steadier). vcrpy's lookup scans the
whole cassette for every request (quadratic), so at sizes above ``--vcrpy-sample`` it replays
only the first sample requests of a cassette holding all N (recorded by aiotape: the plain-HTTP
format is shared) and reports that rate.

Suite overhead: a generated suite of ``--suite-tests`` tests, each replaying its own
``--suite-calls``-interaction cassette, runs in a pytest subprocess for aiotape and for vcrpy +
pytest-recording (each recorded once first), next to the same number of empty async tests (the
floor). It reports the added milliseconds per test: over the floor, over a floor that loads
the tool's plugin and imports its client (so only the cassette work remains), and from the
slope between a third of the suite and all of it (which leaves out fixed costs). aiotape's
plugin entry is lazy: its floor imports the client but not the cassette modules, which load in
the first marked test and so count in its per-test figures (not in its slope). Suite runs
are timed in CPU seconds of the pytest process (user + sys), which a busy machine disturbs far
less than wall time. Every timing is the median of ``--rounds`` rounds; a suite figure is the
median of each round's difference from the floor run of the same round; the middle half of
those differences (their quartiles) is printed for aiotape's plain reading, to show how far
this machine's noise moves a single round. With
``--instructions`` the suite runs are also counted in instructions under valgrind's cachegrind,
once each (counts barely move between runs, so they show changes that CPU time's noise hides).
With ``--against REV`` the suite also runs on aiotape as of git revision REV (with its own
floor), in the same rounds: how much this tree gained over an earlier one, as a ratio this
machine's speed drops out of (an issue's figures, taken elsewhere, can be re-measured here).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import io
import os
import re
import resource
import statistics
import subprocess
import sys
import tarfile
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
from aiotape.cassettes import Cassette, load_cassette, use_cassette

vcr: Any
try:
    vcr = importlib.import_module("vcr")  # an optional peer, untyped
except ImportError:  # pragma: no cover
    vcr = None


@dataclass
class Row:
    """One measurement line (load times: cold parse, warm cache, warm whole Cassette)."""

    size: int
    tool: str
    record_rps: float | None
    load_s: float | None
    replay_rps: float
    replayed: int
    warm_s: float | None = None
    cassette_s: float | None = None


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
    """(CPU seconds to load the cassette, seconds to replay ``run`` once it is loaded)."""
    started = time.process_time()
    with cassette:
        load = time.process_time() - started
        loaded = time.perf_counter()
        await run()
        return load, time.perf_counter() - loaded


def _median_time(work: Callable[[], object], rounds: int, before: Callable[[], None]) -> float:
    timings = []
    for _ in range(rounds):
        before()
        started = time.process_time()
        work()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def _loads(path: Path, rounds: int, directory: Path) -> tuple[float, float, float]:
    """Median CPU seconds: cold load (empty cache), warm load, warm ``Cassette(path)``."""
    cold_cache = directory / "cold-cache"
    os.environ["AIOTAPE_CACHE_DIR"] = str(cold_cache)

    def empty_cache() -> None:
        for entry in cold_cache.glob("*/*"):
            entry.unlink()

    try:
        cold = _median_time(lambda: load_cassette(path), rounds, empty_cache)
        warm = _median_time(lambda: load_cassette(path), rounds, lambda: None)
        whole = _median_time(lambda: Cassette(path), rounds, lambda: None)
    finally:
        del os.environ["AIOTAPE_CACHE_DIR"]
    return cold, warm, whole


async def _aiotape(base: str, size: int, directory: Path, rounds: int) -> Row:
    path = directory / f"aiotape-{size}.yaml"
    with use_cassette(path, record_mode="all"):
        record = await _timed(lambda: _run(aiotape, base, size))
    cold, warm, whole = _loads(path, rounds, directory)
    replays = [await _replay(Cassette(path), lambda: _run(aiotape, base, size)) for _ in range(3)]
    replay = statistics.median(seconds for _, seconds in replays)
    return Row(size, "aiotape", size / record, cold, size / replay, size, warm, whole)


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
    return format(value, spec) if value is not None else "-".rjust(int(spec.split(".")[0] or 0))


def _print_rows(rows: list[Row], sizes: list[int]) -> None:
    print(
        f"{'size':>6} {'tool':8} {'record req/s':>12} {'cold CPU s':>11} {'warm s':>7} "
        f"{'Cassette s':>10} {'replay req/s':>12}"
    )
    for row in rows:
        note = "" if row.replayed == row.size else f"  (first {row.replayed} requests)"
        print(
            f"{row.size:>6} {row.tool:8} {_fmt(row.record_rps, '12.0f')} "
            f"{_fmt(row.load_s, '11.3f')} {_fmt(row.warm_s, '7.3f')} "
            f"{_fmt(row.cassette_s, '10.3f')} {row.replay_rps:12.0f}{note}"
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
        print(f"aiotape per-request replay cost at {large} vs {small}: {growth:.2f}x (goal: flat)")
    big = ours[max(sizes)]
    print(
        f"aiotape {big.size}-interaction cassette: cold load {big.load_s:.3f} s (goal < 1 s), "
        f"warm load {_fmt(big.warm_s, '.3f')} s (goal < 0.05 s), "
        f"warm Cassette() with its index {_fmt(big.cassette_s, '.3f')} s"
    )


def _print_suite(rows: list[SuiteRow], tests: int, calls: int, unit: str, goal: str) -> None:
    print(f"\nsuite of {tests} tests, each replaying its own {calls}-interaction cassette")
    print(f"added {unit} per test over empty async tests (plain / with the tool loaded / slope):")
    for row in rows:
        print(
            f"{row.label:26} {row.per_test_ms:7.2f} {row.over_own_floor_ms:7.2f} "
            f"{row.slope_ms:7.2f}"
        )
    ours = next(r for r in rows if r.label.startswith("aiotape (cache warm)"))
    theirs = next(r for r in rows if r.label.startswith("vcrpy"))
    for what, mine, other in (
        ("over the plain floor", ours.per_test_ms, theirs.per_test_ms),
        ("with the tool loaded", ours.over_own_floor_ms, theirs.over_own_floor_ms),
        ("slope", ours.slope_ms, theirs.slope_ms),
    ):
        ratio = f"{other / mine:.1f}x" if mine > 0 else "-"
        print(f"aiotape {what}: {mine:.2f} {unit}/test{goal}, vcrpy/aiotape {ratio} (goal >= 10x)")
    for row in rows:
        if row.label.startswith("aiotape@"):
            gain = f"{row.per_test_ms / ours.per_test_ms:.1f}x" if ours.per_test_ms > 0 else "-"
            print(
                f"{row.label} over the plain floor: {row.per_test_ms:.2f} {unit}/test "
                f"(this tree: {gain} less)"
            )
    if ours.per_test_quartiles is not None:
        low, high = ours.per_test_quartiles
        print(
            f"aiotape over the plain floor, middle half of the rounds: {low:.2f} to {high:.2f} "
            f"{unit}/test (the machine's noise: one round lands anywhere in it, or beyond)"
        )


async def main(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",")]
    runner, base = await _start_server()
    rows: list[Row] = []
    suite: tuple[list[SuiteRow], list[SuiteRow]] = ([], [])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for size in sizes:
                rows.append(await _aiotape(base, size, Path(tmp), args.rounds))
                if vcr is not None:
                    rows.append(await _vcrpy(base, size, Path(tmp), args.vcrpy_sample))
            if args.suite_tests and vcr is not None:
                work = Path(tmp) / "suite"
                suite = await asyncio.to_thread(
                    _suite_overhead,
                    base,
                    args.suite_tests,
                    args.suite_calls,
                    args.rounds,
                    work,
                    args.instructions,
                    args.against,
                )
    finally:
        await runner.cleanup()
    _print_rows(rows, sizes)
    timed, counted = suite
    if timed:
        _print_suite(timed, args.suite_tests, args.suite_calls, "CPU ms", " (goal <= 0.3)")
    if counted:
        _print_suite(counted, args.suite_tests, args.suite_calls, "M instructions", "")


# -- suite overhead: N tests, each replaying its own cassette, vs the same number of empty tests

_INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""
_PER_MODULE = 50


def _suite_module(kind: str, base: str, first: int, count: int, calls: int) -> str:
    """One test module: ``count`` tests making ``calls`` GETs each, or empty ones (floors)."""
    client = {"aiotape": "aiotape", "vcrpy": "aiohttp"}.get(kind.removesuffix("-floor"))
    lines = ["import pytest"] + ([f"import {client}"] if client else [])
    if client == "aiotape":  # loads the client, as ``import aiohttp`` does (aiotape's is lazy)
        lines.append("aiotape.ClientSession")
    for n in range(first, first + count):
        lines.append("")
        if client is None or kind.endswith("-floor"):
            lines.append(f"async def test_{n}():\n    pass")
            continue
        lines += [
            "@pytest.mark.vcr",
            f"async def test_{n}():",
            f"    async with {client}.ClientSession() as session:",
            f"        for i in range({calls}):",
            f'            async with session.get(f"{base}/item/{n}-{{i}}") as response:',
            "                await response.read()",
        ]
    return "\n".join(lines) + "\n"


def _write_suite(directory: Path, kind: str, base: str, tests: int, calls: int) -> list[str]:
    """The suite's modules under ``directory`` (one per ``_PER_MODULE`` tests)."""
    directory.mkdir(parents=True)
    (directory / "pytest.ini").write_text(_INI)
    modules = []
    for first in range(0, tests, _PER_MODULE):
        name = f"test_m{first // _PER_MODULE}.py"
        count = min(_PER_MODULE, tests - first)
        (directory / name).write_text(_suite_module(kind, base, first, count, calls))
        modules.append(name)
    return modules


_DISABLE = {
    "floor": ["-p", "no:aiotape", "-p", "no:recording"],
    "aiotape": ["-p", "no:recording"],
    "aiotape-floor": ["-p", "no:recording"],
    "vcrpy": ["-p", "no:aiotape"],
    "vcrpy-floor": ["-p", "no:aiotape"],
}


_HERE = str(Path(__file__).resolve().parent.parent)
"""This tree: the aiotape the suites import unless ``--against`` names another."""


def _pytest(
    directory: Path,
    kind: str,
    modules: list[str],
    *extra: str,
    cache: str,
    root: str = _HERE,
    count: bool = False,
) -> float:
    """CPU seconds (user + sys) one ``pytest -q`` run of ``modules`` takes (it must pass), or
    with ``count`` the instructions it executes (valgrind's cachegrind: noise-free, ~30x slower).
    ``root`` is the tree whose aiotape it imports.
    """
    env = {**os.environ, "PYTHONPATH": root, "AIOTAPE_CACHE_DIR": cache}
    # Bytecode as an installed package has it: without .pyc files every run would compile
    # aiotape from source (~100 ms), which site-packages peers never pay.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *_DISABLE[kind]]
    if count:
        command[:0] = [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
        ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [*command, *extra, *modules], cwd=directory, env=env, capture_output=True, text=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} suite failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    if count:  # the last total is pytest's own (a forked child reports first)
        return float(re.findall(r"I\s+refs:\s+([\d,]+)", done.stderr)[-1].replace(",", ""))
    return elapsed


@dataclass
class SuiteRow:
    """Added ms per test: over the plain floor, over the floor with the tool's plugin and
    imports loaded (empty tests), and from the slope between a third of the suite and all of it.
    """

    label: str
    per_test_ms: float
    over_own_floor_ms: float
    slope_ms: float
    per_test_quartiles: tuple[float, float] | None = None
    """The plain reading's first and third quartiles over the rounds (None under 4 rounds):
    how far this machine's noise moves a single round."""


def _suite_timings(
    runs: dict[str, tuple[Path, list[str]]],
    sizes: tuple[int, int],
    rounds: int,
    cache: str,
    count: bool,
    against: tuple[str, str, str] | None,
) -> dict[str, dict[int, list[float]]]:
    """CPU seconds (or instructions) per variant and suite size, one per round (in a round
    every variant runs, back to back). ``against`` is an earlier revision, its tree and the
    compiled-cassette cache its runs use."""
    variants = {
        "floor": ("floor", cache, _HERE),
        "aiotape-floor": ("aiotape-floor", cache, _HERE),
        "vcrpy-floor": ("vcrpy-floor", cache, _HERE),
        "aiotape (cache warm)": ("aiotape", cache, _HERE),
        "aiotape (cache off)": ("aiotape", "off", _HERE),
        "vcrpy + pytest-recording": ("vcrpy", cache, _HERE),
    }
    if against is not None:
        rev, tree, tree_cache = against
        for kind in ("aiotape-floor", "aiotape"):
            variants[kind.replace("aiotape", f"aiotape@{rev}")] = (kind, tree_cache, tree)
    timings: dict[str, dict[int, list[float]]] = {v: {s: [] for s in sizes} for v in variants}
    for _ in range(rounds):
        for label, (kind, cache_dir, root) in variants.items():
            directory, modules = runs[kind]
            for size in sizes:
                subset = modules[: size // _PER_MODULE]
                run = _pytest(directory, kind, subset, cache=cache_dir, root=root, count=count)
                timings[label][size].append(run)
    return timings


def _tree_at(rev: str, work: Path) -> Path:
    """This repository's files as of git revision ``rev``, extracted under ``work``."""
    archive = subprocess.run(
        ["git", "-C", _HERE, "archive", rev], capture_output=True, check=True
    ).stdout
    tree = work / f"aiotape@{rev}"
    with tarfile.open(fileobj=io.BytesIO(archive)) as files:
        files.extractall(tree, filter="data")
    return tree


def _suite_overhead(
    base: str, tests: int, calls: int, rounds: int, work: Path, counts: bool, rev: str | None
) -> tuple[list[SuiteRow], list[SuiteRow]]:
    """Rows in CPU ms per test, and (with ``counts``) in millions of instructions per test;
    with ``rev``, rows for aiotape as of that git revision too."""
    small = max(_PER_MODULE, tests // 3 // _PER_MODULE * _PER_MODULE)
    if small >= tests:
        raise ValueError(f"--suite-tests must be above {_PER_MODULE}")
    kinds = ("floor", "aiotape-floor", "vcrpy-floor", "aiotape", "vcrpy")
    runs = {
        kind: (work / kind, _write_suite(work / kind, kind, base, tests, calls)) for kind in kinds
    }
    cache = str(work / "aiotape-cache")
    for kind in ("aiotape", "vcrpy"):
        directory, modules = runs[kind]
        _pytest(directory, kind, modules, "--record-mode=once", cache=cache)
    directory, modules = runs["aiotape"]
    _pytest(directory, "aiotape", modules, cache=cache)  # compiles the cassettes: a warm cache
    against = None
    if rev is not None:  # its cache warm too, and its bytecode written
        tree = str(_tree_at(rev, work))
        against = (rev, tree, f"{tree}-cache")
        _pytest(directory, "aiotape", modules, cache=against[2], root=tree)
    sizes = (small, tests)
    timed = _suite_rows(_suite_timings(runs, sizes, rounds, cache, False, against), small, tests)
    if not counts:
        return timed, []
    counted = _suite_timings(runs, sizes, 1, cache, True, against)  # instructions hold still
    return timed, _suite_rows(counted, small, tests, scale=1e-6)


def _suite_rows(
    timings: dict[str, dict[int, list[float]]], small: int, tests: int, scale: float = 1000
) -> list[SuiteRow]:
    """Added cost per test (CPU seconds * 1000 = ms, or instructions * 1e-6 = millions).

    Each figure is the median over rounds of that round's difference from its own floor run,
    so a machine that slows down or speeds up between rounds shifts both sides alike.
    """
    floor = timings["floor"]
    rows = []
    for label in (label for label in timings if not label.endswith("floor")):
        mine, own = timings[label], timings[f"{label.split()[0]}-floor"]
        plain, loaded, slope = [], [], []
        for r in range(len(floor[tests])):
            plain.append((mine[tests][r] - floor[tests][r]) / tests)
            loaded.append((mine[tests][r] - own[tests][r]) / tests)
            added = (mine[tests][r] - mine[small][r]) - (floor[tests][r] - floor[small][r])
            slope.append(added / (tests - small))
        quartiles = None
        if len(plain) >= 4:
            low, _, high = statistics.quantiles(plain, n=4)
            quartiles = (low * scale, high * scale)
        rows.append(
            SuiteRow(
                label,
                statistics.median(plain) * scale,
                statistics.median(loaded) * scale,
                statistics.median(slope) * scale,
                quartiles,
            )
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated cassette sizes")
    parser.add_argument(
        "--vcrpy-sample",
        type=int,
        default=1000,
        help="vcrpy records/replays at most this many requests per size",
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds per timing (median)")
    parser.add_argument(
        "--suite-tests", type=int, default=300, help="tests in the suite-overhead run (0: skip)"
    )
    parser.add_argument("--suite-calls", type=int, default=5, help="interactions per test")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count the suite runs' instructions with valgrind (one round; minutes)",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also run the suite on aiotape as of this git revision, in the same rounds",
    )
    asyncio.run(main(parser.parse_args()))
