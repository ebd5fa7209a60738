"""Requests and websockets through a real forward proxy (proxy.py), side by side with aiohttp."""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp
import pytest
from yarl import URL

import aiotape
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

Session = aiohttp.ClientSession | aiotape.ClientSession


def _with_credentials(proxy: URL) -> URL:
    return proxy.with_user(PROXY_USER).with_password(PROXY_PASSWORD)


async def _get_json(session: Any, url: URL, **kwargs: Any) -> tuple[int, Any]:
    async with session.get(url, **kwargs) as resp:
        return resp.status, await resp.json()


async def _both(url: URL, **kwargs: Any) -> list[tuple[int, Any]]:
    """The same GET through aiohttp and aiotape: [(status, echoed json), ...]."""
    results = []
    for lib in (aiohttp, aiotape):
        async with lib.ClientSession() as session:
            results.append(await _get_json(session, url, **kwargs))
    return results


def _comparable(echo: dict[str, Any]) -> dict[str, Any]:
    """The echo without what differs between the libraries anyway (agent, codings offered)."""
    skip = {"User-Agent", "Accept-Encoding"}
    return {**echo, "headers": {k: v for k, v in echo["headers"].items() if k not in skip}}


async def test_http_request_goes_through_the_proxy_as_aiohttps_does(
    origin: URL, forward_proxy: URL
) -> None:
    (a_status, a_echo), (t_status, t_echo) = await _both(
        origin / "get" % {"x": "1"}, proxy=forward_proxy
    )
    assert a_status == t_status == 200
    assert "proxy.py" in t_echo["headers"]["Via"]
    assert _comparable(t_echo) == _comparable(a_echo)


async def test_https_request_goes_through_a_connect_tunnel_as_aiohttps_does(
    tls_origin: URL, forward_proxy: URL, trusting: ssl.SSLContext
) -> None:
    (a_status, a_echo), (t_status, t_echo) = await _both(
        tls_origin / "get", proxy=forward_proxy, ssl=trusting
    )
    assert a_status == t_status == 200
    assert "Via" not in t_echo["headers"]  # end-to-end TLS: the proxy cannot add headers
    assert _comparable(t_echo) == _comparable(a_echo)


async def test_tunnel_checks_the_origin_certificate_against_the_origin_name(
    tls_origin: URL, forward_proxy: URL, trusting: ssl.SSLContext
) -> None:
    errors = []
    for lib in (aiohttp, aiotape):
        async with lib.ClientSession() as session:
            with pytest.raises(lib.ClientConnectorCertificateError) as info:
                await session.get(
                    tls_origin, proxy=forward_proxy, ssl=trusting, server_hostname="other.test"
                )
            errors.append(info.value)
    assert [e.host for e in errors] == [tls_origin.host] * 2


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_auth_proxy_accepts_credentials_in_the_proxy_url_like_aiohttp(
    origin: URL, tls_origin: URL, auth_proxy: URL, trusting: ssl.SSLContext, scheme: str
) -> None:
    target = origin if scheme == "http" else tls_origin
    results = await _both(target / "get", proxy=_with_credentials(auth_proxy), ssl=trusting)
    assert [status for status, _ in results] == [200, 200]
    assert "Proxy-Authorization" not in results[1][1]["headers"]  # the proxy consumed it


async def test_session_proxy_and_proxy_auth_apply_to_every_request(
    origin: URL, tls_origin: URL, auth_proxy: URL, trusting: ssl.SSLContext
) -> None:
    auth = aiotape.BasicAuth(PROXY_USER, PROXY_PASSWORD)
    async with aiotape.ClientSession(proxy=auth_proxy, proxy_auth=auth) as session:
        plain, _ = await _get_json(session, origin / "get")
        tunneled, _ = await _get_json(session, tls_origin / "get", ssl=trusting)
        async with session.ws_connect(tls_origin / "ws", ssl=trusting) as ws:
            await ws.send_str("hi")
            echoed = await ws.receive_str()
    assert (plain, tunneled, echoed) == (200, 200, "echo:hi")


async def test_auth_proxy_without_credentials_answers_407_or_refuses_connect_like_aiohttp(
    origin: URL, tls_origin: URL, auth_proxy: URL, trusting: ssl.SSLContext
) -> None:
    plain, refusals = [], []
    for lib in (aiohttp, aiotape):
        async with lib.ClientSession() as session:
            async with session.get(origin / "get", proxy=auth_proxy) as resp:
                plain.append(resp.status)
            with pytest.raises(lib.ClientHttpProxyError) as info:
                await session.get(tls_origin, proxy=auth_proxy, ssl=trusting)
            refusals.append((info.value.status, info.value.message))
    assert plain == [407, 407]
    assert refusals[0] == refusals[1] == (407, "Proxy Authentication Required")


async def test_secure_websocket_through_a_connect_tunnel_like_aiohttp(
    tls_origin: URL, forward_proxy: URL, trusting: ssl.SSLContext
) -> None:
    replies = []
    for lib in (aiohttp, aiotape):
        async with lib.ClientSession() as session:
            ws_url = tls_origin.with_scheme("wss") / "ws"
            async with session.ws_connect(ws_url, proxy=forward_proxy, ssl=trusting) as ws:
                await ws.send_str("over tls")
                replies.append(await ws.receive_str())
    assert replies == ["echo:over tls"] * 2


async def test_plain_websocket_goes_through_connect_where_aiohttp_uses_absolute_form(
    origin: URL, forward_proxy: URL
) -> None:
    """A deliberate difference (RFC 6455 4.1): aiohttp sends ``GET ws://...`` to the proxy,
    which proxy.py (like many proxies) refuses; a CONNECT tunnel works everywhere."""
    ws_url = origin.with_scheme("ws") / "ws"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(ws_url, proxy=forward_proxy)
    assert info.value.status == 400
    async with aiotape.ClientSession() as session:
        async with session.ws_connect(ws_url, proxy=forward_proxy) as ws:
            await ws.send_str("plain")
            assert await ws.receive_str() == "echo:plain"
