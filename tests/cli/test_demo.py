"""``python -m aiotape demo``: records against its own local server, replays offline, compares."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from aiotape.cli import main
from aiotape.cli.demo import STEPS, Result, _compared_lines, _Timed
from aiotape.cli.demo_server import DemoServer, parse_head


@dataclass(frozen=True)
class DemoRun:
    returncode: int
    stdout: str
    stderr: str
    cassette: Path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    cassette = tmp_path_factory.mktemp("demo") / "demo.yaml"
    completed = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::ResourceWarning",
            "-m",
            "aiotape",
            "demo",
            "--cassette",
            str(cassette),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return DemoRun(completed.returncode, completed.stdout, completed.stderr, cassette)


def _step_line(output: str, label: str) -> str:
    lines = [line for line in output.splitlines() if line.strip().startswith(label + "  ")]
    assert lines, f"no summary line for {label!r} in:\n{output}"
    return lines[-1]


def test_demo_exits_zero_without_errors(demo_run: DemoRun) -> None:
    assert (demo_run.returncode, demo_run.stderr) == (0, "")


def test_demo_replays_every_step_with_the_live_result(demo_run: DemoRun) -> None:
    assert "replay results equal live results: 5/5 steps" in demo_run.stdout
    for step in STEPS:
        assert "  =  " in _step_line(demo_run.stdout, step.label)


def test_demo_summary_names_what_was_recorded(demo_run: DemoRun) -> None:
    recorded = demo_run.stdout.split("server stopped")[0]
    assert "201 Created" in _step_line(recorded, "POST /items")
    assert "gzip" in _step_line(recorded, "GET /gzip")
    assert "websocket, 6 messages" in _step_line(recorded, "WS /ws")
    assert "SocketTimeoutError in the body" in _step_line(recorded, "GET /stall")


def test_demo_shows_the_timeout_live_and_on_replay(demo_run: DemoRun) -> None:
    line = _step_line(demo_run.stdout.split("server stopped")[1], "GET /stall")
    assert line.count("'partial' + SocketTimeoutError") == 2


def test_demo_reports_the_replay_speed_up(demo_run: DemoRun) -> None:
    assert "x faster than live" in demo_run.stdout


def test_demo_keeps_the_cassette_when_asked(demo_run: DemoRun) -> None:
    assert f"cassette show {demo_run.cassette}" in demo_run.stdout
    assert demo_run.cassette.read_text().count("- request:") == len(STEPS)


def test_demo_refuses_to_overwrite_an_existing_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "mine.yaml"
    existing.write_text("precious")
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--cassette", str(existing)])
    assert exit_info.value.code == 2
    assert "already exists" in capsys.readouterr().err
    assert existing.read_text() == "precious"


def test_summary_flags_a_replay_that_differs_from_live() -> None:
    live = [_Timed(Result("200 a", ("a",)), 0.01) for _ in STEPS]
    replayed = [*live[:-1], _Timed(Result("200 b", ("b",)), 0.001)]
    lines, ok = _compared_lines(live, replayed)
    assert not ok
    assert (
        f"replay results equal live results: {len(STEPS) - 1}/{len(STEPS)} steps  (MISMATCH)"
        in lines
    )
    assert "  !=  " in _step_line("\n".join(lines), STEPS[-1].label)


def test_demo_server_parses_a_request_head() -> None:
    request = parse_head(b"POST /items?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length:  2 \r\n\r\n")
    assert (request.method, request.target, request.header("content-length")) == (
        "POST",
        "/items?x=1",
        "2",
    )


@pytest.mark.parametrize(
    "head",
    [
        b"GET /items\r\n\r\n",
        b"GET /items SPDY/3\r\n\r\n",
        b"GET /items HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET /items HTTP/1.1\r\n Folded: header\r\n\r\n",
    ],
)
def test_demo_server_rejects_a_malformed_head(head: bytes) -> None:
    with pytest.raises(ValueError):
        parse_head(head)


async def _exchange(server: DemoServer, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(server.url.host, server.url.port)
    try:
        writer.write(raw)
        return await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()
        await writer.wait_closed()


async def test_demo_server_answers_404_for_an_unknown_route() -> None:
    async with DemoServer() as server:
        head = await _exchange(server, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404 Not Found\r\n")


async def test_demo_server_asks_for_an_upgrade_on_the_websocket_route() -> None:
    async with DemoServer() as server:
        head = await _exchange(server, b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 426 Upgrade Required\r\n")


async def test_demo_server_answers_400_to_a_malformed_head() -> None:
    async with DemoServer() as server:
        head = await _exchange(server, b"GET /items HTTP/1.1\r\nbroken\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")


async def test_demo_server_closes_with_a_stalled_response_open() -> None:
    server = DemoServer()
    await server.start()
    reader, writer = await asyncio.open_connection(server.url.host, server.url.port)
    try:
        writer.write(b"GET /stall HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        await server.close()
        rest = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert rest == b"7\r\npartial\r\n"  # the first chunk, then the connection is dropped
