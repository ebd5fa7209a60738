"""Keep-alive reuse races through ClientSession: servers that drop pooled connections.

Idempotent requests that die on a reused connection before any response byte are retried
once on a new connection (as aiohttp does); a POST is never sent a second time.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from yarl import URL

import aiotape
from tests.servers import StartRaw

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@dataclass
class Counting:
    """A server's record: the request lines it read, per connection."""

    url: URL
    connections: list[list[bytes]] = field(default_factory=list)

    @property
    def requests(self) -> list[bytes]:
        return [line for conn in self.connections for line in conn]


Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter, list[bytes]], Awaitable[None]]
Serve = Callable[[Behaviour], Awaitable[Counting]]


async def read_request(reader: asyncio.StreamReader, seen: list[bytes]) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    seen.append(head.split(b"\r\n", 1)[0])
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length" and int(value):
            await reader.readexactly(int(value))


@pytest.fixture
def serve(raw_server: StartRaw) -> Serve:
    """``await serve(behaviour)``: a raw server noting each connection's request lines."""

    async def start(behaviour: Behaviour) -> Counting:
        record = Counting(URL("http://127.0.0.1"))

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen: list[bytes] = []
            record.connections.append(seen)
            await behaviour(reader, writer, seen)

        record.url = (await raw_server(handler)).url / ""
        return record

    return start


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def answer_then_close(rst: bool) -> Behaviour:
    """Answer one request as keep-alive, then drop the connection at once."""

    async def behaviour(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: list[bytes]
    ) -> None:
        await read_request(reader, seen)
        writer.write(OK)
        await writer.drain()
        if rst:
            reset(writer)

    return behaviour


async def answer_once_then_hang_up(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: list[bytes]
) -> None:
    """Answer the first request; read the second one whole, then close without a byte."""
    await read_request(reader, seen)
    writer.write(OK)
    await read_request(reader, seen)


async def fetch(session: aiotape.ClientSession, method: str, url: URL) -> bytes:
    data = b"payload" if method == "POST" else None
    async with session.request(method, url, data=data) as resp:
        return await resp.read()


@pytest.mark.parametrize("rst", [False, True], ids=["fin", "rst"])
async def test_gets_succeed_against_a_server_closing_after_every_response(
    session: aiotape.ClientSession, serve: Serve, rst: bool
) -> None:
    server = await serve(answer_then_close(rst))
    for _ in range(50):
        assert await fetch(session, "GET", server.url) == b"ok"
    assert len(server.requests) == 50  # each GET was answered exactly once


async def test_connection_closed_while_idle_leaves_the_pool(
    session: aiotape.ClientSession, connector: aiotape.TCPConnector, serve: Serve
) -> None:
    server = await serve(answer_then_close(False))
    assert await fetch(session, "GET", server.url) == b"ok"
    while any(connector._idle.values()):  # until the FIN is seen: one loop step at a time
        await asyncio.sleep(0)
    assert await fetch(session, "GET", server.url) == b"ok"
    assert len(server.connections) == 2


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
async def test_idempotent_request_is_retried_once_when_a_reused_connection_hangs_up(
    session: aiotape.ClientSession, serve: Serve, method: str
) -> None:
    server = await serve(answer_once_then_hang_up)
    await fetch(session, "GET", server.url)
    await fetch(session, method, server.url / "again")
    assert [len(conn) for conn in server.connections] == [2, 1]


async def test_post_on_a_reused_connection_that_hangs_up_is_not_resent(
    session: aiotape.ClientSession, serve: Serve
) -> None:
    server = await serve(answer_once_then_hang_up)
    await fetch(session, "GET", server.url)
    with pytest.raises(aiotape.ServerDisconnectedError):
        await fetch(session, "POST", server.url / "post")
    assert server.requests.count(b"POST /post HTTP/1.1") == 1
    assert len(server.connections) == 1


async def test_retry_that_fails_again_raises_instead_of_retrying_forever(
    session: aiotape.ClientSession, serve: Serve
) -> None:
    async def answer_first_request_only(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: list[bytes]
    ) -> None:
        await read_request(reader, seen)
        if len(server.requests) == 1:
            writer.write(OK)
            await read_request(reader, seen)

    server = await serve(answer_first_request_only)
    await fetch(session, "GET", server.url)
    with pytest.raises(aiotape.ServerDisconnectedError):
        await fetch(session, "GET", server.url / "again")
    assert server.requests.count(b"GET /again HTTP/1.1") == 2


async def test_posts_against_a_server_closing_after_every_response_are_never_doubled(
    session: aiotape.ClientSession, serve: Serve
) -> None:
    server = await serve(answer_then_close(False))
    answered = 0
    for i in range(50):
        try:
            await fetch(session, "POST", server.url / str(i))
        except (aiotape.ServerDisconnectedError, aiotape.ClientOSError):
            continue
        answered += 1
    assert len(server.requests) == len(set(server.requests)) == answered
