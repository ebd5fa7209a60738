"""Each ClientTimeout field raises aiohttp's exception class, through the whole client."""

from __future__ import annotations

import asyncio
import math

import pytest
from yarl import URL

import aiotape
from aiotape.client.timeouts import deadline
from tests.transports import RecordingTransport


async def test_sock_read_timeout_raises_socket_timeout_error(httpbin: URL) -> None:
    timeout = aiotape.ClientTimeout(sock_read=0.05)
    async with aiotape.ClientSession(timeout=timeout) as session:
        with pytest.raises(aiotape.SocketTimeoutError):
            await session.get(httpbin / "delay/0.3")
        async with session.get(httpbin / "get") as resp:
            assert resp.status == 200


async def test_total_timeout_raises_plain_timeout_error(httpbin: URL) -> None:
    async with aiotape.ClientSession(timeout=aiotape.ClientTimeout(total=0.05)) as session:
        with pytest.raises(asyncio.TimeoutError) as info:
            await session.get(httpbin / "delay/0.3")
    assert not isinstance(info.value, aiotape.ServerTimeoutError)


async def test_request_timeout_overrides_session_timeout(httpbin: URL) -> None:
    async with aiotape.ClientSession(timeout=aiotape.ClientTimeout(total=0.05)) as session:
        async with session.get(
            httpbin / "delay/0.1", timeout=aiotape.ClientTimeout(total=5)
        ) as resp:
            assert await resp.json() == {"delayed": True}
        with pytest.raises(aiotape.SocketTimeoutError):
            await session.get(httpbin / "delay/0.3", timeout=aiotape.ClientTimeout(sock_read=0.05))


@pytest.mark.parametrize("field", ["connect", "sock_connect"])
async def test_connect_timeouts_raise_connection_timeout_error(
    full_backlog: int, field: str
) -> None:
    timeout = aiotape.ClientTimeout(**{field: 0.05})
    async with aiotape.ClientSession(timeout=timeout) as session:
        with pytest.raises(aiotape.ConnectionTimeoutError):
            await session.get(f"http://127.0.0.1:{full_backlog}/")


async def test_sock_read_timeout_after_first_chunk_raises_socket_timeout(
    raw_server,  # type: ignore[no-untyped-def]
) -> None:
    release = asyncio.Event()

    async def stall_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await writer.drain()
        await release.wait()

    server = await raw_server(stall_mid_body)
    async with aiotape.ClientSession(timeout=aiotape.ClientTimeout(sock_read=0.05)) as session:
        async with session.get(server.url) as resp:
            assert await resp.content.read(3) == b"abc"
            with pytest.raises(aiotape.SocketTimeoutError):
                await resp.read()
    release.set()


async def test_connection_refused_raises_client_connector_error(refused_port: int) -> None:
    async with aiotape.ClientSession() as session:
        with pytest.raises(aiotape.ClientConnectorError) as info:
            await session.get(f"http://127.0.0.1:{refused_port}/")
    assert (info.value.host, info.value.port) == ("127.0.0.1", refused_port)


def test_timeouts_at_or_above_ceil_threshold_are_ceiled() -> None:
    assert deadline(100.2, 5, 5) == 106.0
    assert deadline(100.2, 4.9, 5) == pytest.approx(105.1)
    assert deadline(100.2, 2, 1) == 103.0
    assert deadline(100.2, None, 5) is None
    assert deadline(100.2, 0, 5) is None


async def test_request_carries_ceiled_total_deadline() -> None:
    transport = RecordingTransport()
    async with aiotape.ClientSession(transport=transport) as session:
        await (await session.get("http://svc.test/", timeout=aiotape.ClientTimeout(total=7))).read()
        await (await session.get("http://svc.test/", timeout=aiotape.ClientTimeout(total=1))).read()
    ceiled, exact = transport.requests
    assert ceiled.deadline == math.ceil(ceiled.started + 7)
    assert exact.deadline == pytest.approx(exact.started + 1)
