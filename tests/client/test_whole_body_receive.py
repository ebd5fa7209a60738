"""A large body received straight into one buffer (``Exchange.whole``) leaves the connection
exactly as the parser's chunk path does: the same bytes, error, state and reusability."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aiotape.client.connection import HTTP11Connection
from aiotape.client.exchange import Exchange
from tests.client.test_connection_state import get, started, wired
from tests.parity import outcome

SIZE = 2**20 + 7
BODY = bytes(range(256)) * (SIZE // 256) + b"x" * (SIZE % 256)
READ = 100_000
"""Most bytes one simulated socket read delivers."""


def deliver(conn: HTTP11Connection, data: bytes) -> None:
    """Hand ``data`` to the connection as asyncio's socket reads do."""
    while data:
        view = conn.get_buffer(-1)
        n = min(len(view), len(data), READ)
        view[:n] = data[:n]
        conn.buffer_updated(n)
        data = data[n:]


async def _read_chunks(exchange: Exchange) -> bytes:
    return b"".join([chunk async for chunk in _iterate(exchange)])


async def _iterate(exchange: Exchange) -> Any:
    while chunk := await exchange.read_chunk():
        yield chunk


async def receive(head: bytes, rest: bytes, *, whole: bool, lost: bool = False) -> tuple[Any, ...]:
    """Answer a GET with ``head`` and the body's first bytes, then ``rest`` (and a lost
    connection if ``lost``); the body read whole or by chunks, and the connection after it."""
    conn, sock, owner = wired()
    request, request_head = get()
    sending = await started(conn, request, request_head)
    deliver(conn, head + BODY[:1000])
    exchange = await sending
    if whole:
        reading = exchange.whole()
        assert reading is not None
    else:
        reading = _read_chunks(exchange)
    task = asyncio.ensure_future(reading)
    deliver(conn, rest)
    if lost:
        conn.connection_lost(None)
    result = await outcome(task)
    body = result == BODY if isinstance(result, bytes) else result
    return body, conn.state, conn.is_reusable, sock.ended, owner.released == [conn]


HEAD = f"HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n".encode()
CASES = {
    "keep-alive": (HEAD, BODY[1000:]),
    "trailing-bytes": (HEAD, BODY[1000:] + b"garbage"),
    "trailing-response": (HEAD, BODY[1000:] + b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    "blank-lines": (HEAD, BODY[1000:] + b"\r\n\r\n"),
    "blank-lines-then-bytes": (HEAD, BODY[1000:] + b"\r\nx"),
    "response-says-close": (
        f"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {SIZE}\r\n\r\n".encode(),
        BODY[1000:],
    ),
    "http-1.0": (f"HTTP/1.0 200 OK\r\nContent-Length: {SIZE}\r\n\r\n".encode(), BODY[1000:]),
    "http-1.0-keep-alive": (
        f"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: {SIZE}\r\n\r\n".encode(),
        BODY[1000:],
    ),
}


@pytest.mark.parametrize(("head", "rest"), CASES.values(), ids=CASES.keys())
async def test_whole_body_leaves_the_connection_as_the_chunk_path_does(
    head: bytes, rest: bytes
) -> None:
    whole = await receive(head, rest, whole=True)
    assert whole == await receive(head, rest, whole=False)
    assert whole[0] is True


async def test_keep_alive_whole_body_leaves_the_connection_idle_for_the_next_request() -> None:
    body, state, reusable, ended, released = await receive(HEAD, BODY[1000:], whole=True)
    assert (body, state.value, reusable, ended, released) == (True, "idle", True, None, True)


async def test_whole_body_cut_short_fails_as_the_chunk_path_does() -> None:
    cut = BODY[1000 : SIZE // 2]
    whole = await receive(HEAD, cut, whole=True, lost=True)
    assert whole == await receive(HEAD, cut, whole=False, lost=True)
    assert whole[0][0] == "ClientPayloadError"
    assert f"received {SIZE // 2} of {SIZE} bytes" in whole[0][1]


async def test_small_or_chunked_bodies_are_not_received_whole() -> None:
    for head in (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
    ):
        conn, _, _ = wired()
        request, request_head = get()
        sending = await started(conn, request, request_head)
        conn.data_received(head)
        exchange = await sending
        assert exchange.whole() is None
        exchange.close()
