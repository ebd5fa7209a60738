"""HTTP11Connection's lifecycle, driven by scripted bytes on a recording socket and by a server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from yarl import URL

import aiotape
from aiotape.client.connection import ConnectionSettings, ConnectionState, HTTP11Connection
from aiotape.client.exceptions import ConnectionKey
from aiotape.client.exchange import Exchange
from aiotape.client.http11 import serialize_head
from aiotape.client.transport import Request

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
IDLE, SENDING, RECEIVING, CLOSED = (
    ConnectionState.IDLE,
    ConnectionState.SENDING,
    ConnectionState.RECEIVING,
    ConnectionState.CLOSED,
)


class RecordingSocket(asyncio.Transport):
    """Stands in for asyncio's socket transport: keeps what is written, notes close/abort."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.ended: str | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.ended is not None

    def close(self) -> None:
        self.ended = self.ended or "close"

    def abort(self) -> None:
        self.ended = self.ended or "abort"

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Owner:
    """Where the connection reports back (the pool's role)."""

    def __init__(self) -> None:
        self.released: list[HTTP11Connection] = []
        self.discarded: list[HTTP11Connection] = []

    def release(self, conn: HTTP11Connection) -> None:
        self.released.append(conn)

    def discard(self, conn: HTTP11Connection) -> None:
        self.discarded.append(conn)


Wired = tuple[HTTP11Connection, RecordingSocket, Owner]


def wired() -> Wired:
    owner = Owner()
    key = ConnectionKey("127.0.0.1", 80, False, True, server_hostname=None)
    conn = HTTP11Connection(key, owner, ConnectionSettings())
    sock = RecordingSocket()
    conn.connection_made(sock)
    return conn, sock, owner


def get(**headers: str) -> tuple[Request, bytes]:
    request = Request.build("GET", URL("http://127.0.0.1/"), headers=headers)
    return request, serialize_head(request.method, request.url, request.headers.items())


async def started(
    conn: HTTP11Connection, request: Request, head: bytes
) -> asyncio.Future[Exchange]:
    """``conn.send(request)`` running, with its request written."""
    sending = asyncio.ensure_future(conn.send(request, head))
    await asyncio.sleep(0)
    return sending


async def answered(conn: HTTP11Connection, request: Request, head: bytes, reply: bytes) -> bytes:
    """Send ``request``, feed ``reply`` once it is written, and read the whole body."""
    sending = await started(conn, request, head)
    conn.data_received(reply)
    exchange = await sending
    return b"".join([chunk async for chunk in _chunks(exchange.read_chunk)])


async def _chunks(read: Callable[[], Awaitable[bytes]]) -> AsyncIterator[bytes]:
    while chunk := await read():
        yield chunk


async def test_a_new_connection_is_idle() -> None:
    conn, _, _ = wired()
    assert conn.state is IDLE


async def test_request_with_bytes_body_is_receiving_until_the_response_completes() -> None:
    conn, sock, owner = wired()
    request, head = get()
    sending = await started(conn, request, head)
    assert conn.state is RECEIVING
    assert bytes(sock.written) == head
    conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    exchange = await sending
    assert conn.state is RECEIVING
    conn.data_received(b"ok")
    assert conn.state is IDLE
    assert owner.released == [conn]
    assert await exchange.read_chunk() == b"ok"
    assert exchange.done


async def test_keep_alive_response_leaves_the_connection_idle_and_reusable() -> None:
    conn, sock, _ = wired()
    request, head = get()
    assert await answered(conn, request, head, OK) == b"ok"
    assert conn.state is IDLE
    assert conn.is_reusable
    assert sock.ended is None
    assert await answered(conn, request, head, OK) == b"ok"
    assert conn.exchanges == 2


@pytest.mark.parametrize(
    ("headers", "reply"),
    [
        ({"Connection": "close"}, OK),
        ({}, b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"),
        ({}, b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ],
    ids=["request-says-close", "response-says-close", "http-1.0"],
)
async def test_response_without_keep_alive_closes_the_connection(
    headers: dict[str, str], reply: bytes
) -> None:
    conn, sock, owner = wired()
    request, head = get(**headers)
    assert await answered(conn, request, head, reply) == b"ok"
    assert conn.state is CLOSED
    assert sock.ended == "close"
    assert owner.released == []
    assert owner.discarded == [conn]


async def test_streamed_upload_is_sending_until_its_last_byte_then_receiving() -> None:
    conn, sock, _ = wired()
    more = asyncio.Event()
    states: list[ConnectionState] = []

    async def body() -> AsyncIterator[bytes]:
        yield b"first"
        states.append(conn.state)
        await more.wait()
        yield b"last"

    request = Request.build("POST", URL("http://127.0.0.1/"), body=body())
    sending = asyncio.ensure_future(conn.send(request, b"POST / HTTP/1.1\r\n\r\n"))
    await asyncio.sleep(0)
    assert conn.state is SENDING
    more.set()
    await asyncio.sleep(0)
    assert conn.state is RECEIVING
    assert states == [SENDING]
    assert bytes(sock.written).endswith(b"firstlast")
    conn.data_received(OK)
    await sending
    assert conn.state is IDLE


async def test_response_completing_before_the_upload_ends_closes_the_connection() -> None:
    conn, sock, owner = wired()
    never = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b"part"
        await never.wait()
        yield b"never sent"  # pragma: no cover

    request = Request.build("POST", URL("http://127.0.0.1/"), body=body())
    sending = asyncio.ensure_future(conn.send(request, b"POST / HTTP/1.1\r\n\r\n"))
    await asyncio.sleep(0)
    assert conn.state is SENDING
    conn.data_received(OK)
    assert conn.state is CLOSED
    assert sock.ended == "abort"
    assert owner.released == []
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending


async def test_bytes_while_idle_close_the_connection() -> None:
    conn, sock, owner = wired()
    conn.data_received(b"HTTP/1.1 200 OK\r\n")
    assert conn.state is CLOSED
    assert sock.ended == "abort"
    assert owner.discarded == [conn]


async def test_malformed_response_fails_the_exchange_and_closes() -> None:
    conn, sock, _ = wired()
    sending = await started(conn, *get())
    conn.data_received(b"NOT HTTP AT ALL\r\n\r\n")
    assert conn.state is CLOSED
    assert sock.ended == "abort"
    with pytest.raises(aiotape.ClientResponseError):
        await sending


async def test_peer_closing_mid_body_fails_the_read_and_closes() -> None:
    conn, _, owner = wired()
    sending = await started(conn, *get())
    conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
    exchange = await sending
    conn.connection_lost(None)
    assert conn.state is CLOSED
    assert owner.discarded == [conn]
    assert await exchange.read_chunk() == b"half"
    with pytest.raises(aiotape.ClientPayloadError):
        await exchange.read_chunk()


async def test_send_on_a_closed_connection_is_server_disconnected() -> None:
    conn, _, _ = wired()
    conn.close()
    request, head = get()
    with pytest.raises(aiotape.ServerDisconnectedError):
        await conn.send(request, head)
    assert conn.state is CLOSED
    assert not conn.received


async def test_pooled_connection_is_idle_between_requests_on_a_real_server(
    connector: aiotape.TCPConnector, httpbin: URL
) -> None:
    async with aiotape.ClientSession(connector=connector, connector_owner=False) as session:
        async with session.get(httpbin / "get") as resp:
            await resp.read()
        pooled = [conn for conns in connector._idle.values() for conn in conns]
        assert [conn.state for conn in pooled] == [IDLE]
        async with session.get(httpbin / "get", headers={"Connection": "close"}) as resp:
            await resp.read()
        assert pooled[0].state is CLOSED
        assert not any(connector._idle.values())
