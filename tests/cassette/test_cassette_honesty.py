"""Honest recordings and secrets, and what a new user tripped on (issue 12, items 6 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from yarl import URL

import aiotape
from aiotape import WSMsgType
from aiotape.cassettes import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    RecordedWebSocket,
    WebSocketMismatchError,
    WSFrame,
    dumps,
    load_cassette,
    use_cassette,
)
from aiotape.cli import main

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

SECRET = "s3cr3t-value"


def _inner(pytester: pytest.Pytester, body: str) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_inner="import pytest\nimport aiotape\n\n" + body)


async def test_query_credentials_are_redacted_and_still_match(tmp_path: Path, httpbin: URL) -> None:
    path = tmp_path / "c.yaml"
    params = {"api_key": SECRET, "Token": SECRET, "page": "2"}
    async with aiotape.ClientSession() as session:
        with use_cassette(path, record_mode="once"):
            async with session.get(httpbin / "get", params=params) as response:
                live = await response.json()
        with use_cassette(path):
            async with session.get(httpbin / "get", params=params) as response:
                assert await response.json() == live
    [stored] = load_cassette(path)  # (the echo server's body still holds it: not a request)
    assert URL(stored.request.uri).query == {
        "api_key": "REDACTED",
        "Token": "REDACTED",
        "page": "2",
    }


async def test_a_cassette_recorded_with_the_key_in_clear_still_replays(tmp_path: Path) -> None:
    uri = f"http://api.test/items?key={SECRET}"
    response = RecordedResponse(200, "OK", chunks=(b"ok",))
    path = tmp_path / "c.yaml"
    path.write_text(dumps([Interaction(RecordedRequest("GET", uri), response)]))
    with use_cassette(path):
        async with aiotape.ClientSession() as session:
            async with session.get("http://api.test/items", params={"key": "other"}) as reply:
                assert await reply.read() == b"ok"


def _leaky_cassette(path: Path) -> Path:
    request = RecordedRequest("GET", f"http://api.test/login?password={SECRET}&user=ann")
    headers = (("Set-Cookie", f"session={SECRET}; Path=/; HttpOnly"),)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps([Interaction(request, RecordedResponse(200, "OK", headers))]))
    return path


def test_check_flags_query_credentials_and_cookies_without_printing_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _leaky_cassette(tmp_path / "leak.yaml")
    code = main(["cassette", "check", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "query parameter 'password' is not redacted" in out
    assert "Set-Cookie 'session' stores its value in clear" in out
    assert SECRET not in out


def test_ls_and_check_without_dir_look_only_at_cassettes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.yaml").write_text("debug: true\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mkdocs.yml").write_text("site_name: x\n")
    _leaky_cassette(tmp_path / "data" / "sample.yaml")  # a cassette, but not in cassettes/
    request = RecordedRequest("GET", "http://api.test/ok")
    cassette = tmp_path / "tests" / "cassettes" / "test_api" / "test_ok.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text(dumps([Interaction(request, RecordedResponse(200, "OK"))]))
    monkeypatch.chdir(tmp_path)
    assert main(["cassette", "ls"]) == 0
    listed = capsys.readouterr().out
    assert "test_ok.yaml" in listed and "1 cassette, 1 interaction," in listed
    assert "config.yaml" not in listed and "sample.yaml" not in listed
    assert main(["cassette", "check"]) == 0
    assert "1 cassette checked: 1 ok" in capsys.readouterr().out
    assert main(["cassette", "check", "data"]) == 1  # an explicit DIR: every cassette in it


def test_a_failure_recorded_while_recording_is_announced_then_named_on_replay(
    pytester: pytest.Pytester, refused_port: int
) -> None:
    _inner(
        pytester,
        f"""
@pytest.mark.vcr
async def test_down():
    async with aiotape.ClientSession() as session:
        await session.get("http://127.0.0.1:{refused_port}/items")
""",
    )
    recording = pytester.runpytest("--record-mode=once", "-p", "no:recording")
    recording.assert_outcomes(failed=1)
    recording.stdout.fnmatch_lines(
        [
            f"recorded 1 failure: ClientConnectorError to 127.0.0.1:{refused_port}"
            " \u2014 was the service up?"
        ]
    )
    cassette = pytester.path / "cassettes" / "test_inner" / "test_down.yaml"
    assert yaml.safe_load(cassette.read_text())["interactions"][0]["error"]["type"] == (
        "ClientConnectorError"
    )
    replaying = pytester.runpytest("-p", "no:recording")
    replaying.assert_outcomes(failed=1)
    replaying.stdout.fnmatch_lines(
        ["*replayed from cassette *test_down.yaml, interaction #0: this failure was recorded*"]
    )
    assert "recorded 1 failure" not in replaying.stdout.str()


def test_a_shared_cassette_is_never_told_to_rewrite(pytester: pytest.Pytester) -> None:
    shared = pytester.path / "cassettes" / "test_inner" / "shared.yaml"
    shared.parent.mkdir(parents=True)
    request = RecordedRequest("GET", "http://api.test/a")
    shared.write_text(dumps([Interaction(request, RecordedResponse(200, "OK"))]))
    _inner(
        pytester,
        """
@pytest.mark.vcr
@pytest.mark.default_cassette("shared")
async def test_b():
    async with aiotape.ClientSession() as session:
        await session.get("http://api.test/b")
""",
    )
    result = pytester.runpytest("-p", "no:recording")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "pytest --record-mode=new_episodes test_inner.py::test_b" in output
    assert "--record-mode=rewrite test_inner.py" not in output


def test_block_network_advice_names_the_vcr_marker(
    pytester: pytest.Pytester, refused_port: int
) -> None:
    _inner(
        pytester,
        f"""
async def test_unmarked():
    async with aiotape.ClientSession() as session:
        await session.get("http://127.0.0.1:{refused_port}/")
""",
    )
    result = pytester.runpytest("--block-network", "-p", "no:recording")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*add @pytest.mark.vcr to it*"])


def test_a_failing_mock_request_is_reported_once(pytester: pytest.Pytester) -> None:
    _inner(
        pytester,
        """
async def test_unmatched(http_mock):
    async with aiotape.ClientSession() as session:
        await session.get("http://api.test/missing")
""",
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1, errors=0)


async def test_new_episodes_says_why_it_cannot_extend_a_recorded_websocket(
    tmp_path: Path,
) -> None:
    frames = (
        WSFrame("send", WSMsgType.TEXT, "hi", None, 0.0),
        WSFrame("recv", WSMsgType.TEXT, "HI", None, 0.0),
    )
    handshake = RecordedResponse(101, "Switching Protocols", (("Upgrade", "websocket"),))
    request = RecordedRequest("GET", "ws://api.test/chat")
    interaction = Interaction(request, handshake, websocket=RecordedWebSocket(None, frames))
    path = tmp_path / "ws.yaml"
    path.write_text(dumps([interaction]))
    with use_cassette(path, record_mode="new_episodes"):
        async with aiotape.ClientSession() as session:
            async with session.ws_connect("ws://api.test/chat") as ws:
                with pytest.raises(WebSocketMismatchError, match="cannot extend a recorded one"):
                    await ws.send_str("something else")
