"""Requests and websockets through a real forward proxy (proxy.py), side by side with aiohttp."""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp
import pytest
from proxy_server import (
    PROXY_PASSWORD,
    PROXY_USER,
    auth_proxy,
    forward_proxy,
    origin,
    test_ca,
    tls_origin,
    trusting,
)
from yarl import URL

import aiotape

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


def _without_agent(echo: dict[str, Any]) -> dict[str, Any]:
    headers = {k: v for k, v in echo["headers"].items() if k != "User-Agent"}
    return {**echo, "headers": headers}


async def test_http_request_goes_through_the_proxy_as_aiohttps_does(
    origin: URL, forward_proxy: URL
) -> None:
    (a_status, a_echo), (t_status, t_echo) = await _both(origin / "get?x=1", proxy=forward_proxy)
    assert a_status == t_status == 200
    assert "proxy.py" in t_echo["headers"]["Via"]
    assert _without_agent(t_echo) == _without_agent(a_echo)


async def test_https_request_goes_through_a_connect_tunnel_as_aiohttps_does(
    tls_origin: URL, forward_proxy: URL, trusting: ssl.SSLContext
) -> None:
    (a_status, a_echo), (t_status, t_echo) = await _both(
        tls_origin / "get", proxy=forward_proxy, ssl=trusting
    )
    assert a_status == t_status == 200
    assert "Via" not in t_echo["headers"]  # end-to-end TLS: the proxy cannot add headers
    assert _without_agent(t_echo) == _without_agent(a_echo)


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
