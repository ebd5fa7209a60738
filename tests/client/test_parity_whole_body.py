"""Large Content-Length bodies read whole with ``read()``, side by side with aiohttp.

aiotape receives such a body straight into one buffer, around the parser; these pin that
the outcome, the error, the pooled connection and the timeouts are what aiohttp gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import random
import ssl
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import pytest
import trustme

import aiotape
from tests.parity import both, outcome
from tests.servers import RawServer, StartRaw, read_head, tls_server_context

SIZE = 3 * 2**20 + 123
BODY = random.Random(14).randbytes(SIZE)
GZIPPED = gzip.compress(BODY, compresslevel=1)

Reply = Callable[[asyncio.StreamWriter], Awaitable[None]]


def _head(length: int, *extra: str) -> bytes:
    lines = "".join(f"{line}\r\n" for line in (f"Content-Length: {length}", *extra))
    return f"HTTP/1.1 200 OK\r\n{lines}\r\n".encode()


async def _whole(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(SIZE) + BODY)


async def _trailing(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(SIZE) + BODY + b"HTTP/1.1 200 OK\r\nX-Not: asked\r\n\r\n")


async def _blank_lines(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(SIZE) + BODY + b"\r\n\r\n")


async def _truncated(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(SIZE) + BODY[: SIZE // 2])
    await writer.drain()
    writer.close()


async def _stalled(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(SIZE) + BODY[: SIZE // 2])
    await asyncio.Event().wait()


async def _trickled(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(SIZE))
    step = SIZE // 12 + 1
    for start in range(0, SIZE, step):
        await asyncio.sleep(0.1)
        writer.write(BODY[start : start + step])


async def _closing(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(SIZE, "Connection: close") + BODY)


async def _gzipped(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(len(GZIPPED), "Content-Encoding: gzip") + GZIPPED)


async def _serve(raw_server: StartRaw, reply: Reply) -> RawServer:
    """A keep-alive peer answering every request head with ``reply``."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_head(reader)
            await reply(writer)
            await writer.drain()

    return await raw_server(handler)


async def _read_twice(
    raw_server: StartRaw, reply: Reply, *, sock_read: float | None = None, **options: Any
) -> list[Any]:
    """Per client, on a server of its own: each of two reads (the body's hash or the error)
    and how many connections the server saw."""

    async def call(lib: ModuleType) -> Any:
        server = await _serve(raw_server, reply)
        results = []
        timeout = lib.ClientTimeout(sock_read=sock_read)
        async with lib.ClientSession(timeout=timeout, **options) as session:
            for _ in range(2):
                async with session.get(server.url) as resp:
                    result = await outcome(resp.read())
                    results.append(hash(result) if isinstance(result, bytes) else result)
        return results, server.connections

    return await both(call)


@pytest.mark.parametrize(
    "reply",
    [_whole, _blank_lines, _closing, _trickled],
    ids=["keep-alive", "blank-lines", "connection-close", "trickled"],
)
async def test_large_body_read_whole_and_connection_reuse_match_aiohttp(
    raw_server: StartRaw, reply: Reply
) -> None:
    # Each trickled piece comes within sock_read, the whole body does not.
    theirs, ours = await _read_twice(raw_server, reply, sock_read=1.0)
    assert ours == theirs
    assert ours[0] == [hash(BODY), hash(BODY)]


async def test_response_bytes_after_a_large_body_are_not_taken_for_the_next_response(
    raw_server: StartRaw,
) -> None:
    # aiohttp answers the next request with them when they come in a read of their own
    # (racy, so not compared); aiotape drops the connection, as for a small body.
    server = await _serve(raw_server, _trailing)
    async with aiotape.ClientSession() as session:
        for _ in range(2):
            async with session.get(server.url) as resp:
                assert await resp.read() == BODY
    assert server.connections == 2


async def test_large_body_cut_short_raises_client_payload_error_like_aiohttp(
    raw_server: StartRaw,
) -> None:
    theirs, ours = await _read_twice(raw_server, _truncated)
    assert ours == theirs
    assert ours[0][0][0] == "ClientPayloadError"
    assert f"received {SIZE // 2} of {SIZE} bytes" in ours[0][0][1]


@pytest.mark.parametrize(
    "timeout", [{"sock_read": 0.3}, {"total": 0.5}], ids=["sock_read", "total"]
)
async def test_large_body_stalling_mid_body_times_out_like_aiohttp(
    raw_server: StartRaw, timeout: dict[str, float]
) -> None:
    async def call(lib: ModuleType) -> Any:
        server = await _serve(raw_server, _stalled)
        async with lib.ClientSession(timeout=lib.ClientTimeout(**timeout)) as session:
            resp = await session.get(server.url)
            error = await outcome(resp.read())
            resp.release()
            return error[0], resp.closed

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[0] in ("SocketTimeoutError", "TimeoutError")


async def test_read_cancelled_mid_body_drops_the_connection_like_aiohttp(
    raw_server: StartRaw,
) -> None:
    async def call(lib: ModuleType) -> Any:
        hung_up = asyncio.Event()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await read_head(reader)
                writer.write(_head(SIZE) + BODY[: SIZE // 2])
                await writer.drain()
                while await reader.read(2**16):
                    pass
            finally:  # the client hung up (or reset the connection)
                hung_up.set()
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()

        server = await raw_server(handler)
        async with lib.ClientSession() as session:
            resp = await session.get(server.url)
            reading = asyncio.ensure_future(resp.read())
            await asyncio.sleep(0)
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading
            closed = resp.closed
            resp.release()
            await asyncio.wait_for(hung_up.wait(), 10)
        return closed, server.connections

    assert await both(call) == [(True, 1), (True, 1)]


@pytest.mark.parametrize("auto_decompress", [True, False])
async def test_large_gzip_body_read_whole_matches_aiohttp(
    raw_server: StartRaw, auto_decompress: bool
) -> None:
    theirs, ours = await _read_twice(raw_server, _gzipped, auto_decompress=auto_decompress)
    assert ours == theirs
    assert ours[0][0] == hash(BODY if auto_decompress else GZIPPED)


async def test_large_body_partly_read_then_read_whole_matches_aiohttp(
    raw_server: StartRaw,
) -> None:
    async def call(lib: ModuleType) -> Any:
        server = await _serve(raw_server, _whole)
        async with lib.ClientSession() as session, session.get(server.url) as resp:
            first = await resp.content.readexactly(1000)
            return hash(first + await resp.content.read())

    assert await both(call) == [hash(BODY)] * 2


async def test_large_body_over_tls_read_whole_matches_aiohttp(
    raw_server: StartRaw, ca: trustme.CA, trusting: ssl.SSLContext
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_head(reader)
            await _whole(writer)
            await writer.drain()

    server = await raw_server(handler, ssl=tls_server_context(ca.issue_cert("127.0.0.1")))

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session:
            bodies = []
            for _ in range(2):
                async with session.get(server.url, ssl=trusting) as resp:
                    bodies.append(await resp.read() == BODY)
            return bodies

    assert await both(call) == [[True, True], [True, True]]
