"""trust_env: proxies from *_PROXY / NO_PROXY and credentials from netrc, compared with aiohttp.

The resolution rules are checked without sockets against aiohttp's own helpers; then the
same calls run through both libraries against a scripted proxy and an echo origin.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import helpers as aiohttp_helpers
from yarl import URL

import aiotape
from aiotape.client.proxies import DIRECT, ProxyRoute
from aiotape.client.proxy_env import env_proxy_for_url, env_route, netrc_auth, netrc_from_env
from tests.proxy.proxy_server import PLAIN_OK, origin, scripted_proxy
from tests.servers import RawServer

__all__ = ["origin", "scripted_proxy"]

LIBS = (aiohttp, aiotape)
REFUSE_407 = b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No proxy variables from the machine, and an empty netrc unless a test writes one."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name.lower() == "netrc":
            monkeypatch.delenv(name)
    netrc = tmp_path / "netrc"
    netrc.write_text("")
    monkeypatch.setenv("NETRC", str(netrc))


def _write_netrc(tmp_path: Path, text: str) -> None:
    (tmp_path / "netrc").write_text(text)


def _aiohttp_route(url: URL) -> ProxyRoute:
    try:
        proxy, auth = aiohttp_helpers.get_env_proxy_for_url(url)
    except LookupError:
        return DIRECT
    return ProxyRoute(proxy, None if auth is None else aiotape.BasicAuth(*auth))


ENV_CASES = [
    ({"HTTP_PROXY": "http://p.test:1"}, "http://a.test/x"),
    ({"HTTP_PROXY": "http://upper.test:1", "http_proxy": "http://lower.test:1"}, "http://a.test"),
    ({"HTTPS_PROXY": "http://user:pw@p.test:2"}, "https://a.test"),
    ({"WS_PROXY": "http://p.test:3"}, "ws://a.test/ws"),
    ({"WSS_PROXY": "http://p.test:4"}, "wss://a.test/ws"),
    ({"HTTP_PROXY": "http://p.test:1"}, "https://a.test"),
    ({"HTTP_PROXY": "http://p.test:1", "NO_PROXY": "a.test,b.test"}, "http://a.test"),
    ({"HTTP_PROXY": "http://p.test:1", "NO_PROXY": "a.test"}, "http://c.test"),
    ({"HTTP_PROXY": "http://p.test:1", "no_proxy": ".a.test"}, "http://api.a.test"),
    ({"HTTP_PROXY": "http://p.test:1", "NO_PROXY": "*"}, "http://a.test"),
    ({"HTTPS_PROXY": "https://p.test:5"}, "https://a.test"),
]


@pytest.mark.parametrize(("env", "url"), ENV_CASES)
async def test_environment_proxy_for_url_matches_aiohttp(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], url: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert await env_route(URL(url)) == _aiohttp_route(URL(url))


async def test_proxy_credentials_come_from_netrc_for_the_proxy_host_like_aiohttp(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _write_netrc(tmp_path, "machine p.test login nl password np\n")
    monkeypatch.setenv("HTTP_PROXY", "http://p.test:1")
    route = await env_route(URL("http://a.test"))
    assert route == _aiohttp_route(URL("http://a.test"))
    assert route.auth == aiotape.BasicAuth("nl", "np")
    assert env_proxy_for_url(URL("http://a.test")).auth is None  # netrc is read separately


@pytest.mark.parametrize(
    "entry",
    [
        "machine h.test login l password p",
        "machine h.test account acct password p",
        "machine h.test login l",
        "default login d password dp",
        "machine other.test login l password p",
    ],
)
def test_netrc_credentials_match_aiohttp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    _write_netrc(tmp_path, entry + "\n")
    try:
        expected: Any = tuple(
            aiohttp_helpers.basicauth_from_netrc(aiohttp_helpers.netrc_from_env(), "h.test")
        )
    except LookupError:
        expected = None
    found = netrc_auth(netrc_from_env(), "h.test")
    assert (None if found is None else tuple(found)) == expected


def test_missing_or_broken_netrc_gives_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRC", str(tmp_path / "absent"))
    assert netrc_from_env() is None
    _write_netrc(tmp_path, "machine")
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    assert netrc_from_env() is None


async def _statuses(url: str | URL, trust_env: bool, **kwargs: Any) -> list[Any]:
    """The same call through both libraries: status and body, or the error's class and status."""
    results: list[Any] = []
    for lib in LIBS:
        async with lib.ClientSession(trust_env=trust_env) as session:
            try:
                async with session.get(url, **kwargs) as resp:
                    results.append((resp.status, await resp.read()))
            except (aiohttp.ClientResponseError, aiotape.ClientResponseError) as exc:
                results.append((type(exc).__name__, exc.status))
    return results


async def test_trust_env_sends_http_requests_through_http_proxy_like_aiohttp(
    monkeypatch: pytest.MonkeyPatch, scripted_proxy: Any
) -> None:
    proxy: RawServer = await scripted_proxy(PLAIN_OK)
    monkeypatch.setenv("HTTP_PROXY", str(proxy.url))
    assert await _statuses("http://127.0.0.1:9/x", True) == [(200, b"proxied")] * 2
    assert [h.split(b"\r\n")[0] for h in proxy.heads] == [b"GET http://127.0.0.1:9/x HTTP/1.1"] * 2


async def test_trust_env_sends_https_requests_through_https_proxy_like_aiohttp(
    monkeypatch: pytest.MonkeyPatch, scripted_proxy: Any
) -> None:
    proxy: RawServer = await scripted_proxy(REFUSE_407)
    monkeypatch.setenv("HTTPS_PROXY", str(proxy.url))
    assert await _statuses("https://127.0.0.1:9/", True) == [("ClientHttpProxyError", 407)] * 2


async def test_trust_env_sends_secure_websockets_through_wss_proxy_like_aiohttp(
    monkeypatch: pytest.MonkeyPatch, scripted_proxy: Any
) -> None:
    proxy: RawServer = await scripted_proxy(REFUSE_407)
    monkeypatch.setenv("WSS_PROXY", str(proxy.url))
    statuses = []
    for lib in LIBS:
        async with lib.ClientSession(trust_env=True) as session:
            with pytest.raises(lib.ClientHttpProxyError) as info:
                await session.ws_connect("wss://127.0.0.1:9/ws")
            statuses.append(info.value.status)
    assert statuses == [407, 407]


@pytest.mark.parametrize("trust_env", [True, False], ids=["no-proxy-host", "untrusted"])
async def test_requests_go_direct_when_bypassed_or_env_untrusted_like_aiohttp(
    monkeypatch: pytest.MonkeyPatch, scripted_proxy: Any, origin: URL, trust_env: bool
) -> None:
    proxy: RawServer = await scripted_proxy(PLAIN_OK)
    monkeypatch.setenv("HTTP_PROXY", str(proxy.url))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    results = await _statuses(origin / "get", trust_env)
    assert [status for status, _ in results] == [200, 200]
    assert proxy.heads == []


@pytest.mark.parametrize("trust_env", [True, False])
async def test_request_credentials_come_from_netrc_only_when_env_trusted_like_aiohttp(
    tmp_path: Path, origin: URL, trust_env: bool
) -> None:
    _write_netrc(tmp_path, "machine 127.0.0.1 login nl password np\n")
    sent = []
    for lib in LIBS:
        async with lib.ClientSession(trust_env=trust_env) as session:
            async with session.get(origin / "get") as resp:
                sent.append((await resp.json())["headers"].get("Authorization"))
    expected = aiotape.BasicAuth("nl", "np").encode() if trust_env else None
    assert sent == [expected, expected]


async def test_netrc_credentials_reach_an_environment_proxy_like_aiohttp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted_proxy: Any
) -> None:
    proxy: RawServer = await scripted_proxy(PLAIN_OK)
    _write_netrc(tmp_path, "machine localhost login pl password pp\n")
    monkeypatch.setenv("HTTP_PROXY", str(proxy.url.with_host("localhost")))
    assert await _statuses("http://127.0.0.1:9/", True) == [(200, b"proxied")] * 2
    expected = aiotape.BasicAuth("pl", "pp").encode().encode()
    assert [b"Proxy-Authorization: " + expected in h for h in proxy.heads] == [True, True]
