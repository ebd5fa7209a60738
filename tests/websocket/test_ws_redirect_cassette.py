"""A redirected websocket handshake recorded against a real server replays offline to the
same end: the 302's Location and Set-Cookie are kept in the cassette (``error.headers``),
so the replay follows the redirect, sends the cookie and fires the same request-level
signals; a cassette written before refusals kept their headers replays as it did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yarl import URL

import aiotape
from aiotape.cassettes import use_cassette
from tests.servers import serve_app
from tests.websocket.test_ws_connect_redirects import Seen, redirect_app
from tests.websocket.test_ws_connect_tracing import CONNECTION_LEVEL, traced_ws_connect


async def _cookies_after(url: URL) -> list[tuple[str, str]]:
    """The session's cookies (name, value) after a ws_connect to ``url`` and its message."""
    async with aiotape.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            assert (await ws.receive()).data == "hello"
        return sorted((c.key, c.value) for c in session.cookie_jar)


async def test_a_recorded_redirect_replays_offline(tmp_path: Path) -> None:
    path = tmp_path / "redirect.yaml"
    seen = Seen()
    async with serve_app(redirect_app(seen)) as base:
        url = base.with_host("localhost") / "old"  # jars refuse IP hosts
        with use_cassette(path, record_mode="once"):
            recorded = await traced_ws_connect(aiotape, url)
            live_cookies = await _cookies_after(url)
    assert seen.handshakes and seen.handshakes[-1].get("Cookie") == "hop=1"
    with use_cassette(path, record_mode="none"):  # the server is gone
        replayed = await traced_ws_connect(aiotape, url)
        replayed_cookies = await _cookies_after(url)
    assert replayed == [e for e in recorded if not e[0].startswith(CONNECTION_LEVEL)]
    assert replayed[-1] == ("message", "hello")
    assert ("request_redirect", "GET", str(url), 302) in replayed
    assert replayed_cookies == live_cookies == [("hop", "1")]
    refusal = yaml.safe_load(path.read_text())["interactions"][0]["error"]
    assert refusal["status"] == 302
    assert refusal["headers"]["Location"] == ["/ws"]
    assert refusal["headers"]["Set-Cookie"] == ["hop=1; Path=/"]


def _without_refusal_headers(path: Path) -> None:
    """Rewrite the cassette at ``path`` as the format before this change wrote it."""
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    for interaction in data["interactions"]:
        interaction.get("error", {}).pop("headers", None)
    path.write_text(yaml.safe_dump(data))


async def test_a_cassette_without_refusal_headers_replays_as_before(tmp_path: Path) -> None:
    path = tmp_path / "old_format.yaml"
    async with serve_app(redirect_app(Seen())) as base:
        url = base.with_host("localhost") / "old"
        with use_cassette(path, record_mode="once"):
            recorded = await traced_ws_connect(aiotape, url)
    assert recorded[-1] == ("message", "hello")
    _without_refusal_headers(path)
    with use_cassette(path, record_mode="none", allow_playback_repeats=True):
        replayed = await traced_ws_connect(aiotape, url)
    assert replayed[-2:] == [
        ("request_end", "GET", str(url), 302),
        ("raised", "WSServerHandshakeError", 302),
    ]


async def test_response_hooks_see_a_refusals_headers(tmp_path: Path) -> None:
    path = tmp_path / "scrubbed.yaml"
    seen: list[int] = []

    def scrub(response: dict[str, Any]) -> dict[str, Any]:
        seen.append(response["status"]["code"])
        response["headers"].pop("Set-Cookie", None)
        return response

    async with serve_app(redirect_app(Seen())) as base:
        url = base.with_host("localhost") / "old"
        with use_cassette(path, record_mode="once", before_record_response=scrub):
            assert (await traced_ws_connect(aiotape, url))[-1] == ("message", "hello")
    refusal = yaml.safe_load(path.read_text())["interactions"][0]["error"]
    assert 302 in seen
    assert refusal["headers"]["Location"] == ["/ws"]
    assert "Set-Cookie" not in refusal["headers"]
