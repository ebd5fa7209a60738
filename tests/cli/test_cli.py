"""``aiotape cassette ls|show|diff|check`` on cassettes recorded in the test."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest
from aiohttp import WSMsgType as ServerMsgType
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.cassettes import (
    Interaction,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    dumps,
    use_cassette,
)
from aiotape.cli import main
from aiotape.cli.render import human_size
from tests.servers import serve_app

SECRET = "Bearer s3cr3t-t0ken"


@dataclass
class Served:
    """What the test server answers; tests change it between two recordings."""

    items: tuple[str, ...] = ("tape", "reel")
    status: int = 200
    cookie_max_age: int = 60


SERVED = web.AppKey("served", Served)


async def _items(request: web.Request) -> web.Response:
    served: Served = request.app[SERVED]
    response = web.json_response({"items": list(served.items)}, status=served.status)
    response.set_cookie("session", "abc", max_age=served.cookie_max_age)
    return response


async def _brotli(_: web.Request) -> web.Response:
    body = brotli.compress(b"brotli-encoded words " * 10)
    return web.Response(body=body, headers={"Content-Encoding": "br", "Content-Type": "text/plain"})


async def _binary(_: web.Request) -> web.Response:
    return web.Response(body=bytes(range(256)) * 2, content_type="application/octet-stream")


async def _ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        if message.type is ServerMsgType.TEXT:
            await ws.send_str(message.data.upper())
    return ws


@contextlib.asynccontextmanager
async def serve() -> AsyncIterator[tuple[URL, Served]]:
    """An aiohttp.web server on 127.0.0.1 and the state of what it answers."""
    app = web.Application()
    app[SERVED] = Served()
    app.router.add_get("/items", _items)
    app.router.add_get("/br", _brotli)
    app.router.add_get("/bin", _binary)
    app.router.add_get("/ws", _ws)
    async with serve_app(app) as url:
        yield url, app[SERVED]


@pytest.fixture
async def served() -> AsyncIterator[tuple[URL, Served]]:
    async with serve() as running:
        yield running


@pytest.fixture
def server(served: tuple[URL, Served]) -> URL:
    return served[0]


async def record(path: Path, base: URL, *paths: str, **options: object) -> Path:
    """Record GETs of ``paths`` (``ws:`` prefix: a websocket chat) into cassette ``path``."""
    with use_cassette(path, record_mode="all", **options):
        async with aiotape.ClientSession(headers={"Authorization": SECRET}) as session:
            for target in paths:
                if target.startswith("ws:"):
                    async with session.ws_connect(base / target[3:]) as ws:
                        await ws.send_str("hello")
                        await ws.receive()
                    continue
                async with session.get(base / target) as response:
                    await response.read()
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def line_with(output: str, needle: str) -> str:
    lines = [line for line in output.splitlines() if needle in line]
    assert lines, f"{needle!r} not in:\n{output}"
    return lines[0]


# -- the command line --------------------------------------------------------------------------


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "demo" in out and "cassette" in out


def test_cassette_help_lists_the_actions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["cassette", "--help"])
    out = capsys.readouterr().out
    assert all(action in out for action in ("ls", "show", "diff", "check"))


def test_a_missing_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


# -- ls --------------------------------------------------------------------------------------------


async def test_ls_lists_cassettes_with_interaction_counts(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    await record(tmp_path / "a.yaml", server, "items", "br")
    await record(tmp_path / "sub" / "b.yaml", server, "ws:ws")
    code, out, _ = cli(capsys, "cassette", "ls", tmp_path)
    assert code == 0
    assert line_with(out, "a.yaml").split()[1] == "2"
    assert "1 (1 ws)" in line_with(out, "sub/b.yaml")
    assert "2 cassettes, 3 interactions" in out


async def test_ls_shows_sizes_and_recording_dates(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    path = await record(tmp_path / "a.yaml", server, "items")
    _, out, _ = cli(capsys, "cassette", "ls", tmp_path)
    assert out.splitlines()[0].split() == ["cassette", "interactions", "size", "recorded"]
    stat = path.stat()
    row = line_with(out, "a.yaml")
    assert human_size(stat.st_size) in row
    assert datetime.fromtimestamp(stat.st_mtime).strftime("%Y-%m-%d %H:%M") in row


def test_ls_marks_unreadable_cassettes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.yaml").write_text("interactions: [{request: 1}]\n")
    code, out, _ = cli(capsys, "cassette", "ls", tmp_path)
    assert code == 0
    assert "unreadable" in line_with(out, "broken.yaml")
    assert "1 unreadable" in out


def test_ls_skips_hidden_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("interactions: []\n")
    _, out, _ = cli(capsys, "cassette", "ls", tmp_path)
    assert "no cassettes under" in out


def test_ls_of_a_missing_directory_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "cassette", "ls", tmp_path / "nope")
    assert code == 2
    assert "no such file or directory" in err


# -- show ------------------------------------------------------------------------------------------


SHOWN_BODIES = {
    "pretty-printed json": (
        "items",
        [
            "#0  GET {server}/items",
            "    < HTTP/1.1 200 OK",
            '        "items": [\n          "tape",',
        ],
    ),
    "decoded brotli": ("br", ["(br: ", "brotli-encoded words brotli-encoded words"]),
    "binary as a hex preview": (
        "bin",
        [
            "0000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f",
            "... (512 B of binary data)",
        ],
    ),
}


@pytest.mark.parametrize(("route", "fragments"), SHOWN_BODIES.values(), ids=list(SHOWN_BODIES))
async def test_show_prints_bodies(
    tmp_path: Path,
    server: URL,
    capsys: pytest.CaptureFixture[str],
    route: str,
    fragments: list[str],
) -> None:
    path = await record(tmp_path / "c.yaml", server, route)
    code, out, _ = cli(capsys, "cassette", "show", path)
    assert code == 0
    for fragment in fragments:
        assert fragment.format(server=server) in out


async def test_show_prints_a_websocket_session_as_a_dialogue(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    path = await record(tmp_path / "c.yaml", server, "ws:ws")
    _, out, _ = cli(capsys, "cassette", "show", path)
    sent = line_with(out, "client ->")
    answered = line_with(out, "<- server")
    assert sent.split()[-2:] == ["text", "'hello'"]
    assert answered.split()[-2:] == ["text", "'HELLO'"]
    assert out.index(sent) < out.index(answered)


async def test_show_redacted_credentials_stay_redacted(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    path = await record(tmp_path / "c.yaml", server, "items")
    _, out, _ = cli(capsys, "cassette", "show", path)
    assert "> Authorization: REDACTED" in out
    assert SECRET not in out


async def test_show_one_interaction_by_index(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    path = await record(tmp_path / "c.yaml", server, "items", "br")
    _, out, _ = cli(capsys, "cassette", "show", path, "-i", "1")
    assert "#1  GET" in out
    assert "#0  GET" not in out


async def test_show_an_index_out_of_range_exits_2(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    path = await record(tmp_path / "c.yaml", server, "items")
    code, _, err = cli(capsys, "cassette", "show", path, "-i", "5")
    assert code == 2
    assert "no interaction #5" in err


def test_show_an_unreadable_cassette_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("interactions: [\n")
    code, _, err = cli(capsys, "cassette", "show", path)
    assert code == 2
    assert "not valid cassette YAML" in err


# -- diff ------------------------------------------------------------------------------------------


async def test_diff_of_two_recordings_of_the_same_answers_is_empty(
    tmp_path: Path, served: tuple[URL, Served], capsys: pytest.CaptureFixture[str]
) -> None:
    base, state = served
    old = await record(tmp_path / "old.yaml", base, "items", "br", "ws:ws")
    state.cookie_max_age = 3600  # only the cookie's expiry differs
    new = await record(tmp_path / "new.yaml", base, "items", "br", "ws:ws")
    code, out, _ = cli(capsys, "cassette", "diff", old, new)
    assert code == 0, out
    assert "no differences" in out


async def test_diff_reports_a_changed_status_and_json_body(
    tmp_path: Path, served: tuple[URL, Served], capsys: pytest.CaptureFixture[str]
) -> None:
    base, state = served
    old = await record(tmp_path / "old.yaml", base, "items")
    state.items, state.status = ("tape", "spool"), 203
    new = await record(tmp_path / "new.yaml", base, "items")
    code, out, _ = cli(capsys, "cassette", "diff", old, new)
    assert code == 1
    assert "~ A#0 B#0 GET" in out
    assert "status: 200 OK -> 203 Non-Authoritative Information" in out
    assert '-    "reel"' in out and '+    "spool"' in out
    assert "1 changed, 0 only in A, 0 only in B" in out


async def test_diff_reports_interactions_in_only_one_recording(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    old = await record(tmp_path / "old.yaml", server, "items", "br")
    new = await record(tmp_path / "new.yaml", server, "items", "bin")
    code, out, _ = cli(capsys, "cassette", "diff", old, new)
    assert code == 1
    assert f"GET {server}/br: 200 OK" in line_with(out, "- A#1")
    assert f"GET {server}/bin: 200 OK" in line_with(out, "+ B#1")
    assert "0 changed, 1 only in A, 1 only in B" in out


async def test_diff_notes_a_server_on_another_port_once(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    old = await record(tmp_path / "old.yaml", server, "items", "ws:ws")
    async with serve() as (other, _):
        new = await record(tmp_path / "new.yaml", other, "items", "ws:ws")
    code, out, _ = cli(capsys, "cassette", "diff", old, new)
    assert code == 0, out
    assert f"note: every request went to {other.host}:{other.port} instead of" in out


async def test_diff_ignores_extra_headers_when_asked(
    tmp_path: Path, served: tuple[URL, Served], capsys: pytest.CaptureFixture[str]
) -> None:
    base, state = served
    old = await record(tmp_path / "old.yaml", base, "items")
    state.items = ("tape", "spool")
    new = await record(tmp_path / "new.yaml", base, "items")
    _, out, _ = cli(capsys, "cassette", "diff", old, new, "--ignore-header", "Content-Length")
    assert "content-length" not in out
    assert "response body" in out


# -- check -----------------------------------------------------------------------------------------


async def test_check_passes_cassettes_with_redacted_credentials(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    await record(tmp_path / "ok.yaml", server, "br", "ws:ws")  # /items sets a cookie
    code, out, _ = cli(capsys, "cassette", "check", tmp_path)
    assert code == 0
    assert "ok    ok.yaml (2 interactions)" in out


async def test_check_flags_an_unredacted_authorization_header(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    await record(tmp_path / "leak.yaml", server, "items", redact_headers=())
    code, out, _ = cli(capsys, "cassette", "check", tmp_path)
    assert code == 1
    assert "FAIL  leak.yaml" in out
    assert "Authorization header is not redacted" in out
    assert SECRET not in out


async def test_check_flags_duplicate_interactions(
    tmp_path: Path, server: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    await record(tmp_path / "dup.yaml", server, "br", "br")
    code, out, _ = cli(capsys, "cassette", "check", tmp_path)
    assert code == 1
    assert f"#1 GET {server}/br: duplicate of #0" in out


async def test_check_accepts_repeated_requests_with_different_answers(
    tmp_path: Path, served: tuple[URL, Served], capsys: pytest.CaptureFixture[str]
) -> None:
    base, state = served
    path = tmp_path / "poll.yaml"
    no_cookie = {"before_record_response": _without_cookies}  # a cookie in clear is flagged
    await record(path, base, "items", **no_cookie)
    state.items = ("spool",)
    await record(path, base, "items", **no_cookie)  # record_mode="all" appends
    code, out, _ = cli(capsys, "cassette", "check", path)
    assert code == 0, out


def _without_cookies(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"].pop("Set-Cookie", None)
    return response


def test_check_flags_a_cassette_that_does_not_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text(json.dumps({"interactions": [{"request": {}}]}))
    code, out, _ = cli(capsys, "cassette", "check", tmp_path)
    assert code == 1
    assert "FAIL  bad.yaml" in out
    assert "1 cassette checked: 0 ok, 1 with problems" in out


def write_cassette(path: Path, *interactions: Interaction) -> Path:
    path.write_text(dumps(interactions))
    return path


REQUEST = RecordedRequest("GET", "http://api.test/r")


def test_show_notes_a_body_that_does_not_decode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response = RecordedResponse(200, "OK", (("Content-Encoding", "gzip"),), (b"not gzip",))
    path = write_cassette(tmp_path / "c.yaml", Interaction(REQUEST, response))
    code, out, _ = cli(capsys, "cassette", "show", path)
    assert code == 0
    assert "(could not decode: Can not decode content-encoding: gzip)" in out


def test_show_prints_a_recorded_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    error = RecordedError("ServerDisconnectedError", "Server disconnected", "head")
    path = write_cassette(tmp_path / "c.yaml", Interaction(REQUEST, error=error))
    _, out, _ = cli(capsys, "cassette", "show", path)
    assert "    ! ServerDisconnectedError before the head: Server disconnected" in out


def test_show_shortens_long_bodies_unless_asked_for_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response = RecordedResponse(200, "OK", (("Content-Type", "text/plain"),), (b"x" * 5000,))
    path = write_cassette(tmp_path / "c.yaml", Interaction(REQUEST, response))
    _, short, _ = cli(capsys, "cassette", "show", path)
    _, full, _ = cli(capsys, "cassette", "show", path, "--full")
    assert "... (1000 more characters)" in short
    body = [line.strip() for line in full.splitlines() if set(line.strip()) == {"x"}]
    assert len("".join(body)) == 5000
