"""A session sends through a connector or through a transport, never holds an unused one."""

from __future__ import annotations

import pytest
from yarl import URL

import aiotape
from aiotape.mocking import MockRouter


async def test_connector_and_transport_together_are_refused(
    connector: aiotape.TCPConnector,
) -> None:
    with pytest.raises(ValueError, match="connector and transport cannot both be given"):
        aiotape.ClientSession(connector=connector, transport=MockRouter())
    assert not connector.closed


async def test_request_with_connector_and_transport_is_refused(
    connector: aiotape.TCPConnector, httpbin: URL
) -> None:
    with pytest.raises(ValueError, match="connector and transport cannot both be given"):
        aiotape.request("GET", httpbin / "get", connector=connector, transport=MockRouter())


async def test_a_connector_alone_carries_the_requests(
    connector: aiotape.TCPConnector, httpbin: URL
) -> None:
    async with aiotape.ClientSession(connector=connector, connector_owner=False) as session:
        assert session.connector is connector
        async with session.get(httpbin / "get") as resp:
            assert resp.status == 200
        await connector.close()
        with pytest.raises(aiotape.ClientConnectionError, match="Connector is closed"):
            await session.get(httpbin / "get")


async def test_a_transport_alone_has_no_connector(httpbin: URL) -> None:
    router = MockRouter()
    router.get(str(httpbin / "get"), body=b"mocked")
    async with aiotape.ClientSession(transport=router) as session:
        assert session.connector is None
        async with session.get(httpbin / "get") as resp:
            assert await resp.read() == b"mocked"
