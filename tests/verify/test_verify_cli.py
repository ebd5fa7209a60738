"""``aiotape cassette verify``: recorded requests re-sent live, drift printed, status set."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.cli import main
from tests.servers import app_in_thread
from tests.verify.drift_service import chat, fetch, get_user, record
from tests.verify.verify_suite import ThreadedService, threaded_service


@pytest.fixture
def service() -> Iterator[ThreadedService]:
    with threaded_service() as running:
        yield running


async def _conversation(session: aiotape.ClientSession, base: URL) -> None:
    await get_user(session, base)
    await fetch("gzipped")(session, base)
    await chat(session, base)


@pytest.fixture
def cassette(service: ThreadedService, tmp_path: Path) -> Path:
    """A cassette of GET /user, GET /gzipped and the /chat websocket, recorded on v1."""
    path = tmp_path / "cassettes" / "api.yaml"
    asyncio.run(record(path, _conversation, URL(service.url)))
    return path


def verify(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str]:
    """Run the command on ``path``; its status and output (no cassette may change)."""
    files = [path] if path.is_file() else sorted(path.iterdir())
    before = [hashlib.sha256(file.read_bytes()).digest() for file in files]
    status = main(["cassette", "verify", str(path), *args])
    assert [hashlib.sha256(file.read_bytes()).digest() for file in files] == before
    return status, capsys.readouterr().out


def test_unchanged_service_passes_with_new_values(
    capsys: pytest.CaptureFixture[str], cassette: Path
) -> None:
    status, out = verify(capsys, cassette)
    assert status == 0
    assert out.startswith(f"ok    {cassette}\n1 cassettes verified; 1 cassette drifted: ")
    assert "(11 body-value)" in out


def test_strict_fails_on_new_values(capsys: pytest.CaptureFixture[str], cassette: Path) -> None:
    status, out = verify(capsys, cassette, "--strict")
    assert status == 1
    assert out.startswith("FAIL")


def test_removed_key_fails_with_its_path(
    capsys: pytest.CaptureFixture[str], service: ThreadedService, cassette: Path
) -> None:
    service.api.version = "removed-key"
    status, out = verify(capsys, cassette)
    assert status == 1
    email = '  body-schema at $.user.email\n    - recorded: "ada{}@example.test"\n'
    for position, path in enumerate(("user", "gzipped")):
        assert f"  interaction: #{position} GET {service.url}/{path}\n" in out
        assert email.format(position) in out


def test_reworded_websocket_reply_fails_as_ws_drift(
    capsys: pytest.CaptureFixture[str], service: ThreadedService, cassette: Path
) -> None:
    service.api.version = "ws-reworded"
    status, out = verify(capsys, cassette)
    assert status == 1
    assert '  ws at ws.recv[1]\n    - recorded: "HELLO"\n    + live:     "Hello there"\n' in out


def test_drift_report_is_written_for_a_folder(
    capsys: pytest.CaptureFixture[str], service: ThreadedService, cassette: Path, tmp_path: Path
) -> None:
    service.api.version = "status"
    target = tmp_path / "drift.json"
    status, _ = verify(capsys, cassette.parent, "--drift-report", str(target))
    assert status == 1
    entries = json.loads(target.read_text())
    assert [(e["cassette"], e["interaction"]) for e in entries] == [
        (str(cassette), 0),
        (str(cassette), 1),
        (str(cassette), 2),
    ]
    assert entries[0]["changes"] == [
        {"kind": "status", "path": "status", "recorded": 200, "live": 503}
    ]


def test_unreachable_service_is_status_drift(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with threaded_service() as running:
        path = tmp_path / "api.yaml"
        asyncio.run(record(path, get_user, URL(running.url)))
    status, out = verify(capsys, path, "--timeout", "5")
    assert status == 1
    assert '    + live:     "ClientConnectorError"\n' in out


def test_missing_path_is_a_usage_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["cassette", "verify", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such file or directory" in capsys.readouterr().err


async def _authorized(request: web.Request) -> web.Response:
    if request.headers.get("Authorization") != "Bearer t0ken":
        return web.json_response({"error": "unauthorized"}, status=401)
    return web.json_response({"me": "ada"})


def test_header_option_supplies_a_credential_the_cassette_holds_redacted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    app = web.Application()
    app.router.add_get("/me", _authorized)
    path = tmp_path / "me.yaml"

    async def me(session: aiotape.ClientSession, base: URL) -> None:
        headers = {"Authorization": "Bearer t0ken"}
        async with session.get(base / "me", headers=headers) as response:
            assert response.status == 200

    with app_in_thread(app) as url:
        asyncio.run(record(path, me, URL(url)))
        assert "t0ken" not in path.read_text()
        status, out = verify(capsys, path)
        assert status == 1
        assert "    - recorded: 200\n    + live:     401\n" in out
        status, out = verify(capsys, path, "-H", "Authorization: Bearer t0ken")
    assert status == 0, out
