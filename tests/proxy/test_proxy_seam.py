"""The proxy on the seam: the session resolves it per request, transports below decide."""

from __future__ import annotations

from yarl import URL

import aiotape
from aiotape.mocking import MockRouter
from tests.transports import RecordingTransport


async def test_request_carries_the_proxy_and_keeps_its_credentials_off_the_headers() -> None:
    transport = RecordingTransport()
    async with aiotape.ClientSession(transport=transport) as session:
        await session.get(
            "http://api.test/x",
            proxy="http://user:pw@proxy.test:3128",
            proxy_headers={"X-Proxy": "1"},
        )
    (request,) = transport.requests
    assert request.url == URL("http://api.test/x")
    assert request.proxy == URL("http://proxy.test:3128")
    assert request.proxy_auth == aiotape.BasicAuth("user", "pw")
    assert request.proxy_headers is not None
    assert dict(request.proxy_headers) == {"X-Proxy": "1"}
    assert "Proxy-Authorization" not in request.headers


async def test_request_proxy_settings_override_the_sessions() -> None:
    transport = RecordingTransport()
    session_auth = aiotape.BasicAuth("session", "s")
    async with aiotape.ClientSession(
        transport=transport, proxy="http://default.test:1", proxy_auth=session_auth
    ) as session:
        await session.get("http://api.test/a")
        await session.get("http://api.test/b", proxy="http://other.test:2")
        await session.get("http://api.test/c", proxy_auth=aiotape.BasicAuth("request", "r"))
    routes = [(r.proxy, r.proxy_auth) for r in transport.requests]
    assert routes == [
        (URL("http://default.test:1"), session_auth),
        (URL("http://other.test:2"), session_auth),
        (URL("http://default.test:1"), aiotape.BasicAuth("request", "r")),
    ]


async def test_no_proxy_leaves_the_request_direct() -> None:
    transport = RecordingTransport()
    async with aiotape.ClientSession(transport=transport) as session:
        await session.get("http://api.test/x", proxy_auth=aiotape.BasicAuth("ignored"))
    (request,) = transport.requests
    assert (request.proxy, request.proxy_auth, request.proxy_headers) == (None, None, None)


async def test_mocks_answer_whatever_proxy_the_request_names() -> None:
    with MockRouter() as mock:
        route = mock.get("http://api.test/items", json=[1, 2])
        async with aiotape.ClientSession(proxy="http://127.0.0.1:1") as session:
            async with session.get("http://api.test/items") as resp:
                assert await resp.json() == [1, 2]
    assert route.call_count == 1
