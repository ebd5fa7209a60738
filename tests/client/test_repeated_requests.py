"""What a session and its network transport keep from one request for the next (the URL's
request, its pool key and head) never shows: each request goes out as if it were the first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from aiotape import ClientConnectionError, ClientSession, DummyCookieJar, TCPConnector
from aiotape.client.network import NetworkTransport
from aiotape.transport import ChunkedBody, Request, Response
from tests.servers import RawServer, read_head
from tests.transports import RecordingTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def _noting_heads(
    peer: list[RawServer], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    while True:
        peer[0].heads.append(await read_head(reader))
        writer.write(OK)


async def _keep_alive_peer(raw_server: Callable[[Handler], Awaitable[RawServer]]) -> RawServer:
    """A keep-alive peer that answers every request ``ok`` and notes its head."""
    box: list[RawServer] = []
    peer = await raw_server(lambda r, w: _noting_heads(box, r, w))
    box.append(peer)
    return peer


async def test_repeated_heads_follow_session_headers_and_method(
    raw_server: Callable[[Handler], Awaitable[RawServer]],
) -> None:
    peer = await _keep_alive_peer(raw_server)
    url = str(peer.url / "a")
    async with ClientSession(headers={"X-Session": "1"}) as session:
        for _ in range(2):
            async with session.get(url) as resp:
                assert await resp.read() == b"ok"
        session.headers["X-Session"] = "2"
        async with session.get(url) as resp:
            await resp.read()
        async with session.head(url) as resp:
            assert resp.status == 200
        async with session.get(url, headers={"X-Call": "c"}) as resp:
            await resp.read()
        async with session.get(url) as resp:
            await resp.read()
    first, second, mutated, head, with_call, last = peer.heads
    assert first == second
    assert b"X-Session: 1\r\n" in first
    assert b"X-Session: 2\r\n" in mutated
    assert head.startswith(b"HEAD /a HTTP/1.1\r\n")
    assert head.split(b"\r\n", 1)[1] == mutated.split(b"\r\n", 1)[1]
    assert b"X-Call: c\r\n" in with_call
    assert last == mutated
    assert peer.connections == 1


async def test_a_transport_reused_by_two_sessions_sends_each_its_own_head(
    raw_server: Callable[[Handler], Awaitable[RawServer]],
) -> None:
    peer = await _keep_alive_peer(raw_server)
    url = str(peer.url / "b")
    transport = NetworkTransport()
    try:
        for agent in ("one", "two", "one"):
            async with ClientSession(
                transport=transport, headers={"User-Agent": agent}, connector_owner=False
            ) as session:
                async with session.get(url) as resp:
                    await resp.read()
    finally:
        await transport.aclose()
    agents = [h.split(b"User-Agent: ")[1].split(b"\r\n")[0] for h in peer.heads]
    assert agents == [b"one", b"two", b"one"]


async def test_a_seam_request_with_changed_headers_in_the_same_proxy_is_sent_changed(
    raw_server: Callable[[Handler], Awaitable[RawServer]],
) -> None:
    peer = await _keep_alive_peer(raw_server)
    headers = CIMultiDict({"Host": peer.url.host_port_subcomponent or "", "X-N": "1"})
    request = Request(method="GET", url=peer.url / "c", headers=CIMultiDictProxy(headers))
    transport = NetworkTransport()
    try:
        for value in ("1", "2"):
            headers["X-N"] = value
            wire = await transport.handle(request)
            assert await wire.body.read_chunk() == b"ok"
            wire.body.close()
    finally:
        await transport.aclose()
    assert [b"X-N: 1\r\n" in peer.heads[0], b"X-N: 2\r\n" in peer.heads[1]] == [True, True]


async def test_a_cookie_set_by_a_repeated_request_is_sent_by_the_next() -> None:
    class SetsCookie(RecordingTransport):
        async def handle(self, request: Request) -> Response:
            self.requests.append(request)
            headers = CIMultiDict({"Set-Cookie": "s=1; Path=/"}) if len(self.requests) == 2 else {}
            return Response(200, "OK", CIMultiDictProxy(CIMultiDict(headers)), ChunkedBody([]))

    transport = SetsCookie()
    async with ClientSession(transport=transport) as session:
        for _ in range(3):
            async with session.get("http://api.test/p") as resp:
                await resp.read()
        session.cookie_jar.clear()
        async with session.get("http://api.test/p") as resp:
            await resp.read()
    cookies = [r.headers.get("Cookie") for r in transport.requests]
    assert cookies == [None, None, "s=1", None]


async def test_requests_through_a_dummy_jar_send_the_same_headers_as_a_plain_jar() -> None:
    plain, dummy = RecordingTransport(), RecordingTransport()
    for transport, jar in ((plain, None), (dummy, DummyCookieJar())):
        async with ClientSession(transport=transport, cookie_jar=jar) as session:
            for _ in range(2):
                async with session.get("http://127.0.0.1:1/q#frag") as resp:
                    await resp.read()
                    assert resp.url.fragment == ""
                    assert resp.real_url.fragment == "frag"
    assert [list(r.headers.items()) for r in plain.requests] == [
        list(r.headers.items()) for r in dummy.requests
    ]


def test_in_memory_body_taken_at_once_reads_as_its_chunks_do() -> None:
    async def by_chunks(body: ChunkedBody) -> bytes:
        pieces = []
        while chunk := await body.read_chunk():
            pieces.append(chunk)
        return b"".join(pieces)

    for chunks in ([], [b"a"], [b"a", b"b"], [b"a", b"", b"b"], [b"", b"a"]):
        assert ChunkedBody(chunks).rest() == asyncio.run(by_chunks(ChunkedBody(chunks)))
    half_read = ChunkedBody([b"a", b"b", b"c"])
    asyncio.run(half_read.read_chunk())
    assert half_read.rest() == b"bc"
    assert half_read.rest() == b""


async def test_a_session_that_never_sends_reports_a_connector_closed_with_it() -> None:
    session = ClientSession()
    await session.close()
    assert isinstance(session.connector, TCPConnector)
    assert session.connector.closed
    assert session.connector is session.connector


async def test_a_closed_unused_transport_refuses_websockets_too() -> None:
    transport = NetworkTransport()
    await transport.aclose()
    async with ClientSession(transport=transport, connector_owner=False) as session:
        with pytest.raises(ClientConnectionError, match="Connector is closed"):
            await session.ws_connect("ws://127.0.0.1:1/")
