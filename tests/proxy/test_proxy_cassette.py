"""Recording through a proxy stores the origin's URLs; replay ignores every proxy setting."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

import aiotape
from aiotape.cassettes import load_cassette, use_cassette
from aiotape.client.transport import Request, Response, WebSocketChannel
from tests.proxy.proxy_server import (
    PROXY_PASSWORD,
    PROXY_USER,
    auth_proxy,
    forward_proxy,
    origin,
    test_ca,
    tls_origin,
    trusting,
)

__all__ = ["auth_proxy", "forward_proxy", "origin", "test_ca", "tls_origin", "trusting"]


class Offline:
    """A session transport that fails the test if replay touches the network."""

    async def handle(self, request: Request) -> Response:
        raise AssertionError(f"network used during replay: {request.method} {request.url}")

    async def connect_ws(self, request: Request, **options: object) -> WebSocketChannel:
        raise AssertionError(f"network used during replay: {request.url}")

    async def aclose(self) -> None:
        """Nothing to release."""


async def _fetch_all(session: aiotape.ClientSession, urls: list[URL], **kwargs: Any) -> list[Any]:
    results = []
    for url in urls:
        async with session.get(url, **kwargs) as resp:
            results.append((resp.status, await resp.json()))
    return results


async def _record_then_replay(
    path: Path, urls: list[URL], proxy: URL, proxy_auth: aiotape.BasicAuth | None, **kwargs: Any
) -> tuple[list[Any], list[list[Any]]]:
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession(proxy=proxy, proxy_auth=proxy_auth) as session:
            live = await _fetch_all(session, urls, **kwargs)
    replays = []
    for replay_proxy in (None, URL("http://127.0.0.1:1")):
        with use_cassette(path) as cassette:
            async with aiotape.ClientSession(transport=Offline(), proxy=replay_proxy) as session:
                replays.append(await _fetch_all(session, urls, **kwargs))
        assert cassette.all_played
    return live, replays


async def test_recording_through_a_proxy_stores_origin_urls_and_replays_with_any_proxy_setting(
    tmp_path: Path,
    origin: URL,
    tls_origin: URL,
    forward_proxy: URL,
    trusting: ssl.SSLContext,
) -> None:
    urls = [origin / "get" % {"q": "1"}, tls_origin / "secure"]
    path = tmp_path / "proxied.yaml"
    live, replays = await _record_then_replay(path, urls, forward_proxy, None, ssl=trusting)
    assert "proxy.py" in live[0][1]["headers"]["Via"]  # recorded through the proxy
    assert replays == [live, live]
    assert [i.request.uri for i in load_cassette(path)] == [str(url) for url in urls]
    assert f":{forward_proxy.port}" not in path.read_text()


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_recording_through_an_authenticating_proxy_stores_no_proxy_credentials(
    tmp_path: Path,
    origin: URL,
    tls_origin: URL,
    auth_proxy: URL,
    trusting: ssl.SSLContext,
    scheme: str,
) -> None:
    url = (origin if scheme == "http" else tls_origin) / "private"
    path = tmp_path / "auth.yaml"
    auth = aiotape.BasicAuth(PROXY_USER, PROXY_PASSWORD)
    live, replays = await _record_then_replay(path, [url], auth_proxy, auth, ssl=trusting)
    assert live[0][0] == 200
    assert replays == [live, live]
    text = path.read_text()
    assert auth.encode() not in text
    assert PROXY_PASSWORD not in text
