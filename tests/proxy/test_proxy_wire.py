"""What goes to a proxy and how its failures surface, against a scripted raw proxy, with aiohttp.

The scripted proxy answers every head it receives with a fixed reply (or closes); both
libraries send the same call to it in the same test and the heads and errors are compared.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import aiohttp
import pytest
from yarl import URL

import aiotape
from tests.proxy.proxy_server import CONNECT_OK, PLAIN_OK, StartProxy, scripted_proxy

__all__ = ["scripted_proxy"]

LIBS = (aiohttp, aiotape)
REFUSE_407 = (
    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
    b"Proxy-Authenticate: Basic\r\nContent-Length: 3\r\n\r\nno!"
)
REFUSE_502 = b"HTTP/1.1 502 \r\nContent-Length: 0\r\n\r\n"
REFUSE_204 = b"HTTP/1.1 204 No Content\r\n\r\n"


def _head_lines(head: bytes) -> list[str]:
    return head.decode("latin-1").split("\r\n")[:-2]


def _header(head: bytes, name: str) -> str | None:
    for line in _head_lines(head)[1:]:
        key, _, value = line.partition(": ")
        if key.lower() == name.lower():
            return value
    return None


async def _error_from(lib: Any, url: str | URL, **kwargs: Any) -> BaseException:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # aiohttp 3.14: proxy_auth
        async with lib.ClientSession() as session:
            try:
                async with session.get(url, **kwargs):
                    pass
            except (aiohttp.ClientError, aiotape.ClientError, asyncio.TimeoutError) as exc:
                return exc
    raise AssertionError("no error raised")


async def _send_both(url: str | URL, **kwargs: Any) -> list[int]:
    statuses = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for lib in LIBS:
            async with lib.ClientSession() as session:
                async with session.get(url, **kwargs) as resp:
                    statuses.append(resp.status)
    return statuses


async def test_http_request_is_sent_in_absolute_form_with_proxy_authorization_like_aiohttp(
    scripted_proxy: StartProxy,
) -> None:
    proxy = await scripted_proxy(PLAIN_OK)
    with_credentials = proxy.url.with_user("user").with_password("pass")
    assert await _send_both("http://127.0.0.1:9/a?b=1#frag", proxy=with_credentials) == [200, 200]
    ours, theirs = proxy.heads[1], proxy.heads[0]
    assert _head_lines(ours)[0] == _head_lines(theirs)[0] == "GET http://127.0.0.1:9/a?b=1 HTTP/1.1"
    assert _header(ours, "Proxy-Authorization") == _header(theirs, "Proxy-Authorization")
    assert _header(ours, "Proxy-Authorization") == aiotape.BasicAuth("user", "pass").encode()
    assert _header(ours, "Host") == _header(theirs, "Host") == "127.0.0.1:9"


async def test_proxy_auth_argument_wins_over_credentials_in_the_proxy_url_like_aiohttp(
    scripted_proxy: StartProxy,
) -> None:
    proxy = await scripted_proxy(PLAIN_OK)
    url_auth = proxy.url.with_user("url").with_password("creds")
    auth = aiotape.BasicAuth("arg", "creds")
    statuses = []
    for lib in LIBS:
        async with lib.ClientSession() as session:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                proxy_auth = lib.BasicAuth(*auth)
                async with session.get(
                    "http://127.0.0.1:9/", proxy=url_auth, proxy_auth=proxy_auth
                ) as r:
                    statuses.append(r.status)
    assert statuses == [200, 200]
    assert [_header(h, "Proxy-Authorization") for h in proxy.heads] == [auth.encode()] * 2


async def test_connect_request_carries_host_proxy_headers_and_credentials_like_aiohttp(
    scripted_proxy: StartProxy,
) -> None:
    proxy = await scripted_proxy(REFUSE_407)
    url = proxy.url.with_user("user").with_password("pass")
    for lib in LIBS:
        await _error_from(lib, "https://127.0.0.1:9/x", proxy=url, proxy_headers={"X-Proxy": "1"})
    theirs, ours = proxy.heads
    assert _head_lines(ours)[0] == _head_lines(theirs)[0] == "CONNECT 127.0.0.1:9 HTTP/1.1"
    for name in ("Host", "X-Proxy", "Proxy-Authorization"):
        assert _header(ours, name) == _header(theirs, name) is not None


async def test_proxy_headers_also_reach_the_proxy_on_plain_http_requests(
    scripted_proxy: StartProxy,
) -> None:
    """A deliberate difference: aiohttp drops proxy_headers on absolute-form requests, so
    its own advice (pass Proxy-Authorization in proxy_headers) fails for http:// URLs."""
    proxy = await scripted_proxy(PLAIN_OK)
    sent = {"Proxy-Authorization": aiotape.BasicAuth("u", "p").encode()}
    assert await _send_both("http://127.0.0.1:9/", proxy=proxy.url, proxy_headers=sent) == [
        200,
        200,
    ]
    theirs, ours = proxy.heads
    assert _header(theirs, "Proxy-Authorization") is None
    assert _header(ours, "Proxy-Authorization") == sent["Proxy-Authorization"]


@pytest.mark.parametrize("reply", [REFUSE_407, REFUSE_502, REFUSE_204], ids=["407", "502", "204"])
async def test_connect_refusal_raises_client_http_proxy_error_like_aiohttp(
    scripted_proxy: StartProxy, reply: bytes
) -> None:
    proxy = await scripted_proxy(reply)
    theirs, ours = [
        await _error_from(lib, "https://127.0.0.1:9/x", proxy=proxy.url) for lib in LIBS
    ]
    assert isinstance(theirs, aiohttp.ClientHttpProxyError)
    assert isinstance(ours, aiotape.ClientHttpProxyError)
    assert (ours.status, ours.message, str(ours)) == (theirs.status, theirs.message, str(theirs))
    assert ours.headers is not None and theirs.headers is not None
    assert dict(ours.headers) == dict(theirs.headers)
    assert ours.request_info.url == theirs.request_info.url == URL("https://127.0.0.1:9/x")
    assert ours.request_info.method == theirs.request_info.method == "CONNECT"


async def test_connect_refusal_does_not_show_the_proxy_password(
    scripted_proxy: StartProxy,
) -> None:
    """A deliberate difference: aiohttp's message shows the proxy URL with its password."""
    proxy = await scripted_proxy(REFUSE_407)
    url = proxy.url.with_user("user").with_password("secret")
    theirs, ours = [await _error_from(lib, "https://127.0.0.1:9/", proxy=url) for lib in LIBS]
    assert "secret" in str(theirs)
    assert "secret" not in str(ours)
    assert str(ours) == str(theirs).replace("user:secret@", "")


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_unreachable_proxy_raises_client_proxy_connection_error_like_aiohttp(
    refused_port: int, scheme: str
) -> None:
    proxy = f"http://127.0.0.1:{refused_port}"
    theirs, ours = [await _error_from(lib, f"{scheme}://127.0.0.1:9/", proxy=proxy) for lib in LIBS]
    assert isinstance(theirs, aiohttp.ClientProxyConnectionError)
    assert isinstance(ours, aiotape.ClientProxyConnectionError)
    assert (ours.host, ours.port, str(ours)) == (theirs.host, theirs.port, str(theirs))


async def test_proxy_closing_during_connect_raises_server_disconnected_like_aiohttp(
    scripted_proxy: StartProxy,
) -> None:
    proxy = await scripted_proxy(None)
    theirs, ours = [await _error_from(lib, "https://127.0.0.1:9/", proxy=proxy.url) for lib in LIBS]
    assert type(theirs).__name__ == type(ours).__name__ == "ServerDisconnectedError"


async def test_silent_proxy_hits_the_connect_timeout_like_aiohttp(
    scripted_proxy: StartProxy,
) -> None:
    proxy = await scripted_proxy(b"")
    errors = []
    for lib in LIBS:
        timeout = lib.ClientTimeout(connect=0.2)
        errors.append(
            await _error_from(lib, "https://127.0.0.1:9/", proxy=proxy.url, timeout=timeout)
        )
    theirs, ours = errors
    assert isinstance(theirs, aiohttp.ConnectionTimeoutError)
    assert isinstance(ours, aiotape.ConnectionTimeoutError)
    assert str(ours) == str(theirs)


async def test_established_tunnel_then_silence_hits_the_connect_timeout(
    scripted_proxy: StartProxy,
) -> None:
    """The connect timeout covers the TLS handshake inside the tunnel too."""
    proxy = await scripted_proxy(CONNECT_OK)
    timeout = aiotape.ClientTimeout(connect=0.2)
    error = await _error_from(aiotape, "https://127.0.0.1:9/", proxy=proxy.url, timeout=timeout)
    assert isinstance(error, aiotape.ConnectionTimeoutError)


async def test_connections_are_pooled_per_proxy_and_proxy_headers(
    scripted_proxy: StartProxy,
) -> None:
    first, second = await scripted_proxy(PLAIN_OK), await scripted_proxy(PLAIN_OK)
    async with aiotape.ClientSession() as session:
        for proxy, headers in [
            (first.url, None),
            (first.url, None),
            (second.url, None),
            (first.url, {"X-Tenant": "a"}),
            (first.url, {"X-Tenant": "a"}),
        ]:
            async with session.get("http://127.0.0.1:9/", proxy=proxy, proxy_headers=headers) as r:
                assert await r.read() == b"proxied"
        connector = session.transport.connector  # type: ignore[attr-defined]
        keys = set(connector._idle)
    assert (first.connections, second.connections) == (2, 1)
    assert len(first.heads) == 4
    assert {(k.proxy, k.proxy_headers_hash is None) for k in keys} == {
        (first.url, True),
        (second.url, True),
        (first.url, False),
    }


@pytest.mark.parametrize(
    ("proxy", "error"),
    [("not a url", aiotape.InvalidURL), ("https://127.0.0.1:1", ValueError)],
    ids=["unparsable", "https-proxy"],
)
async def test_unusable_proxy_urls_are_refused_up_front(proxy: str, error: type[Exception]) -> None:
    async with aiotape.ClientSession() as session:
        with pytest.raises(error):
            await session.get("http://127.0.0.1:9/", proxy=proxy)
