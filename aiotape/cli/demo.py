"""``python -m aiotape demo``: record a session against a local server, then replay it offline.

The same script runs twice: live against :class:`DemoServer` with the cassette recording
(``record_mode="all"``), then, with the server stopped, against the cassette alone
(``record_mode="none"``). The summary shows each step's recording, both results and both
times; the exit status is 0 only if every replayed result equals the live one.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from yarl import URL

from ..cassettes import CassetteError, load_cassette, use_cassette
from ..client.exceptions import ClientError
from ..client.session import ClientSession
from ..client.timeouts import ClientTimeout
from ..client.transport import WSMsgType
from .demo_server import DemoServer
from .render import human_duration, human_size, outcome, table, truncate

__all__ = ["STEPS", "Result", "Step", "run_demo"]

STALL_TIMEOUT = ClientTimeout(sock_read=0.3)
"""The ``GET /stall`` step's timeout: the server stalls after its first chunk."""

GUARD_TIMEOUT = ClientTimeout(total=10)
"""Every other step's timeout: the demo fails rather than hangs if something goes wrong."""


@dataclass(frozen=True, slots=True)
class Result:
    """What a step observed: ``shown`` in the summary, ``value`` compared live vs replay."""

    shown: str
    value: object


@dataclass(frozen=True, slots=True)
class Step:
    """One request of the demo script."""

    label: str
    run: Callable[[ClientSession, URL], Awaitable[Result]]


async def _get_json(session: ClientSession, base: URL) -> Result:
    async with session.get(base / "items") as response:
        document = await response.json()
    names = ", ".join(item["name"] for item in document["items"])
    return Result(f"{response.status} [{names}]", (response.status, document))


async def _post_json(session: ClientSession, base: URL) -> Result:
    async with session.post(base / "items", json={"name": "cassette"}) as response:
        document = await response.json()
    shown = " ".join(f"{key}={value}" for key, value in document.items())
    return Result(f"{response.status} {shown}", (response.status, document))


async def _get_gzip(session: ClientSession, base: URL) -> Result:
    async with session.get(base / "gzip") as response:
        text = await response.text()
    return Result(f"{response.status} {len(text)} chars of text", (response.status, text))


async def _websocket(session: ClientSession, base: URL) -> Result:
    replies: list[str] = []
    async with session.ws_connect(base / "ws", receive_timeout=GUARD_TIMEOUT.total) as ws:
        for word in ("hello", "tape"):
            await ws.send_str(word)
            message = await ws.receive()
            text = message.type is WSMsgType.TEXT
            replies.append(str(message.data) if text else message.type.name)
        await ws.close()
    return Result(f"{' '.join(replies)}, close {ws.close_code}", (replies, ws.close_code))


async def _stall(session: ClientSession, base: URL) -> Result:
    async with session.get(base / "stall", timeout=STALL_TIMEOUT) as response:
        first = await response.content.readany()
        try:
            await response.read()
        except (ClientError, asyncio.TimeoutError) as exc:
            failure = type(exc).__name__
        else:
            failure = "no timeout"
    shown = f"{response.status} {first.decode(errors='replace')!r} + {failure}"
    return Result(shown, (response.status, first, failure))


STEPS: tuple[Step, ...] = (
    Step("GET /items", _get_json),
    Step("POST /items", _post_json),
    Step("GET /gzip", _get_gzip),
    Step("WS /ws", _websocket),
    Step("GET /stall", _stall),
)
"""The demo script, in order: one cassette interaction per step."""


@dataclass(frozen=True, slots=True)
class _Timed:
    result: Result
    seconds: float


async def _run_script(base: URL) -> list[_Timed]:
    timed: list[_Timed] = []
    async with ClientSession(timeout=GUARD_TIMEOUT) as session:
        for step in STEPS:
            started = time.perf_counter()
            try:
                result = await step.run(session, base)
            except (ClientError, CassetteError, asyncio.TimeoutError) as exc:
                result = Result(f"{type(exc).__name__}: {exc}", (type(exc).__name__, str(exc)))
            timed.append(_Timed(result, time.perf_counter() - started))
    return timed


async def _record(cassette: Path) -> tuple[URL, list[_Timed]]:
    async with DemoServer() as server:
        with use_cassette(cassette, record_mode="all"):
            return server.url, await _run_script(server.url)


async def _replay(cassette: Path, base: URL) -> list[_Timed]:
    with use_cassette(cassette, record_mode="none"):
        return await _run_script(base)


def _recorded_lines(cassette: Path) -> list[str]:
    interactions = load_cassette(cassette)
    recorded = [outcome(i) for i in interactions] + ["(not recorded)"] * len(STEPS)
    return table([[step.label, recorded[i]] for i, step in enumerate(STEPS)])


def _compared_lines(live: list[_Timed], replayed: list[_Timed]) -> tuple[list[str], bool]:
    rows = [["step", "live result", "replay result", "", "live", "replay"]]
    same_count = 0
    for step, was, now in zip(STEPS, live, replayed, strict=True):
        same = was.result.value == now.result.value
        same_count += same
        rows.append(
            [
                step.label,
                truncate(was.result.shown, 34),
                truncate(now.result.shown, 34),
                "=" if same else "!=",
                human_duration(was.seconds),
                human_duration(now.seconds),
            ]
        )
    live_total = sum(t.seconds for t in live)
    replay_total = sum(t.seconds for t in replayed)
    rows.append(["total", "", "", "", human_duration(live_total), human_duration(replay_total)])
    ok = same_count == len(STEPS)
    speedup = live_total / replay_total if replay_total > 0 else float("inf")
    lines = [
        *table(rows, right=(4, 5)),
        "",
        f"replay results equal live results: {same_count}/{len(STEPS)} steps"
        + ("" if ok else "  (MISMATCH)"),
        f"replay took {human_duration(replay_total)}, {speedup:.0f}x faster than live",
    ]
    return lines, ok


def _report(cassette: Path, keep: bool, out: TextIO) -> int:
    base, live = asyncio.run(_record(cassette))
    size = cassette.stat().st_size if cassette.exists() else 0
    out.write(f"recorded against {base} into {cassette} ({human_size(size)}):\n")
    out.write("".join(f"  {line}\n" for line in _recorded_lines(cassette)))
    replayed = asyncio.run(_replay(cassette, base))
    lines, ok = _compared_lines(live, replayed)
    out.write("\nserver stopped; replayed offline (record_mode='none'):\n")
    out.write("".join(f"  {line}\n" if line else "\n" for line in lines))
    if keep:
        out.write(f"\ninspect it: python -m aiotape cassette show {cassette}\n")
    return 0 if ok else 1


def run_demo(out: TextIO, cassette: Path | None = None) -> int:
    """Record, replay and summarise; 0 if replay matched live, else 1.

    ``cassette``: a new file to keep the recording in (default: a temporary directory).
    """
    out.write("aiotape demo: record a session against a local server, then replay it offline\n\n")
    if cassette is not None:
        return _report(cassette, True, out)
    with tempfile.TemporaryDirectory(prefix="aiotape-demo-") as tmp:
        return _report(Path(tmp) / "demo.yaml", False, out)
